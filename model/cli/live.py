"""`jukinet serve`, `jukinet tls-keys` and `jukinet loadtest --live`: the center's provision service as a running
system and its load test (issue 31; model/live)."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from jukinet.model.cli import number
from jukinet.model.core.errors import UserError

DEFAULT_CERTS = "out/tls"


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _scale(value: float) -> float:
    if not (math.isfinite(value) and 0.0001 <= value <= 1.0):
        raise UserError("--scale", str(value), "allowed: a number 0.0001 .. 1")
    return value


def add_commands(sub: Any, scenario_help: str, seed_type: Any) -> None:
    """Register `serve` and `tls-keys`."""
    p = sub.add_parser(
        "serve",
        help="the center's provision service as a real server (mutual TLS 1.3, hash-chained log)",
        description="Serve provision requests as the center: residents drawn at --scale into an SQLite identity store, "
        "each request decided by the evaluator, answered from the store and logged in a hash-chained, fsynced access log "
        "in --out. A length-prefixed protocol over TLS 1.3 with client certificates (jukinet tls-keys). "
        "Ctrl-C or SIGTERM stops it cleanly; a restart on the same --out resumes the log.",
    )
    p.add_argument("scenario", nargs="?", help=scenario_help)
    p.add_argument("--scale", type=number, default=0.01, help="share of residents in the store (default 0.01)")
    p.add_argument("--seed", type=seed_type, default=2006, help="seed the residents are drawn with (default 2006)")
    p.add_argument("--address", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=7443, help="port (default 7443; 0: any free port, printed)")
    p.add_argument("--out", default="out/serve", help="server folder: store, access log, summary (default out/serve)")
    p.add_argument("--db", default="sqlite", help="identity store: sqlite (default); postgresql://... is not supported yet")
    p.add_argument("--certs", default=DEFAULT_CERTS, help=f"folder written by jukinet tls-keys (default {DEFAULT_CERTS})")
    p.add_argument("--max-connections", type=int, default=256, help="connections served at once (default 256)")
    p.add_argument(
        "--frame-timeout", type=number, default=10.0, help="seconds a frame's body may take once its header came (default 10)"
    )
    p.set_defaults(func=cmd_serve)
    p = sub.add_parser(
        "tls-keys",
        help="a certification authority, the center's TLS certificate and one client certificate per requester",
        description="Write a new folder: ca.pem/ca.key (the testbed's authority), center.pem/center.key (the server "
        "certificate for --host names) and requesters/BODY.pem/.key for every recipient body of the registry "
        "(ECDSA P-256), for jukinet serve --certs and jukinet loadtest --live --certs.",
    )
    p.add_argument("scenario", nargs="?", help=scenario_help)
    p.add_argument("--out", default=DEFAULT_CERTS, help=f"the new folder (default {DEFAULT_CERTS})")
    p.add_argument(
        "--host", action="append", help="a name or address the center is reached at (repeat; default localhost, 127.0.0.1, ::1)"
    )
    p.set_defaults(func=cmd_tls_keys)


def add_loadtest_options(p: argparse.ArgumentParser) -> None:
    """`jukinet loadtest --live ADDRESS` and its options."""
    g = p.add_argument_group("live", "drive a running `jukinet serve` instead of the queueing model")
    g.add_argument("--live", metavar="ADDRESS", help="HOST:PORT of a running jukinet serve")
    g.add_argument("--duration", type=number, default=60.0, help="seconds of arrivals (default 60)")
    rate = g.add_mutually_exclusive_group()
    rate.add_argument("--rate", type=number, help="arrivals per second")
    rate.add_argument("--compression", type=number, help="the FY2006 hour's rate times this (default 1)")
    g.add_argument("--connections", type=int, default=8, help="TLS connections in the pool (default 8, at most 256)")
    g.add_argument("--hour", default="busiest", help="the FY2006 hour whose mix is sent: busiest | busiest-interactive")
    g.add_argument("--certs", default=DEFAULT_CERTS, help=f"folder written by jukinet tls-keys (default {DEFAULT_CERTS})")
    g.add_argument(
        "--service-times",
        dest="service_times_out",
        metavar="FILE",
        help="measured service times (default OUT/service_times.json)",
    )


def cmd_tls_keys(args: argparse.Namespace) -> int:
    from jukinet.model.config.scenario import load
    from jukinet.model.core.output import atomic_dir
    from jukinet.model.live.tls import DEFAULT_HOSTS, host_name, issue

    out = Path(args.out)
    if out.exists():
        raise UserError("--out", str(out), "exists; allowed: a new folder (certificates are never overwritten)")
    hosts = [host_name(h) for h in args.host or DEFAULT_HOSTS]
    sc = load(args.scenario)
    with atomic_dir(out, "tls-keys") as tmp:  # all the certificates or none
        n = issue(tmp, sorted(sc.policy.bodies), hosts)
    print(f"jukinet tls-keys: {n} certificates in {out} (the authority, the center, {n - 2} requesters); keep {out}/ca.key apart")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from jukinet.model.config.scenario import load
    from jukinet.model.live.center import Setup, build, finish
    from jukinet.model.live.server import Limits, run
    from jukinet.model.live.store import check_db

    check_db(args.db)
    if not 0 <= args.port < 65536:
        raise UserError("--port", str(args.port), "allowed: 0 .. 65535")
    if not 1 <= args.max_connections <= 4096:
        raise UserError("--max-connections", str(args.max_connections), "allowed: 1 .. 4096")
    if not (math.isfinite(args.frame_timeout) and 0.1 <= args.frame_timeout <= 600):
        raise UserError("--frame-timeout", str(args.frame_timeout), "allowed: seconds 0.1 .. 600")
    sc = load(args.scenario)
    setup = Setup(sc, _scale(args.scale), args.seed, Path(args.out), Path(args.certs), args.address, args.port, args.db)
    center = build(setup, Limits(max_connections=args.max_connections, frame_timeout_s=args.frame_timeout), say=_say)
    try:
        res = run(
            center.server,
            ready=lambda a: _say(f"jukinet serve: listening on {a} (TLS 1.3, client certificates from {args.certs})"),
        )
    except OSError as exc:
        raise UserError("--address", f"{args.address}:{args.port}", f"cannot listen ({exc.strerror or exc})") from None
    finish(center, res)
    _say(
        f"jukinet serve: stopped; {res['requests']:,} requests ({res['provided']:,} provided, {res['refused']:,} refused, "
        f"{res['not_found']:,} not found, {res['malformed']:,} malformed); log {res['log']['count']:,} records, "
        f"head {res['log']['head'][:16]}... in {setup.out}/log (audit: jukinet audit {setup.out})"
    )
    return 0


def cmd_loadtest_live(args: argparse.Namespace) -> int:
    import asyncio

    import numpy as np

    from jukinet.model.config.scenario import load
    from jukinet.model.core.output import write_json
    from jukinet.model.live.client import split_address
    from jukinet.model.live.loadgen import Target, drive, hello
    from jukinet.model.live.register import draw
    from jukinet.model.live.results import result, service_times, text
    from jukinet.model.live.tls import requesters_in
    from jukinet.model.live.workmix import Mix, plan

    split_address(args.live)
    if not (math.isfinite(args.duration) and 0 < args.duration <= 86400):
        raise UserError("--duration", str(args.duration), "allowed: more than 0 and at most 86400 seconds")
    if not 1 <= args.connections <= 256:
        raise UserError("--connections", str(args.connections), "allowed: 1 .. 256")
    certs = Path(args.certs)
    sc = load(args.scenario)
    bodies = [b for b in requesters_in(certs) if b in sc.policy.bodies] if certs.is_dir() else []
    if not bodies:
        raise UserError(
            "--certs",
            str(certs),
            "holds no requester certificate of this scenario; allowed: a folder written by jukinet tls-keys",
        )
    mix = Mix.of(sc, args.hour)
    info = asyncio.run(hello(args.live, certs, bodies[0]))
    if info.get("scenario") != sc.config.scenario.name:
        raise UserError("SCENARIO", str(args.scenario), f"the center serves {info.get('scenario')!r}; allowed: the same scenario")
    _say(f"jukinet loadtest: drawing the register the center serves (scale {info['scale']}, seed {info['seed']})")
    reg = draw(sc, float(info["scale"]), int(info["seed"]))
    p = plan(mix, args.duration, len(reg), np.random.default_rng(args.seed), args.rate, args.compression)
    _say(f"jukinet loadtest: {len(p.times):,} arrivals over {args.duration:g} s at {p.rate:.1f}/s to {args.live}")
    target = Target(args.live, certs, args.connections)
    outcome, took = drive(target, sc.policy, mix, reg, bodies, p, args.duration, args.seed)
    res = result(outcome, p, mix, took, args.live, info, args.connections, sc.config.scenario.fiscal_year)
    st = service_times(outcome, res, args.seed)
    out = Path(args.out) if args.out else Path("out") / "loadtest-live" / sc.config.scenario.name
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "summary.json", res)
    st_path = Path(args.service_times_out) if args.service_times_out else out / "service_times.json"
    write_json(st_path, st)
    if args.json:
        print(json.dumps(res, indent=1))
    else:
        print(text(res))
        print(f"  written       {out}/summary.json, {st_path} (jukinet capacity --service-times {st_path})")
    return 0 if res["answered"] else 1


def add_capacity_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--service-times",
        metavar="FILE",
        help="measured service times (written by jukinet loadtest --live) instead of the assumed ones; the report shows "
        "the assumed answer beside the measured one",
    )


def _number(x: Any) -> bool:
    return isinstance(x, float | int) and not isinstance(x, bool) and math.isfinite(x)


def measured(sc: Any, path: Path) -> tuple[Any, dict[str, Any]]:
    """The scenario with the center's service times of each class the file measured (a class it did not measure keeps
    its assumed value), and the two side by side."""
    import dataclasses
    import hashlib

    from jukinet.model.core.output import read_regular
    from jukinet.model.live.results import CLASSES, FILE_KIND

    try:
        raw = read_regular(path, "--service-times", "a service_times.json written by jukinet loadtest --live")
        data = json.loads(raw)
    except OSError as exc:
        raise UserError(
            "--service-times", str(path), f"cannot read ({exc.strerror}); allowed: a file of jukinet loadtest --live"
        ) from None
    except ValueError:
        raise UserError("--service-times", str(path), "not JSON; allowed: a file of jukinet loadtest --live") from None
    if not isinstance(data, dict) or data.get("kind") != FILE_KIND or not isinstance(data.get("classes"), dict):
        raise UserError(
            "--service-times",
            str(path),
            f"not a service-time file (kind {FILE_KIND!r}); allowed: a file of jukinet loadtest --live",
        )
    svc = sc.config.center.service
    update: dict[str, float] = {}
    sides: dict[str, Any] = {}
    for name in CLASSES:
        got: dict[str, Any] = data["classes"].get(name) or {}
        mean: Any = got.get("mean_s")
        cv: Any = got.get("cv")
        n: Any = got.get("n", 0)
        assumed = {"mean_s": getattr(svc, f"{name}_mean"), "cv": getattr(svc, f"{name}_cv")}
        ok = _number(mean) and _number(cv) and _number(n) and mean > 0 and cv >= 0 and n > 0
        if ok:
            update[f"{name}_mean"], update[f"{name}_cv"] = float(mean), float(cv)
        sides[name] = {
            "assumed": assumed,
            "measured": {"mean_s": mean, "cv": cv, "n": n} if ok else None,
            "used": "measured" if ok else "assumed",
        }
    if not update:
        raise UserError(
            "--service-times", str(path), "measures no class; allowed: a file with interactive or batch service times"
        )
    center = sc.config.center.model_copy(update={"service": svc.model_copy(update=update)})
    cfg = sc.config.model_copy(update={"center": center})
    digest = hashlib.sha256(raw).hexdigest()[:12]
    return dataclasses.replace(sc, config=cfg, hash=f"{sc.hash}+measured-{digest}"), {
        "file": str(path),
        "classes": sides,
        "served": data.get("served"),
    }


def cmd_capacity_measured(args: argparse.Namespace) -> int:
    """`jukinet capacity --service-times FILE`: the answer on measured service times, the assumed answer beside it."""
    from tqdm import tqdm

    from jukinet.model.config.estimate import check_memory, loadtest_memory
    from jukinet.model.config.scenario import load
    from jukinet.model.core.output import atomic_dir, check_target, print_json, write_json
    from jukinet.model.queueing.loadtest import SLO, capacity
    from jukinet.model.report.loadtest import capacity_markdown
    from jukinet.model.report.plots import capacity_plot

    slo = SLO.parse(args.slo)
    sc = load(args.scenario)
    if not (math.isfinite(args.volume_scale) and args.volume_scale > 0):  # as model.cli.capacity checks it
        raise UserError("--volume-scale", str(args.volume_scale), "allowed: a number > 0")
    check_memory(loadtest_memory(sc, args.volume_scale), "the load test's busiest day", "--volume-scale")
    live_sc, sides = measured(sc, Path(args.service_times))
    out = Path(args.out) if args.out else Path("out") / "capacity" / sc.config.scenario.name
    check_target(out, "capacity", force=args.force)
    found: dict[str, dict[str, Any]] = {}
    for label, s in (("measured", live_sc), ("assumed", sc)):
        with tqdm(desc=f"server counts tried ({label})", unit="count", disable=None, file=sys.stderr) as bar:
            found[label] = capacity(
                s, slo, replications=args.replications, seed=args.seed, max_servers=args.max_servers,
                volume_scale=args.volume_scale, on_step=lambda _c: bar.update(1),
            )  # fmt: skip
    res = {**found["measured"], "rests_on": "measured service times", "service_times": sides, "assumed": found["assumed"]}
    with atomic_dir(out, "capacity", force=args.force) as tmp:  # the folder whole or not at all
        plots = capacity_plot(res, tmp)
        write_json(tmp / "summary.json", res)
        (tmp / "report.md").write_text(capacity_markdown(res, plots) + _side_by_side(res), encoding="utf-8")
    if args.json:
        print_json(res)
        return 0 if res["servers_needed"] is not None else 1
    print(_side_by_side(res))
    print(f"  written       {out}/report.md, summary.json, {', '.join(plots)}")
    return 0 if res["servers_needed"] is not None else 1


def _side_by_side(res: dict[str, Any]) -> str:
    a = res["assumed"]
    lines = [
        f"\n## Measured and assumed service times ({res['slo']} in the busiest hour of {res['day']})\n",
        f"The answer rests on the service times measured by `jukinet loadtest --live` ({res['service_times']['file']}); "
        "a class it did not measure keeps its assumed value.\n",
        "| class | assumed mean (cv) | measured mean (cv, n) | used |",
        "|---|---|---|---|",
    ]
    for name, side in res["service_times"]["classes"].items():
        m = side["measured"]
        got = f"{m['mean_s'] * 1e3:.3f} ms ({m['cv']:.2f}, {m['n']:,})" if m else "not measured"
        lines.append(
            f"| {name} | {side['assumed']['mean_s'] * 1e3:.1f} ms ({side['assumed']['cv']:.2f}) | {got} | {side['used']} |"
        )
    lines += [
        "",
        f"- fewest servers, **measured** service times: **{res['servers_needed']}** "
        f"(peak offered load {res['peak_offered_load_erlang']:.3g} erlang)",
        f"- fewest servers, assumed service times [ASSUMPTION]: {a['servers_needed']} "
        f"(peak offered load {a['peak_offered_load_erlang']:.3g} erlang)",
        "",
        "The measured time is the live desk's (decision, store lookup, answer) on one server process; "
        "a server of the model is one such process.",
    ]
    return "\n".join(lines) + "\n"

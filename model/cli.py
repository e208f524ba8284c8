"""The `jukinet` command."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from model import __version__
from model.errors import UserError
from model.output import atomic_dir, write_json
from model.scenario import CENSUS_2005, EXPECTED_MUNICIPALITIES, load
from model.topology import soundness_checks


def network_summary(scenario_path: str | None) -> dict[str, Any]:
    """The whole network as a JSON-able summary, with its soundness checks."""
    sc = load(scenario_path)
    g = sc.graph
    kinds = {n: d["kind"] for n, d in g.nodes(data=True)}
    prefs = []
    for p in sc.prefectures:
        css = [n for n, k in kinds.items() if k == "cs" and g.nodes[n]["pref"] == p.code]
        prefs.append(
            {
                "code": p.code,
                "name": p.name_en,
                "name_ja": p.name_ja,
                "municipalities": len(css),
                "population": sum(g.nodes[n]["population"] for n in css),
                "designated_cities": sum(1 for n in css if g.nodes[n]["type"] == "designated_city"),
            }
        )
    national = sorted(
        ({"id": b.id, "name": b.name, "affairs": len(b.affairs)} for b in sc.policy.bodies.values() if b.level == "national"),
        key=lambda x: str(x["id"]),
    )
    local = sorted(
        (
            {
                "id": b.id,
                "name": b.name,
                "affairs": len(b.affairs),
                "instances": sum(1 for n in g if g.nodes[n].get("body") == b.id),
            }
            for b in sc.policy.bodies.values()
            if b.level == "local"
        ),
        key=lambda x: str(x["id"]),
    )
    private = sorted(b.id for b in sc.policy.bodies.values() if b.level == "private")
    links: dict[str, int] = {}
    for a, b in g.edges():
        key = f"{kinds.get(a, '?')}->{kinds.get(b, '?')}"
        links[key] = links.get(key, 0) + 1
    checks = soundness_checks(g, sc.policy, sc.config.statute, EXPECTED_MUNICIPALITIES, CENSUS_2005)
    munis = sc.municipalities
    return {
        "scenario": sc.config.scenario.name,
        "source": sc.source,
        "scenario_hash": sc.hash,
        "version": __version__,
        "counts": {
            "prefectures": len(prefs),
            "municipalities": sum(p["municipalities"] for p in prefs),
            "population": sum(p["population"] for p in prefs),
            "national_bodies": len(national),
            "local_body_kinds": len(local),
            "private_parties": len(private),
            "annex_rows": len(sc.config.statute.annex),
            "annex_rows_in_force_fy2006": sum(r.in_force_fy2006 for r in sc.config.statute.annex),
            "nodes": g.number_of_nodes(),
            "links": g.number_of_edges(),
        },
        "population_sources": {
            "census 2005": sum(m.population for m in munis if m.population_source == "census 2005"),
            "assumption (size model, ward shares)": sum(m.population for m in munis if m.population_source != "census 2005"),
        },
        "prefectures": prefs,
        "national_bodies": national,
        "local_bodies": local,
        "private_parties": private,
        "links": links,
        "checks": [asdict(c) for c in checks],
    }


def _print_network(s: dict[str, Any]) -> None:
    c = s["counts"]
    print(f"jukinet network — scenario {s['scenario']} ({s['source']}, hash {str(s['scenario_hash'])[:12]})")
    print(f"  {c['prefectures']} prefectures, {c['municipalities']:,} municipalities (CS), population {c['population']:,}")
    print(
        f"  {c['national_bodies']} national recipient bodies, {c['local_body_kinds']} kinds of local recipient, "
        f"{c['private_parties']} private parties; {c['annex_rows']} annex rows "
        f"({c['annex_rows_in_force_fy2006']} in force in FY2006)"
    )
    print(f"  {c['nodes']:,} nodes, {c['links']:,} directed links")
    print("  population basis: " + "; ".join(f"{k} {v:,}" for k, v in dict(s["population_sources"]).items()))
    print("\n  pref  name          munis   population  designated")
    for p in s["prefectures"]:
        print(f"  {p['code']:>4}  {p['name']:<12} {p['municipalities']:>6} {p['population']:>12,} {p['designated_cities']:>11}")
    print("\n  links by kind: " + ", ".join(f"{k} {v}" for k, v in dict(s["links"]).items()))
    print("\n  soundness checks:")
    for ch in s["checks"]:
        print(f"    [{'PASS' if ch['passed'] else 'FAIL'}] {ch['id']:<22} {ch['constraint']:<4} {ch['detail']}")


def cmd_network(args: argparse.Namespace) -> int:
    summary = network_summary(args.scenario)
    if args.json:
        json.dump(summary, sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        _print_network(summary)
    return 0 if all(c["passed"] for c in summary["checks"]) else 1


def cmd_check(args: argparse.Namespace) -> int:
    sc = load(args.scenario)
    print(f"{sc.source}: valid scenario {sc.config.scenario.name!r} (hash {sc.hash[:12]})")
    return 0


def _out_dir(args: argparse.Namespace, kind: str, name: str) -> Path:
    return Path(args.out) if args.out else Path("out") / kind / name


def cmd_loadtest(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from model.plots import loadtest_plots
    from model.queueing.loadtest import loadtest, spec_for
    from model.queueing.report import loadtest_markdown, loadtest_text

    sc = load(args.scenario)
    if args.replications < 1:
        raise UserError("--replications", str(args.replications), "allowed: an integer >= 1")
    if args.volume_scale <= 0:
        raise UserError("--volume-scale", str(args.volume_scale), "allowed: a number > 0")
    spec = spec_for(sc, args.engine, args.period, args.volume_scale)
    n_days = len(spec.days) if spec.days is not None else spec.workload.cal.n_days
    inline = args.replications == 1 and args.scheduler is None
    bar = tqdm(
        total=n_days if inline else args.replications,
        unit="day" if inline else "replication",
        desc="simulated time" if inline else "replications",
        disable=None,
        file=sys.stderr,
    )
    with bar:
        res = loadtest(
            sc,
            servers=args.servers,
            replications=args.replications,
            engine=args.engine,
            seed=args.seed,
            period=args.period,
            volume_scale=args.volume_scale,
            scheduler=args.scheduler,
            workers=args.workers,
            on_done=None if inline else bar.update,
            on_day=bar.update if inline else None,
        )
    out = _out_dir(args, "loadtest", sc.config.scenario.name)
    with atomic_dir(out) as tmp:
        plots = loadtest_plots(res, tmp)
        write_json(tmp / "summary.json", res)
        (tmp / "report.md").write_text(loadtest_markdown(res, plots), encoding="utf-8")
    if args.json:
        json.dump(res, sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        print(loadtest_text(res))
        print(f"  written       {out}/report.md, summary.json, {', '.join(plots)}")
    return 0


def cmd_capacity(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from model.plots import capacity_plot
    from model.queueing.loadtest import SLO, capacity
    from model.queueing.report import capacity_markdown

    slo = SLO.parse(args.slo)
    sc = load(args.scenario)
    with tqdm(desc="server counts tried", unit="count", disable=None, file=sys.stderr) as bar:
        res = capacity(
            sc,
            slo,
            replications=args.replications,
            seed=args.seed,
            max_servers=args.max_servers,
            volume_scale=args.volume_scale,
            on_step=lambda _c: bar.update(1),
        )
    out = _out_dir(args, "capacity", sc.config.scenario.name)
    with atomic_dir(out) as tmp:
        plots = capacity_plot(res, tmp)
        write_json(tmp / "summary.json", res)
        (tmp / "report.md").write_text(capacity_markdown(res, plots), encoding="utf-8")
    if args.json:
        json.dump(res, sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        print(f"jukinet capacity — {res['scenario']}: SLO busiest-hour interactive {res['slo']} on {res['day']}")
        for row in res["curve"]:
            est = row[res["statistic"]]
            ci = f" ± {est['ci']:.2g}" if est["ci"] is not None else ""
            print(
                f"  {row['servers']:>4} servers: {res['statistic']} {est['mean']:.3g} s{ci}, utilisation "
                f"{row['utilisation']['mean']:.2f} {'meets' if row['meets'] else 'misses'}"
            )
        print(f"  fewest servers meeting the SLO: {res['servers_needed']}")
        print("  [ASSUMPTION] service times and profiles: see the report's Assumptions")
        print(f"  written       {out}/report.md, summary.json, {', '.join(plots)}")
    return 0 if res["servers_needed"] is not None else 1


def cmd_run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from model.run import execute

    if not 0 < args.scale <= 1:
        raise UserError("--scale", str(args.scale), "allowed: a number in (0, 1]")
    sc = load(args.scenario)
    out = _out_dir(args, "runs", f"{sc.config.scenario.name}-s{args.seed}")
    with tqdm(total=365, unit="day", desc="simulated time", disable=None, file=sys.stderr) as bar:
        summary = execute(sc, args.scale, args.seed, out, progress=bar.update)
    f = summary["figures"]
    if args.json:
        json.dump(summary, sys.stdout, ensure_ascii=False, indent=2)
        print()
        return 0
    print(
        f"jukinet run — {summary['scenario']}, FY{summary['fiscal_year']}, scale {summary['scale']}, seed {summary['seed']}: "
        f"{summary['residents_start']:,} residents in {summary['municipalities']:,} municipalities, "
        f"{summary['wall_seconds']:.1f} s"
    )
    for key, label in (
        ("provisions_national", "provisions to national bodies"),
        ("provisions_local", "provisions to local bodies"),
        ("copies_not_needed", "resident-record copies not needed"),
        ("existence_reports_not_needed", "pension existence reports not needed"),
    ):
        print(f"  {label:<38} {f[key]['value']:>12,}  (target {f[key]['expected']:,.0f}, {f[key]['deviation_from_target']:+.2%})")
    for key in (
        "births",
        "deaths",
        "moves_between",
        "moves_within",
        "notifications",
        "notifications_at_center",
        "cards_issued",
        "signatures_verified",
        "counter_visits_saved",
        "refusals",
    ):
        print(f"  {key.replace('_', ' '):<38} {f[key]['value']:>12,}  {f[key]['unit']}")
    print(f"  written {out}/summary.json, report.md, records/*.parquet")
    return 0


def cmd_disclose(args: argparse.Namespace) -> int:
    from model.disclose import disclose, render

    result = disclose(Path(args.run), args.code)
    if args.json:
        json.dump(result, sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        print(render(result))
    return 0


def cmd_prove(args: argparse.Namespace) -> int:
    from proofs.catalogue import prove
    from proofs.report import as_json, markdown, table

    sc = load(args.scenario)
    certs = Path(args.certificates) if args.certificates else None
    results = prove(sc, certs)
    if args.report:
        Path(args.report).write_text(markdown(results, sc.config.scenario.name, sc.hash), encoding="utf-8")
    if args.json:
        json.dump(as_json(results), sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        print(f"jukinet prove — {sc.config.scenario.name} ({sc.source}, hash {sc.hash[:12]})")
        print(table(results))
    return 0 if all(r.verdict == "PROVED" for r in results) else 1


def cmd_diff(args: argparse.Namespace) -> int:
    from proofs.diff import diff, render

    d = diff(load(args.old), load(args.new))
    if args.json:
        json.dump(d, sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        print(render(d))
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    from model.logaudit import audit, render

    res = audit(Path(args.run))
    if args.json:
        json.dump(res, sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        print(render(res))
    return 0 if res["clean"] else 1


def cmd_mutants(args: argparse.Namespace) -> int:
    from proofs.mutation import run_mutants

    res = run_mutants(with_replay=not args.no_replay)
    rows = []
    for o in res["mutants"]:
        rep = o.replay
        rows.append(
            {
                "file": o.file,
                "constraint": o.constraint,
                "verdict": o.verdict,
                "caught": o.caught,
                "evaluator": rep.evaluator if rep else None,
                "simulation": rep.simulation if rep else None,
                "evidence": rep.evidence[:1] if rep else [],
            }
        )
    if args.json:
        json.dump(
            {"mutants": rows, "score": res["score"], "caught": res["caught"], "total": res["total"]},
            sys.stdout,
            ensure_ascii=False,
            indent=2,
        )
        print()
    else:
        print("jukinet mutants — each mutant configuration must be VIOLATED on its constraint and replay")
        for r in rows:
            replay = "" if r["evaluator"] is None else f"  evaluator {r['evaluator']}, simulation {r['simulation']}"
            print(f"  {r['constraint']} {r['file']:<38} {r['verdict']:<9}{replay}")
        print(f"  mutation score {res['caught']}/{res['total']} = {res['score']:.0%}")
    return 0 if res["score"] == 1.0 else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jukinet",
        description="A testbed of Japan's Basic Resident Registry Network (Juki-net) as of FY2006: "
        "the Act and the system as data, the whole network, its soundness checks.",
        epilog="Scenarios are TOML files merged onto the embedded FY2006 defaults; see docs/scenarios.md. "
        "Bad input exits with status 2 and one line naming the file and key.",
    )
    parser.add_argument("--version", action="version", version=f"jukinet {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser(
        "network",
        help="print the whole network and its soundness checks",
        description="Print the FY2006 network: prefectures, municipalities per prefecture, population, "
        "recipient bodies, links, and the soundness checks (47 prefectures, 1,827 municipalities, "
        "census population, every CS via its own prefecture, every link meeting C13, one-way provision). "
        "Exit 0 if every check passes, 1 if one fails, 2 on bad input.",
    )
    p.add_argument("scenario", nargs="?", help="scenario TOML file (default: the embedded FY2006 defaults)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=cmd_network)
    p = sub.add_parser(
        "run",
        help="simulate the fiscal year over the whole network (the main job)",
        description="Simulate the fiscal year (FY2006: 2006-04-01 .. 2007-03-31) over every municipality, prefecture, "
        "the center, the recipient bodies and card holders, with residents scaled by --scale. Writes summary.json, "
        "report.md, plots and the records (notifications, provisions and refusals, the hash-chained access log, card "
        "and JPKI events, counter visits, residents) as Parquet into --out.",
    )
    p.add_argument("scenario", nargs="?", help="scenario TOML file (default: the embedded FY2006 defaults)")
    p.add_argument("--scale", type=float, default=0.01, help="share of residents simulated (default 0.01; 1.0 = everyone)")
    p.add_argument("--seed", type=int, default=2006, help="seed of the run's one random generator (default 2006)")
    p.add_argument("--out", help="run folder (default out/runs/NAME-sSEED)")
    p.add_argument("--json", action="store_true", help="print summary.json")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser(
        "disclose",
        help="one resident's identity information and the record of its provisions (C12)",
        description="What Art. 30-37 gives a resident who asks: their identity information as the run "
        "ends and every provision of it: when, to whom, for which affair (C12).",
    )
    p.add_argument("run", help="a run folder written by `jukinet run`")
    p.add_argument("--code", required=True, help="the resident's 11-digit code")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_disclose)
    p = sub.add_parser(
        "loadtest",
        help="a whole fiscal year of provision requests against the center",
        description="Run every provision request of the fiscal year (FY2006: 70M to national bodies + 4M to local "
        "bodies) against the center at request level, and report utilisation, waiting and response-time percentiles "
        "with 95%% confidence intervals over the year, per month, per hour of the busiest day and per class, the "
        "busiest hour's arrival rate and, if the scenario sets [center.outage], the backlog and its drain time. "
        "Writes report.md, summary.json and plots to --out.",
    )
    p.add_argument("scenario", nargs="?", help="scenario TOML file (default: the embedded FY2006 defaults)")
    p.add_argument("--servers", type=int, help="servers at the center (default: the scenario's center.servers)")
    p.add_argument("--replications", type=int, default=3, help="independent replications (default 3)")
    p.add_argument(
        "--engine",
        choices=("fast", "simpy"),
        default="fast",
        help="fast (numba, the default) or simpy (the reference; hours for a whole year: use --period busiest-day)",
    )
    p.add_argument("--period", choices=("year", "busiest-day"), default="year", help="what to simulate (default year)")
    p.add_argument("--seed", type=int, default=2006, help="base seed; replications get independent seeds from it")
    p.add_argument("--scheduler", help="address of a running Dask scheduler (default: a local cluster)")
    p.add_argument("--workers", type=int, help="local Dask workers (default: one per core, at most one per replication)")
    p.add_argument(
        "--volume-scale", type=float, default=1.0, help="scale the annual volumes (quick checks only; the report says so)"
    )
    p.add_argument("--out", help="output folder (default out/loadtest/SCENARIO_NAME)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=cmd_loadtest)
    p = sub.add_parser(
        "capacity",
        help="the fewest center servers that meet a response-time SLO in the busiest hour",
        description="Simulate the busiest business day for increasing server counts and report the fewest servers "
        "whose busiest-hour interactive response meets the SLO (judged on the upper end of the 95%% CI), with the "
        "capacity curve. Exit 0 if some count meets it, 1 if none up to --max-servers does.",
    )
    p.add_argument("scenario", nargs="?", help="scenario TOML file (default: the embedded FY2006 defaults)")
    p.add_argument(
        "--slo", default="p99<2s", help="objective, STAT<LIMIT: STAT p50|p95|p99|max, LIMIT in s or ms (default 'p99<2s')"
    )
    p.add_argument("--replications", type=int, default=5, help="replications per server count (default 5)")
    p.add_argument("--seed", type=int, default=2006, help="base seed")
    p.add_argument("--max-servers", type=int, default=256, help="search limit (default 256)")
    p.add_argument("--volume-scale", type=float, default=1.0, help="scale the annual volumes (quick checks only)")
    p.add_argument("--out", help="output folder (default out/capacity/SCENARIO_NAME)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=cmd_capacity)
    p = sub.add_parser(
        "prove",
        help="prove the constraint catalogue C01-C16 on a configuration (z3, re-checked by cvc5)",
        description="Check every constraint of the catalogue against the configuration the scenario describes: one "
        "row per constraint with its article, statement, verdict PROVED / VIOLATED / UNKNOWN and time; a VIOLATED "
        "row carries a counterexample (fields that do not matter shown as 'any') and the rules involved. Exit 0 only "
        "if all are PROVED; UNKNOWN never counts as a pass.",
    )
    p.add_argument("scenario", nargs="?", help="scenario TOML file (default: the embedded FY2006 defaults)")
    p.add_argument("--json", action="store_true", help="print a list of objects (id, verdict, counterexample, ...)")
    p.add_argument("--certificates", metavar="DIR", help="export each query as SMT-LIB2 into DIR and re-check it with cvc5")
    p.add_argument("--report", metavar="FILE", help="write the proof report (Markdown) to FILE")
    p.set_defaults(func=cmd_prove)
    p = sub.add_parser(
        "diff",
        help="what an amendment newly permits and newly forbids",
        description="List exhaustively the flows (action, requester, affair, mode), registrations, "
        "message and store items and links that NEW permits and OLD does not, and the reverse.",
    )
    p.add_argument("old", help="scenario before the amendment")
    p.add_argument("new", help="scenario after the amendment")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_diff)
    p = sub.add_parser(
        "audit",
        help="check a run's records against the constraints (C01-C16)",
        description="Verify the access log's hash chain, that every provision was authorised by the "
        "run's policy and logged, operators logged in before acting, notifications, decisions, cards, "
        "links, inspections and disclosure. Each finding names the record. Exit 0 if clean, 1 if not.",
    )
    p.add_argument("run", help="a run folder written by `jukinet run`")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_audit)
    p = sub.add_parser(
        "mutants",
        help="the mutation suite: every mutant caught on its constraint, replayed",
        description="Prove each configuration in scenarios/mutants/ and require VIOLATED on the constraint "
        "it names; replay each counterexample through the evaluator and a short simulation whose audit "
        "must show it. Prints the mutation score; exit 0 only at 100%%.",
    )
    p.add_argument("--no-replay", action="store_true", help="skip the replays (seconds instead of a minute)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_mutants)
    p = sub.add_parser("check", help="validate a scenario file", description="Load, merge and validate a scenario file.")
    p.add_argument("scenario", help="scenario TOML file")
    p.set_defaults(func=cmd_check)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] | None = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        return func(args)
    except UserError as err:
        print(f"jukinet: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and closed: not an error
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())

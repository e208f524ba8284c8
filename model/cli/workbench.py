"""`jukinet compare` and `jukinet sweep`: the analyst's workbench (model/workbench)."""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from jukinet.model.cli.capacity import out_dir
from jukinet.model.config.estimate import check_scale
from jukinet.model.config.scenario import Scenario, load
from jukinet.model.config.shipped import resolve
from jukinet.model.core.errors import UserError
from jukinet.model.core.output import atomic_dir, print_json


def _check_counts(args: argparse.Namespace, tasks: int) -> None:
    if not 1 <= args.replications <= 1000:
        raise UserError("--replications", str(args.replications), "allowed: an integer in [1, 1000]")
    if args.workers is not None and not 1 <= args.workers <= 256:
        raise UserError("--workers", str(args.workers), "allowed: an integer in [1, 256]")
    if tasks > 10_000:
        raise UserError("--param", f"{tasks} runs", "allowed: at most 10,000 runs (points x replications)")
    from jukinet.model.queueing.replicate import check_scheduler

    check_scheduler(args.scheduler)  # before any folder or run


def _workers(args: argparse.Namespace, tasks: int) -> int:
    import os

    return args.workers if args.workers is not None else max(1, min(tasks, os.cpu_count() or 1))


def _run_grid(args: argparse.Namespace, points: list[Any]) -> tuple[list[Any], list[Any], float]:
    from tqdm import tqdm

    from jukinet.model.workbench.grid import run_tasks, tasks_of

    tasks = tasks_of(points, args.replications, args.seed)
    workers = _workers(args, len(tasks))
    where = f"the Dask scheduler at {args.scheduler}" if args.scheduler else f"{workers} worker(s)"
    print(
        f"jukinet {args.command}: {len(tasks)} runs ({len(points)} x {args.replications}) at scale {args.scale} on {where}",
        file=sys.stderr,
    )
    t = time.perf_counter()
    with tqdm(total=len(tasks), unit="run", desc="runs", disable=None, file=sys.stderr) as bar:
        results = run_tasks(points, tasks, args.scale, workers, args.scheduler, on_done=bar.update)
    return tasks, results, time.perf_counter() - t


def _prove_meanwhile(args: argparse.Namespace, scs: list[Scenario]) -> Any:
    """The proofs of every scenario, in a second process while the grid runs (None with --no-prove)."""
    if args.no_prove:
        return None
    from jukinet.model.workbench.verdicts import Background, configurations

    print(
        f"jukinet {args.command}: proving {configurations(scs)} distinct configuration(s) of the year in a second process "
        "(about 12 s each; --no-prove skips)",
        file=sys.stderr,
    )
    return Background(scs)


def _grid_and_proofs(
    args: argparse.Namespace, points: list[Any], scs: list[Scenario]
) -> tuple[list[Any], list[Any], float, list[dict[str, str]]]:
    background = _prove_meanwhile(args, scs)
    try:
        tasks, results, wall = _run_grid(args, points)
        verdicts = background.result() if background is not None else []
    finally:
        if background is not None:
            background.cancel()
    return tasks, results, wall, verdicts


Section = tuple[str, list[str], list[str], list[list[str]]]


def _verdict_section(labels: list[str], verdicts: list[dict[str, str]]) -> list[Section]:
    from jukinet.model.report.html import PROOF_NOTE

    if not verdicts:
        return [("Proof verdicts", ["Not proved (--no-prove): `jukinet prove` on each scenario gives them."], [], [])]
    ids = list(dict.fromkeys(c for v in verdicts for c in v))
    rows = [[c, *(v.get(c, "-") for v in verdicts)] for c in ids]
    return [("Proof verdicts (jukinet prove, each configuration of the year)", [PROOF_NOTE], ["constraint", *labels], rows)]


def _print_verdicts(labels: list[str], verdicts: list[dict[str, str]]) -> None:
    from jukinet.model.report.html import failing

    for lb, v in zip(labels, verdicts, strict=True):
        bad = failing(v)
        print(f"  proofs, {lb}: " + ("all PROVED/CHECKED" if not bad else "; ".join(f"{c} {x}" for c, x in bad.items())))


def _settings_diff(a: Scenario, b: Scenario) -> list[list[str]]:
    """Every configured value that differs, by dotted key (the statute and policy are in the flow diff)."""

    def flat(d: Any, prefix: str = "") -> dict[str, Any]:
        if isinstance(d, dict):
            return {k: v for key, val in d.items() for k, v in flat(val, f"{prefix}{key}.").items()}
        return {prefix.rstrip("."): d}

    skip = ("statute", "policy", "scenario")
    fa = {k: v for k, v in flat(a.config.model_dump(mode="json")).items() if not k.startswith(skip)}
    fb = {k: v for k, v in flat(b.config.model_dump(mode="json")).items() if not k.startswith(skip)}
    return [[k, str(fa.get(k, "-"))[:60], str(fb.get(k, "-"))[:60]] for k in sorted(set(fa) | set(fb)) if fa.get(k) != fb.get(k)]


def cmd_compare(args: argparse.Namespace) -> int:
    from jukinet.model.workbench.grid import Point, maps_of, statistics, tidy
    from jukinet.model.workbench.replica import assumptions
    from jukinet.model.workbench.report import write_outputs
    from jukinet.proofs.diff import diff

    if len(args.scenarios) < 2:
        raise UserError("compare", " ".join(args.scenarios), "allowed: two scenario files or more")
    args.scenarios = [str(resolve(p)) for p in args.scenarios]  # a shipped scenario's name: its file
    scs = [load(p) for p in args.scenarios]  # everything the runs use is checked before they start
    for sc in scs:
        check_scale(sc, args.scale)
    _check_counts(args, len(scs) * args.replications)
    names = [sc.config.scenario.name for sc in scs]
    labels = [n if names.count(n) == 1 else f"{n}#{i + 1}" for i, n in enumerate(names)]
    out = out_dir(args, "compare", "-vs-".join(dict.fromkeys(names))[:80])
    points = [Point(lb, str(Path(p).resolve())) for lb, p in zip(labels, args.scenarios, strict=True)]
    tasks, results, wall, proved = _grid_and_proofs(args, points, scs)
    stats = statistics(points, tasks, results)
    verdicts = dict(zip(labels, proved, strict=False))
    extra = _verdict_section(labels, proved)
    diffs = []
    for lb, sc in zip(labels[1:], scs[1:], strict=True):
        d = diff(scs[0], sc)
        rows = [
            [r.get("kind", ""), "permits", ", ".join(f"{k}={v}" for k, v in r.items() if k != "kind")] for r in d["newly_permits"]
        ]
        rows += [
            [r.get("kind", ""), "forbids", ", ".join(f"{k}={v}" for k, v in r.items() if k != "kind")] for r in d["newly_forbids"]
        ]
        diffs.append(
            {"from": labels[0], "to": lb, "newly_permits": len(d["newly_permits"]), "newly_forbids": len(d["newly_forbids"])}
        )
        extra.append(
            (
                f"What {lb} newly permits and forbids against {labels[0]} (jukinet diff)",
                [f"{len(d['newly_permits'])} newly permitted, {len(d['newly_forbids'])} newly forbidden; the first 40:"],
                ["kind", "", "what"],
                rows[:40],
            )
        )
        extra.append((f"Settings that differ: {labels[0]} -> {lb}", [], ["key", labels[0], lb], _settings_diff(scs[0], sc)))
    meta = {
        "kind": "compare",
        "scenarios": ", ".join(args.scenarios),
        "replications": args.replications,
        "scale": args.scale,
        "seed": args.seed,
        "wall_seconds": round(wall, 1),
    }
    with atomic_dir(out, "compare", force=args.force) as tmp:
        write_outputs(
            tmp,
            "compare",
            f"jukinet compare — {' vs '.join(labels)}",
            {**meta, "verdicts": verdicts, "diffs": diffs},
            tidy(points, tasks, results),
            stats,
            maps_of(points, tasks, results),
            extra,
            {p.label: r["sources"] for p, r in zip(points, results, strict=False)},
            list(dict.fromkeys(a for p in args.scenarios for a in assumptions(Path(p)))),
        )
    if args.json:
        print_json({**meta, "points": stats, "verdicts": verdicts, "diffs": diffs})
        return 0
    from jukinet.model.workbench.report import figure_rows

    header, rows = figure_rows(stats)
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print(f"jukinet compare — {args.replications} replication(s) at scale {args.scale}, {wall:.0f} s")
    for r in [header, *rows]:
        print(
            "  "
            + "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
        )
    _print_verdicts(list(verdicts), proved)
    print(f"  * the difference's 95 % interval excludes 0. Written {out}/report.html, report.md, compare.json, compare.parquet")
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    from jukinet.model.workbench.grid import Point, maps_of, statistics, tidy
    from jukinet.model.workbench.replica import assumptions, parse_param, with_params
    from jukinet.model.workbench.report import figure_rows, write_outputs

    params = [parse_param(p) for p in args.param]
    keys = [k for k, _ in params]
    if len(set(keys)) != len(keys):
        raise UserError("--param", ", ".join(keys), "allowed: each key once")
    path = resolve(args.scenario)  # a file, or a shipped scenario's name
    base = load(path)
    grid = [tuple(zip(keys, combo, strict=True)) for combo in itertools.product(*(v for _, v in params))]
    runs = len(grid) * args.replications
    _check_counts(args, runs)
    from tqdm import tqdm

    from jukinet.model.config.estimate import duration, estimate

    with tempfile.TemporaryDirectory(prefix="jukinet-sweep-check-") as d:  # every point checked before any run
        scs = [with_params(path, g, Path(d)) for g in tqdm(grid, desc="points checked", disable=None, file=sys.stderr)]
    for sc in scs:
        check_scale(sc, args.scale)
    each, workers = estimate(base, args.scale).seconds, _workers(args, runs)
    print(
        f"jukinet sweep: {len(grid)} point(s) x {args.replications} replication(s) = {runs} run(s) at scale {args.scale}, "
        f"about {duration(each * runs / workers)} on {workers} worker(s) (an estimate)",
        file=sys.stderr,
    )
    name = base.config.scenario.name
    out = out_dir(args, "sweep", f"{name}-{'-'.join(k.split('.')[-1] for k in keys)}"[:80])
    points = [Point(", ".join(f"{k}={v}" for k, v in g), str(path.resolve()), g) for g in grid]
    tasks, results, wall, proved = _grid_and_proofs(args, points, scs)
    stats = statistics(points, tasks, results)
    labels = [p.label for p in points]
    verdicts = dict(zip(labels, proved, strict=False))
    meta = {
        "kind": "sweep",
        "scenario": str(path),
        "parameters": "; ".join(args.param),
        "replications": args.replications,
        "scale": args.scale,
        "seed": args.seed,
        "workers": args.scheduler or _workers(args, len(tasks)),
        "wall_seconds": round(wall, 1),
    }
    with atomic_dir(out, "sweep", force=args.force) as tmp:
        write_outputs(
            tmp,
            "sweep",
            f"jukinet sweep — {name} over {', '.join(keys)}",
            {**meta, "verdicts": verdicts},
            tidy(points, tasks, results),
            stats,
            maps_of(points, tasks, results),
            _verdict_section(labels, proved),
            {"sweep": results[0]["sources"]},
            assumptions(path),
            sweep_key=keys[0],
        )
    if args.json:
        print_json({**meta, "points": stats, "verdicts": verdicts})
        return 0
    header, rows = figure_rows(stats)
    print(f"jukinet sweep — {len(points)} points x {args.replications} replication(s) at scale {args.scale}, {wall:.0f} s")
    for r in rows:
        print(f"  {r[0]:<50} " + " | ".join(r[2 : 2 + len(points)]))
    print(f"  points: {' | '.join(labels)}")
    _print_verdicts(list(verdicts), proved)
    print(f"  written {out}/report.html, report.md, sweep.parquet, sweep.csv, sweep.json")
    return 0

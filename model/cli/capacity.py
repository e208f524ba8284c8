"""`jukinet loadtest` and `jukinet capacity`: the center at national volume."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jukinet.model.config.estimate import check_memory, loadtest_memory
from jukinet.model.config.scenario import Scenario, load
from jukinet.model.core.errors import UserError
from jukinet.model.core.output import atomic_dir, check_target, print_json, write_json


def out_dir(args: argparse.Namespace, kind: str, name: str) -> Path:
    """The command's result folder, checked before any work starts (model.core.output.check_target)."""
    out = Path(args.out) if args.out else Path("out") / ("runs" if kind == "run" else kind) / name
    check_target(out, kind, force=args.force)
    return out


MAX_VOLUME_SCALE = 1000  # a thousand FY2006 volumes; the memory check refuses far less on any machine of today


def _check_volume(sc: Scenario, volume_scale: float) -> None:
    """The volume scale is a finite positive number and the busiest day fits this machine's memory."""
    if not (math.isfinite(volume_scale) and 0 < volume_scale <= MAX_VOLUME_SCALE):
        raise UserError("--volume-scale", str(volume_scale), f"allowed: more than 0 and at most {MAX_VOLUME_SCALE:,}")
    check_memory(loadtest_memory(sc, volume_scale), "the load test's busiest day", "--volume-scale")


BOUNDS = {"--servers": 10_000, "--max-servers": 10_000, "--replications": 1_000, "--workers": 256}


def _check_counts(args: argparse.Namespace) -> None:
    """Each count option given is a whole number from 1 to its bound (0 servers ran as the scenario's 4; -1 was a
    traceback; a billion servers ran out of memory in silence)."""
    for option, top in BOUNDS.items():
        value = getattr(args, option[2:].replace("-", "_"), None)
        if value is not None and not 1 <= value <= top:
            raise UserError(option, str(value), f"allowed: an integer from 1 to {top:,}")


def _write(
    out: Path,
    kind: str,
    res: dict[str, Any],
    plot: Callable[[dict[str, Any], Path], list[str]],
    markdown: Callable[[dict[str, Any], list[str]], str],
    force: bool = False,
) -> list[str]:
    """The result folder, whole: plots, summary.json and report.md; returns the plots' names."""
    with atomic_dir(out, kind, force=force) as tmp:
        plots = plot(res, tmp)
        write_json(tmp / "summary.json", res)
        (tmp / "report.md").write_text(markdown(res, plots), encoding="utf-8")
    return plots


def cmd_loadtest(args: argparse.Namespace) -> int:
    if getattr(args, "live", None):  # a running `jukinet serve`, not the queueing model (model/cli/live.py)
        from jukinet.model.cli.live import cmd_loadtest_live

        return cmd_loadtest_live(args)
    from tqdm import tqdm

    from jukinet.model.queueing.loadtest import loadtest, spec_for
    from jukinet.model.queueing.replicate import check_scheduler
    from jukinet.model.report.loadtest import loadtest_markdown, loadtest_text
    from jukinet.model.report.plots import loadtest_plots

    _check_counts(args)
    sc = load(args.scenario)
    _check_volume(sc, args.volume_scale)
    check_scheduler(args.scheduler)  # before any folder or run
    out = out_dir(args, "loadtest", sc.config.scenario.name)
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
    plots = _write(out, "loadtest", res, loadtest_plots, loadtest_markdown, args.force)
    if args.json:
        print_json(res)
    else:
        print(loadtest_text(res))
        print(f"  written       {out}/report.md, summary.json, {', '.join(plots)}")
    return 0


def cmd_capacity(args: argparse.Namespace) -> int:
    if getattr(args, "service_times", None):  # measured by `jukinet loadtest --live` (model/cli/live.py)
        from jukinet.model.cli.live import cmd_capacity_measured

        return cmd_capacity_measured(args)
    from tqdm import tqdm

    from jukinet.model.queueing.loadtest import SLO, capacity
    from jukinet.model.queueing.replicate import check_scheduler
    from jukinet.model.report.loadtest import capacity_markdown
    from jukinet.model.report.plots import capacity_plot

    slo = SLO.parse(args.slo)
    _check_counts(args)
    sc = load(args.scenario)
    _check_volume(sc, args.volume_scale)
    check_scheduler(getattr(args, "scheduler", None))  # before any folder or run
    out = out_dir(args, "capacity", sc.config.scenario.name)
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
    plots = _write(out, "capacity", res, capacity_plot, capacity_markdown, args.force)
    if args.json:
        print_json(res)
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

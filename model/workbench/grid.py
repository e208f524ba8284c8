"""A grid of replications (scenarios or parameter values x replications), run inline or on Dask, and
its statistics: mean and 95 % t-interval per point and figure, and paired differences.

Every point uses the same seeds (common random numbers: replication i of every point starts from the same
seed), so a difference between two points is measured within each replication and its interval is
narrower than the two intervals suggest.  The table is assembled in task order, so it is the same on one
worker, on two, or on a cluster given by address."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from jukinet.model.queueing.replicate import dask_map, interval, seeds
from jukinet.model.workbench.replica import METRICS, run_replica


@dataclass(frozen=True)
class Point:
    """One configuration of the grid: a label, its scenario file and parameter values."""

    label: str
    path: str
    params: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class Task:
    point: int
    replication: int
    seed: int
    maps: bool


def tasks_of(points: Sequence[Point], replications: int, base_seed: int) -> list[Task]:
    ss = seeds(base_seed, replications)
    return [Task(p, r, ss[r], r == 0) for p in range(len(points)) for r in range(replications)]


def run_tasks(
    points: Sequence[Point],
    tasks: Sequence[Task],
    scale: float,
    workers: int = 1,
    scheduler: str | None = None,
    on_done: Callable[[int], None] | None = None,
) -> list[dict[str, Any]]:
    """Each task's result, in task order: inline with one worker, else on a local Dask cluster of `workers`
    single-threaded processes, or on the scheduler at `scheduler` (its workers are sent the scenarios
    themselves, not file names)."""

    import tempfile
    from pathlib import Path

    from jukinet.model.config.estimate import estimate
    from jukinet.model.workbench.replica import with_params

    with tempfile.TemporaryDirectory(prefix="jukinet-grid-") as d:  # each point's scenario, built once here
        scs = [with_params(Path(p.path), p.params, Path(d)) for p in points]
    args = [(scs[t.point], scale, t.seed, t.maps) for t in tasks]
    if workers == 1 and scheduler is None:
        out = []
        for a in args:
            out.append(run_replica(*a))
            if on_done:
                on_done(1)
        return out
    # the longest runs first (their estimated seconds, events and the cards' keys, as Dask priorities), so no
    # worker is left with a long run at the end while the other idles; results still come back in task order
    cost = [round(estimate(sc, scale).seconds) for sc in scs]
    return dask_map(run_replica, args, workers, scheduler, on_done, [cost[t.point] for t in tasks])


def tidy(points: Sequence[Point], tasks: Sequence[Task], results: Sequence[dict[str, Any]]) -> pa.Table:
    """One row per (point, replication, figure): the table compare and sweep write."""
    keys = sorted({k for p in points for k, _ in p.params})
    rows: dict[str, list[Any]] = {"point": [], **{k: [] for k in keys}, "replication": [], "seed": [], "metric": [], "value": []}
    for t, res in zip(tasks, results, strict=True):
        p = points[t.point]
        given = dict(p.params)
        for m in METRICS:
            rows["point"].append(p.label)
            for k in keys:
                rows[k].append(str(given.get(k, "")))
            rows["replication"].append(t.replication)
            rows["seed"].append(t.seed)
            rows["metric"].append(m)
            rows["value"].append(float(res["metrics"][m]))
    return pa.table(rows)


def statistics(points: Sequence[Point], tasks: Sequence[Task], results: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per point: each figure's mean and interval; and each figure's paired difference from the first point."""
    values = {(t.point, t.replication): r["metrics"] for t, r in zip(tasks, results, strict=True)}
    reps = sorted({t.replication for t in tasks})
    out = []
    for i, p in enumerate(points):
        figures = {}
        for m in METRICS:
            x = [values[(i, r)][m] for r in reps]
            fig = interval(x)
            if i > 0:
                d = interval([values[(i, r)][m] - values[(0, r)][m] for r in reps])
                fig["difference"] = {"mean": d["mean"], "ci": d["ci"], "from": points[0].label}
                fig["difference"]["significant"] = bool(d["ci"] is not None and abs(d["mean"]) > d["ci"])
            figures[m] = fig
        out.append({"label": p.label, "path": p.path, "params": dict(p.params), "figures": figures})
    return out


def maps_of(points: Sequence[Point], tasks: Sequence[Task], results: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Each point's per-prefecture figures, from its first replication."""
    return {points[t.point].label: r["prefectures"] for t, r in zip(tasks, results, strict=True) if t.maps}


def fmt(fig: dict[str, Any]) -> str:
    """`mean ± half-width` (or the mean alone with one replication)."""
    m, ci = fig["mean"], fig["ci"]
    text = f"{m:,.4g}" if abs(m) < 1000 else f"{m:,.0f}"
    if ci is None:
        return text
    return text + (f" ± {ci:,.3g}" if abs(ci) < 1000 else f" ± {ci:,.0f}")


def mean_array(figs: Sequence[dict[str, Any]], key: str) -> np.ndarray:
    return np.array([f[key]["mean"] for f in figs])

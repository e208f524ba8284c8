"""One replication of a whole fiscal year of provision requests against the center.

Day by day: the workload draws the day's arrivals and service times from the run's generator,
the engine serves them (the queue carries over midnight), and the statistics are folded into
histograms (year, month, class), hourly arrays (arrivals, busy time, waits) and the exact
arrays of one focus day (the busiest, or the outage day).  Nothing per request outlives its day
except the focus day's arrays, so a 74-million-request year fits in a few hundred megabytes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from jukinet.model.queueing import fast, reference
from jukinet.model.queueing.histogram import Hist
from jukinet.model.world.calendar import DAY, HOUR
from jukinet.model.world.center import CenterConfig
from jukinet.model.world.workload import DayArrivals, Workload

CLASSES = ("interactive", "batch")
QUANTILES = {"p50": 0.50, "p95": 0.95, "p99": 0.99}


@dataclass(frozen=True)
class YearSpec:
    """What one replication runs: the workload, the center, the engine and the days."""

    workload: Workload
    center: CenterConfig
    engine: str = "fast"  # fast | simpy
    days: tuple[int, ...] | None = None  # None: the whole year


def focus_day(wl: Workload, center: CenterConfig) -> int:
    """The outage day if one is set, else the busiest business day by expected arrivals."""
    if center.outage.enabled and center.outage.day != "busiest":
        d = date.fromisoformat(center.outage.day)
        return wl.cal.days.index(d)
    return int(np.argmax((wl.int_per_day + wl.bat_per_day) * wl.cal.business))


def _stats(h: Hist) -> dict[str, float]:
    out = {k: h.quantile(q) for k, q in QUANTILES.items()}
    out.update(max=h.maximum, mean=h.mean, n=float(h.n))
    return out


def run_year(
    spec: YearSpec, seed: int, servers: int | None = None, progress: Callable[[int], None] | None = None
) -> dict[str, Any]:
    """Simulate the year (or spec.days) once with the given seed; return a JSON-able summary."""
    t_wall = time.perf_counter()
    rng = np.random.default_rng(seed)
    wl, center = spec.workload, spec.center
    c = servers or center.servers
    days = spec.days if spec.days is not None else tuple(range(wl.cal.n_days))
    focus = focus_day(wl, center)
    o = center.outage
    outage = (focus * DAY + o.start_hour * HOUR, focus * DAY + (o.start_hour + o.hours) * HOUR) if o.enabled else None
    warm_end = days[0] * DAY + center.warmup_hours * HOUR
    free = np.full(c, days[0] * DAY)
    n_days = wl.cal.n_days
    hists = {(k, m, cls): Hist() for k in ("wait", "response") for m in range(12) for cls in (0, 1)}
    arrivals = np.zeros((n_days, 24))
    busy = np.zeros((n_days, 24))
    wait_sum = np.zeros((n_days, 24))
    focus_arrays: dict[int, list[np.ndarray]] = {0: [], 1: []}
    pending = (np.empty(0), np.empty(0), np.empty(0), np.empty(0))
    n_done = [0, 0]
    # each month's first second, and the year's end: the months' slices of arrivals sorted in time
    month_starts = [float(np.flatnonzero(wl.cal.month == m)[0]) * DAY for m in range(12)] + [np.inf]
    for step, d in enumerate(days):
        day = wl.day(d, rng, center.service)
        a0 = np.concatenate([pending[0], day.a_int])
        s0 = np.concatenate([pending[1], day.s_int])
        a1 = np.concatenate([pending[2], day.a_bat])
        s1 = np.concatenate([pending[3], day.s_bat])
        last = step == len(days) - 1
        t_end = np.inf if last else (d + 1) * DAY
        if spec.engine == "fast":
            st0, st1 = fast.serve(a0, s0, a1, s1, free, t_end, outage or (np.inf, np.inf))
        else:
            st0, st1 = reference.serve(a0, s0, a1, s1, c, outage)
        for cls, a, s, st in ((0, a0, s0, st0), (1, a1, s1, st1)):
            n = len(st)
            a, s = a[:n], s[:n]  # sorted by arrival (the pending ones first): a month is a slice
            w = st - a
            cut = np.searchsorted(a, [warm_end, *month_starts])
            for m in range(12):
                lo, hi = max(cut[0], cut[1 + m]), cut[2 + m]
                if hi > lo:
                    hists[("wait", m, cls)].add(w[lo:hi])
                    hists[("response", m, cls)].add(w[lo:hi] + s[lo:hi])
            hour = _hours(a, n_days)  # every arrival is served by the year's end: counted once, when served
            arrivals += np.bincount(hour, minlength=n_days * 24).reshape(n_days, 24)
            wait_sum += np.bincount(hour, weights=w, minlength=n_days * 24).reshape(n_days, 24)
            busy += np.bincount(_hours(st, n_days), weights=s, minlength=n_days * 24).reshape(n_days, 24)
            on_focus = (a >= focus * DAY) & (a < (focus + 1) * DAY)
            if on_focus.any():
                focus_arrays[cls].append(np.stack([a[on_focus], st[on_focus], s[on_focus]]))
            n_done[cls] += n
        pending = (a0[len(st0) :], s0[len(st0) :], a1[len(st1) :], s1[len(st1) :])
        if progress is not None:
            progress(1)
    return _summarise(
        wl, c, seed, spec, hists, arrivals, busy, wait_sum, focus, focus_arrays, outage, n_done, time.perf_counter() - t_wall
    )


def _hours(t: np.ndarray, n_days: int) -> np.ndarray:
    """The hour of the year (day * 24 + hour) of each time t >= 0; times past the year fall in its last hour."""
    idx: np.ndarray = np.minimum((t * (1 / HOUR)).astype(np.int64), n_days * 24 - 1)
    return idx


def _summarise(
    wl: Workload,
    c: int,
    seed: int,
    spec: YearSpec,
    hists: dict[tuple[str, int, int], Hist],
    arrivals: np.ndarray,
    busy: np.ndarray,
    wait_sum: np.ndarray,
    focus: int,
    focus_arrays: dict[int, list[np.ndarray]],
    outage: tuple[float, float] | None,
    n_done: list[int],
    wall: float,
) -> dict[str, Any]:
    def merged(kind: str, classes: tuple[int, ...], months: range = range(12)) -> Hist:
        h = Hist()
        for m in months:
            for cls in classes:
                h = h.merge(hists[(kind, m, cls)])
        return h

    by_class = {name: {kind: _stats(merged(kind, (cls,))) for kind in ("wait", "response")} for cls, name in enumerate(CLASSES)}
    year = {kind: _stats(merged(kind, (0, 1))) for kind in ("wait", "response")}
    months = [
        {kind: _stats(merged(kind, (0, 1), range(m, m + 1))) for kind in ("wait", "response")}
        | {"interactive_response": _stats(merged("response", (0,), range(m, m + 1)))}
        for m in range(12)
    ]
    util = busy / (c * HOUR)
    # The busiest hour by expected arrivals (the same hour in every replication), among the simulated days.
    expected = wl.hourly_rate()
    simulated = np.zeros(len(expected), dtype=bool)
    simulated[list(spec.days or range(wl.cal.n_days))] = True
    bh = np.unravel_index(int(np.argmax(np.where(simulated[:, None], expected, -1.0))), expected.shape)
    fa = {cls: np.concatenate(v, axis=1) if v else np.empty((3, 0)) for cls, v in focus_arrays.items()}
    hours = []
    for h in range(24):
        lo, hi = focus * DAY + h * HOUR, focus * DAY + (h + 1) * HOUR
        row: dict[str, Any] = {"hour": h, "arrivals": float(arrivals[focus, h]), "utilisation": float(util[focus, h])}
        for cls, name in enumerate(CLASSES):
            a, st, s = fa[cls]
            sel = (a >= lo) & (a < hi)
            r = st[sel] - a[sel] + s[sel]
            row[name] = {k: float(np.quantile(r, q)) if len(r) else 0.0 for k, q in QUANTILES.items()}
            row[name]["max"] = float(r.max()) if len(r) else 0.0
            row[name]["n"] = float(len(r))
        hours.append(row)
    out: dict[str, Any] = {
        "seed": seed,
        "servers": c,
        "engine": spec.engine,
        "requests": {"interactive": n_done[0], "batch": n_done[1], "total": n_done[0] + n_done[1]},
        "year": year,
        "by_class": by_class,
        "months": months,
        "utilisation": {
            "year": float(busy.sum() / (c * DAY * len(spec.days or range(wl.cal.n_days)))),
            "busiest_hour": float(util.max()),
            "hourly": util.ravel().round(4).tolist(),
        },
        "busiest_hour": {  # the hour with the highest expected arrival rate
            "date": wl.cal.days[int(bh[0])].isoformat(),
            "hour": int(bh[1]),
            "expected_rate_per_s": float(expected[bh] / HOUR),
            "arrivals": float(arrivals[bh]),
            "rate_per_s": float(arrivals[bh] / HOUR),
            "utilisation": float(util[bh]),
            "mean_wait": float(wait_sum[bh] / arrivals[bh]) if arrivals[bh] else 0.0,
        },
        "focus_day": {"date": wl.cal.days[focus].isoformat(), "hours": hours},
        "wall_seconds": wall,
    }
    if outage is not None:
        out["outage"] = _outage(fa, outage)
    return out


def _outage(fa: dict[int, np.ndarray], outage: tuple[float, float]) -> dict[str, Any]:
    """Backlog (requests waiting) through the outage day and the time to drain it after the outage."""
    a = np.sort(np.concatenate([fa[0][0], fa[1][0]]))
    st = np.sort(np.concatenate([fa[0][1], fa[1][1]]))
    t0, t1 = outage
    after = st[st >= t1]
    backlog_after = np.searchsorted(a, after, side="right") - np.searchsorted(st, after, side="right")
    empty = np.flatnonzero(backlog_after <= 0)
    drained = float(after[empty[0]]) if len(empty) else float("nan")
    grid = np.arange(t0 - HOUR, (drained if np.isfinite(drained) else t1) + HOUR, 60.0)
    series = np.searchsorted(a, grid, side="right") - np.searchsorted(st, grid, side="right")
    return {
        "start_s": t0,
        "end_s": t1,
        "peak_backlog": int(series.max()) if len(series) else 0,
        "drain_seconds_after_end": drained - t1 if np.isfinite(drained) else None,
        "backlog_minutes": {"t0": float(grid[0]), "step_s": 60.0, "values": series.astype(int).tolist()},
    }


def identical_waits(spec: YearSpec, seed: int, day: int, servers: int | None = None) -> dict[str, Any]:
    """Run both engines on one shared random stream (one day's arrays) and compare every wait."""
    wl, center = spec.workload, spec.center
    c = servers or center.servers
    rng = np.random.default_rng(seed)
    arr: DayArrivals = wl.day(day, rng, center.service)
    fast.serve(arr.a_int[:1], arr.s_int[:1], arr.a_bat[:1], arr.s_bat[:1], np.zeros(c))  # load the compiled code first
    t = time.perf_counter()
    f0, f1 = fast.serve(arr.a_int, arr.s_int, arr.a_bat, arr.s_bat, np.full(c, day * DAY))
    t_fast = time.perf_counter() - t
    t = time.perf_counter()
    r0, r1 = reference.serve(arr.a_int, arr.s_int, arr.a_bat, arr.s_bat, c)
    t_simpy = time.perf_counter() - t
    diff = max(float(np.abs(f0 - r0).max(initial=0)), float(np.abs(f1 - r1).max(initial=0)))
    return {
        "requests": len(f0) + len(f1),
        "max_abs_difference_s": diff,
        "identical": diff <= 1e-9,
        "fast_seconds": t_fast,
        "simpy_seconds": t_simpy,
    }

"""A live load test's result: throughput, per-kind latency percentiles with intervals, answers and errors, and
the measured service-time file (`service_times.json`) that `jukinet capacity --service-times` reads."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from jukinet.model import __version__
from jukinet.model.live.loadgen import Outcome
from jukinet.model.live.stats import fmt_ci, service_distribution, summary
from jukinet.model.live.workmix import Mix, Plan

FILE_KIND = "jukinet live service times"
CLASSES = {"interactive": "interactive:", "batch": "batch:"}  # the queueing model's two classes, by kind prefix


def result(
    out: Outcome, p: Plan, mix: Mix, took: float, address: str, info: dict[str, Any], connections: int, fiscal_year: int
) -> dict[str, Any]:
    answered = sum(len(v) for v in out.latency.values())
    kinds = {k: {**summary(out.latency[k]), "answers": out.answers.get(k, {})} for k in sorted(out.latency)}
    every: list[float] = [x for v in out.latency.values() for x in v]
    return {
        "kind": "jukinet live load test",
        "version": __version__,
        "address": address,
        "served": {k: info.get(k) for k in ("scenario", "scale", "seed", "residents")},
        "hour": mix.describe(fiscal_year),
        "hour_requests": mix.per_hour,
        "compression": p.compression,
        "offered_rps": p.rate,
        "planned": int(len(p.times)),
        "answered": answered,
        "seconds": took,
        "throughput_rps": answered / took if took > 0 else 0.0,
        "connections": connections,
        "all": summary(every),
        "kinds": kinds,
        "errors": dict(out.errors),
        "error_count": int(sum(out.errors.values())),
    }


def service_times(out: Outcome, res: dict[str, Any], seed: int) -> dict[str, Any]:
    """The measured service time per request kind and per class of the queueing model: the time the server's
    desk spent on each request (decision, store lookup, answer; not the wait for the log's fsync, which is
    shared by a batch)."""
    rng = np.random.default_rng(seed)
    classes = {}
    for name, prefix in CLASSES.items():
        xs = [x for k, v in out.service.items() if k.startswith(prefix) for x in v]
        classes[name] = service_distribution(xs, rng)
    return {
        "kind": FILE_KIND,
        "version": __version__,
        "measured": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "address": res["address"],
        "served": res["served"],
        "offered_rps": res["offered_rps"],
        "throughput_rps": res["throughput_rps"],
        "classes": classes,
        "kinds": {k: service_distribution(v, rng) for k, v in sorted(out.service.items())},
    }


def text(res: dict[str, Any]) -> str:
    s = res["served"]
    lines = [
        f"jukinet loadtest --live {res['address']}: {s['scenario']} at scale {s['scale']} ({s['residents']:,} residents)",
        f"  hour          FY2006 {res['hour']}; compression {res['compression']:.4g}x -> "
        f"{res['offered_rps']:.1f} requests/s offered",
        f"  answered      {res['answered']:,} of {res['planned']:,} in {res['seconds']:.1f} s over "
        f"{res['connections']} connections: "
        f"{res['throughput_rps']:.1f} requests/s",
        f"  {'kind':<28} {'n':>7}  {'p50 [95% CI]':<26} {'p95 [95% CI]':<26} {'p99 [95% CI]':<26}",
    ]
    for k, v in [*res["kinds"].items(), ("all", res["all"])]:
        lines.append(f"  {k:<28} {v['n']:>7}  {fmt_ci(v['p50']):<26} {fmt_ci(v['p95']):<26} {fmt_ci(v['p99']):<26}")
    answers: dict[str, int] = {}
    for v in res["kinds"].values():
        for t, n in v["answers"].items():
            answers[t] = answers.get(t, 0) + n
    lines.append("  answers       " + ", ".join(f"{t} {n:,}" for t, n in sorted(answers.items())))
    errors = ", ".join(f"{k} {n:,}" for k, n in sorted(res["errors"].items())) or "none"
    lines.append(f"  errors        {errors}")
    return "\n".join(lines)

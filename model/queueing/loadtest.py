"""The load test and the capacity search, assembled from a scenario.

Every figure of the workload and the center that no source confirms is listed in the result
under `assumptions`, with its value, so the report that prints it carries the label.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jukinet.model.config.scenario import Scenario
from jukinet.model.core.errors import UserError
from jukinet.model.core.meta import stamp
from jukinet.model.queueing.replicate import aggregate, interval, replicate, seeds
from jukinet.model.queueing.year import YearSpec, focus_day, run_year
from jukinet.model.world.workload import Workload

ASSUMPTIONS = {
    "center.servers": "servers at the center for provision",
    "center.service.interactive_mean": "seconds per interactive lookup (lognormal)",
    "center.service.interactive_cv": "coefficient of variation of interactive service",
    "center.service.batch_mean": "seconds per batch record (lognormal)",
    "center.service.batch_cv": "coefficient of variation of batch service",
    "workload.month_weight": "month weights April..March (moving season)",
    "workload.hour_weight": "hour-of-day weights of interactive lookups",
    "workload.non_business_day_weight": "weekend/holiday demand relative to a business day",
    "workload.batch_window": "batch matching window on business days",
    "workload.volume.cohort_20": "20-year-old cohort by batch",
    "workload.volume (split)": "existence checks and copies replaced counted inside the 70M national provisions",
}


def assumptions(sc: Scenario) -> dict[str, Any]:
    cfg = sc.config
    values: dict[str, Any] = {
        "center.servers": cfg.center.servers,
        "center.service.interactive_mean": cfg.center.service.interactive_mean,
        "center.service.interactive_cv": cfg.center.service.interactive_cv,
        "center.service.batch_mean": cfg.center.service.batch_mean,
        "center.service.batch_cv": cfg.center.service.batch_cv,
        "workload.month_weight": list(cfg.workload.month_weight),
        "workload.hour_weight": list(cfg.workload.hour_weight),
        "workload.non_business_day_weight": cfg.workload.non_business_day_weight,
        "workload.batch_window": cfg.workload.batch_window.model_dump(),
        "workload.volume.cohort_20": cfg.workload.volume.cohort_20,
        "workload.volume (split)": "inside national",
    }
    return {k: {"value": values[k], "meaning": v, "label": "ASSUMPTION"} for k, v in ASSUMPTIONS.items()}


def spec_for(sc: Scenario, engine: str = "fast", period: str = "year", volume_scale: float = 1.0) -> YearSpec:
    wl = Workload.build(sc.config.workload, sc.config.scenario.fiscal_year, volume_scale)
    if period == "year":
        days = None
    elif period == "busiest-day":
        days = (focus_day(wl, sc.config.center),)
    else:
        raise UserError("--period", period, "allowed: year, busiest-day")
    return YearSpec(wl, sc.config.center, engine, days)


def loadtest(
    sc: Scenario,
    *,
    servers: int | None,
    replications: int,
    engine: str,
    seed: int,
    period: str,
    volume_scale: float,
    scheduler: str | None,
    workers: int | None,
    on_done: Callable[[int], None] | None = None,
    on_day: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Run the load test; return the stamped, aggregated result."""
    spec = spec_for(sc, engine, period, volume_scale)
    seed_list = seeds(seed, replications)
    runs = replicate(spec, seed_list, servers, scheduler, workers, on_done=on_done, on_day=on_day)
    vol = sc.config.workload.volume
    return {
        "kind": "loadtest",
        **stamp(sc.config.scenario.name, sc.hash, seed),
        "replication_seeds": seed_list,
        "engine": engine,
        "period": period,
        "volume_scale": volume_scale,
        "servers": servers or sc.config.center.servers,
        "volumes": {
            "national": vol.national,
            "local": vol.local,
            "existence_checks": vol.existence_checks,
            "cohort_20": vol.cohort_20,
            "interactive": vol.interactive,
            "batch": vol.batch,
            "sources": "national, local, existence_checks: FY2006 figures of the mission's source document "
            "(MIC, FY2006 operation of Juki-net; docs/sources.md); cohort_20: ASSUMPTION",
        },
        "outage_enabled": sc.config.center.outage.enabled,
        "assumptions": assumptions(sc),
        "result": aggregate(runs),
    }


@dataclass(frozen=True)
class SLO:
    """A service-level objective on the busiest hour, e.g. p99 < 2 s."""

    statistic: str  # p50 | p95 | p99 | max
    limit_s: float
    text: str

    @staticmethod
    def parse(text: str) -> SLO:
        m = re.fullmatch(r"\s*(p50|p95|p99|max)\s*<\s*(\d+(?:\.\d+)?)\s*(ms|s)\s*", text)
        if m is None:
            raise UserError(
                "--slo", text, "expected STAT<LIMIT with STAT one of p50, p95, p99, max and LIMIT in s or ms, e.g. 'p99<2s'"
            )
        limit = float(m.group(2)) / (1000 if m.group(3) == "ms" else 1)
        if not 0 < limit <= 86_400:
            raise UserError("--slo", text, "allowed: a LIMIT of more than 0 and at most a day (86400s), e.g. 'p99<2s'")
        return SLO(m.group(1), limit, text.strip())


def capacity(
    sc: Scenario,
    slo: SLO,
    *,
    replications: int,
    seed: int,
    max_servers: int = 256,
    volume_scale: float = 1.0,
    on_step: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """The fewest servers whose busiest-hour interactive response meets the SLO (upper CI bound).

    Each candidate runs the busiest business day `replications` times (seeds shared across
    candidates, so the curve compares like with like).
    """
    spec = spec_for(sc, "fast", "busiest-day", volume_scale)
    wl = spec.workload
    seed_list = seeds(seed, replications)
    d = spec.days[0] if spec.days else 0
    svc = sc.config.center.service
    total = wl.hourly_rate()[d]
    interactive = wl.int_per_day[d] * wl.hour_share
    peak_load = float(((interactive * svc.interactive_mean + (total - interactive) * svc.batch_mean) / 3600).max())
    c = max(1, math.floor(peak_load))
    rows: list[dict[str, Any]] = []
    best: int | None = None
    while c <= max_servers:
        runs = [run_year(spec, s, c) for s in seed_list]
        hour = max(runs[0]["focus_day"]["hours"], key=lambda h: h["arrivals"])["hour"]
        values = [r["focus_day"]["hours"][hour]["interactive"][slo.statistic] for r in runs]
        est = interval(values)
        upper = est["mean"] + (est["ci"] or 0.0)
        util = interval([r["focus_day"]["hours"][hour]["utilisation"] for r in runs])
        meets = upper < slo.limit_s
        rows.append({"servers": c, "busiest_hour": hour, slo.statistic: est, "upper": upper, "utilisation": util, "meets": meets})
        if on_step:
            on_step(c)
        if meets and best is None:
            best = c
        if best is not None and c >= best + 2:
            break
        c += 1
    return {
        "kind": "capacity",
        **stamp(sc.config.scenario.name, sc.hash, seed),
        "slo": slo.text,
        "statistic": slo.statistic,
        "limit_s": slo.limit_s,
        "day": wl.cal.days[d].isoformat(),
        "peak_offered_load_erlang": peak_load,
        "replications": replications,
        "volume_scale": volume_scale,
        "servers_needed": best,
        "curve": rows,
        "assumptions": assumptions(sc),
    }

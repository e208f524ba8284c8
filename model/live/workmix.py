"""What the live load test sends: the FY2006 workload (model.world.workload.Workload, the generator the run and
the queueing load test share) at one hour of the year, compressed in time: open-loop Poisson arrivals at that
hour's rate times the compression, its mix of interactive lookups (by the key sets and weights of
`[provision] lookup_keys`) and batch existence checks, and the operator errors the center refuses
(`[provision] refusal_rate`: an affair the body is not registered for).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from jukinet.model.config.scenario import Scenario
from jukinet.model.core.errors import UserError
from jukinet.model.world.workload import Workload

HOURS = ("busiest", "busiest-interactive")
MAX_REQUESTS = 2_000_000  # arrivals one load test plans, at most


@dataclass(frozen=True)
class Mix:
    """One hour of the year: its arrivals per hour and the share of each request kind."""

    day: int
    hour: int
    per_hour: float  # requests in that hour of FY2006, at national volume
    kinds: tuple[str, ...]  # interactive:KEYS | batch:existence_check | refused:unlisted_affair
    p: np.ndarray
    key_sets: tuple[tuple[str, ...], ...]

    @staticmethod
    def of(sc: Scenario, hour: str = "busiest") -> Mix:
        cfg = sc.config
        wl = Workload.build(cfg.workload, cfg.scenario.fiscal_year)
        total = wl.hourly_rate()
        interactive = wl.int_per_day[:, None] * wl.hour_share[None, :]
        if hour not in HOURS:
            raise UserError("--hour", hour, f"allowed: {', '.join(HOURS)}")
        d, h = np.unravel_index(int(np.argmax(total if hour == "busiest" else interactive)), total.shape)
        n_int, n_all = float(interactive[d, h]), float(total[d, h])
        p = cfg.provision
        weights = np.asarray(p.lookup_key_weights, dtype=float)
        weights = weights / weights.sum()
        share_int = n_int / n_all if n_all else 1.0
        err = p.refusal_rate * share_int
        key_sets = tuple(tuple(k) for k in p.lookup_keys)
        kinds = (*(f"interactive:{','.join(k)}" for k in key_sets), "batch:existence_check", "refused:unlisted_affair")
        probs = np.array([*(share_int * (1 - p.refusal_rate) * weights), 1 - share_int, err])
        return Mix(int(d), int(h), n_all, kinds, probs / probs.sum(), key_sets)

    def describe(self, fiscal_year: int) -> str:
        date = np.datetime64(f"{fiscal_year}-04-01") + np.timedelta64(self.day, "D")
        return f"{date} {self.hour:02d}:00-{self.hour + 1:02d}:00, {self.per_hour:,.0f} requests in the hour"


@dataclass(frozen=True)
class Plan:
    """The arrivals of one load test: times (s from its start), kinds (index into Mix.kinds), subjects (rows)."""

    times: np.ndarray
    kinds: np.ndarray
    subjects: np.ndarray
    rate: float  # arrivals per second
    compression: float  # seconds of FY2006's hour per second of the test


def plan(
    mix: Mix, duration: float, residents: int, rng: np.random.Generator, rate: float | None, compression: float | None
) -> Plan:
    """Open-loop arrivals over `duration` seconds at `rate` per second, or at the hour's rate times `compression`."""
    given = "--rate" if rate is not None else "--compression"
    value = rate if rate is not None else (compression if compression is not None else 1.0)
    if not (np.isfinite(value) and value > 0):
        raise UserError(given, str(value), "allowed: a number > 0")
    if rate is None:
        rate = mix.per_hour / 3600 * value
    compression = rate * 3600 / mix.per_hour
    n = int(min(rate * duration * 1.2 + 50, MAX_REQUESTS))
    times = np.cumsum(rng.exponential(1 / rate, n))
    times = times[times < duration]
    k = len(times)
    return Plan(times, rng.choice(len(mix.kinds), k, p=mix.p), rng.integers(0, residents, k), float(rate), float(compression))

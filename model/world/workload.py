"""Provision requests to the center over a fiscal year: volumes, calendar, profiles, batches.

Annual volumes come from the scenario (`[workload]`, each with its source); they are spread
over the fiscal calendar by month weights (the March-April moving season), business days,
hour-of-day weights (office hours), and the batch-matching schedule.  Interactive requests
are a non-homogeneous Poisson process (piecewise constant per hour); batch requests are fed at
a constant rate inside their window on business days.  Everything random comes from one
`numpy.random.Generator` passed in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pydantic import Field, model_validator

from jukinet.model.core.frozen import Frozen
from jukinet.model.world.calendar import DAY, HOUR, FiscalCalendar


class Volumes(Frozen):
    """Provisions per fiscal year (the mission's source document; docs/sources.md)."""

    national: int = Field(ge=0)  # all provisions to national bodies (annex 1)
    local: int = Field(ge=0)  # provisions to local public bodies (annex 2-5)
    existence_checks: int = Field(ge=0)  # pension existence checks by batch matching, part of `national`
    cohort_20: int = Field(ge=0)  # the 20-year-old cohort for the National Pension, batch, part of `national`
    # lookups that replaced a resident-record copy: part of `national` and `local` as [provision]
    # copy_replacing_rows fall in annex 1 or annexes 2-5 (`others`)
    copies_replaced: int = Field(ge=0)

    @model_validator(mode="after")
    def _parts_fit(self) -> Volumes:
        if self.existence_checks + self.cohort_20 > self.national:
            raise ValueError("existence_checks + cohort_20 exceed national")
        return self

    def others(self, copies_national_share: float) -> tuple[float, float]:
        """The interactive provisions that replace no copy, to national and to local bodies, when that share
        of the copy-replacing lookups is made by national bodies and the rest by local ones."""
        copies_national = self.copies_replaced * copies_national_share
        return (
            self.national - self.batch - copies_national,
            self.local - (self.copies_replaced - copies_national),
        )

    @property
    def batch(self) -> int:
        return self.existence_checks + self.cohort_20

    @property
    def interactive(self) -> int:
        return self.national + self.local - self.batch


class BatchWindow(Frozen):
    start_hour: float = Field(ge=0, lt=24)
    hours: float = Field(gt=0, le=24)


class WorkloadConfig(Frozen):
    """The `[workload]` section."""

    volume: Volumes
    month_weight: tuple[float, ...] = Field(min_length=12, max_length=12)  # April .. March
    hour_weight: tuple[float, ...] = Field(min_length=24, max_length=24)  # 00:00 .. 23:00, business days
    non_business_day_weight: float = Field(ge=0)
    batch_window: BatchWindow
    # the year's existence checks by fiscal month, April .. March (FY2006: from October, by birth month)
    existence_month_weight: tuple[float, ...] = Field(min_length=12, max_length=12)

    @model_validator(mode="after")
    def _some_month(self) -> WorkloadConfig:
        if sum(self.existence_month_weight) <= 0 or min(self.existence_month_weight) < 0:
            raise ValueError("existence_month_weight: 12 weights >= 0, not all 0")
        return self


@dataclass(frozen=True, slots=True)
class DayArrivals:
    """One day's requests: arrival times (seconds since the fiscal year's start) and service times."""

    day: int
    a_int: np.ndarray
    s_int: np.ndarray
    a_bat: np.ndarray
    s_bat: np.ndarray


class ServiceTimes(Frozen):
    """Lognormal service times by class, given by mean (s) and coefficient of variation."""

    interactive_mean: float = Field(gt=0)
    interactive_cv: float = Field(ge=0)
    batch_mean: float = Field(gt=0)
    batch_cv: float = Field(ge=0)
    # seconds a hub adds to every provision to translate the code into the body's own code ([identifiers]
    # scheme = "agency_codes", the My Number design); 0 under FY2006's common code
    translation_s: float = Field(default=0.0, ge=0, le=60)


def lognormal(rng: np.random.Generator, mean: float, cv: float, n: int) -> np.ndarray:
    """n lognormal draws with the given mean and coefficient of variation (cv = 0: constant)."""
    if cv == 0:
        return np.full(n, mean)
    sigma2 = np.log1p(cv * cv)
    return rng.lognormal(np.log(mean) - sigma2 / 2, np.sqrt(sigma2), n)


@dataclass(frozen=True)
class Workload:
    """The center's load, one generator for the whole-network run (model/sim/provision.py) and the
    load test (model/queueing/year.py): expected interactive requests per day and hour (Poisson,
    uniform inside the hour), and the batch: each month's existence checks (its share by
    `existence_month_weight`) spread evenly over its business days, the month's 20-year-old
    cohort on its first business day, both fed evenly over
    the batch window."""

    cal: FiscalCalendar
    cfg: WorkloadConfig
    int_per_day: np.ndarray  # expected interactive requests per day
    exist_per_day: np.ndarray  # existence checks per day (exact)
    cohort_per_day: np.ndarray  # the 20-year-old cohort per day (exact; on each month's first business day)
    hour_share: np.ndarray  # interactive share of each hour in a day (sums to 1)

    @property
    def bat_per_day(self) -> np.ndarray:
        """Batch requests per day (exact)."""
        out: np.ndarray = self.exist_per_day + self.cohort_per_day
        return out

    @staticmethod
    def build(cfg: WorkloadConfig, fiscal_year: int, volume_scale: float = 1.0) -> Workload:
        cal = FiscalCalendar.of(fiscal_year)
        mw = np.asarray(cfg.month_weight)[cal.month]
        day_w = mw * np.where(cal.business, 1.0, cfg.non_business_day_weight)
        int_per_day = cfg.volume.interactive * volume_scale * day_w / day_w.sum()
        # Batch: each month's share of the annual existence checks (`existence_month_weight`), spread evenly
        # over its business days; the month's share of the cohort on its first business day.
        exist = np.zeros(cal.n_days)
        cohort = np.zeros(cal.n_days)
        ew = np.asarray(cfg.existence_month_weight) / sum(cfg.existence_month_weight)
        for m in range(12):
            days = np.flatnonzero((cal.month == m) & cal.business)
            exist[days] = cfg.volume.existence_checks * volume_scale * ew[m] / len(days)
            cohort[days[0]] = cfg.volume.cohort_20 * volume_scale / 12
        hw = np.asarray(cfg.hour_weight)
        return Workload(cal, cfg, int_per_day, _round_preserving_total(exist), _round_preserving_total(cohort), hw / hw.sum())

    def interactive_times(self, d: int, rng: np.random.Generator) -> np.ndarray:
        """Day d's interactive arrivals: Poisson counts per hour, uniform inside the hour, sorted.  The k arrivals of
        an hour are drawn sorted, as the k uniform order statistics are: the partial sums of k + 1 exponential gaps
        over their total (no sort; 3 times faster)."""
        counts = rng.poisson(self.int_per_day[d] * self.hour_share)
        c = np.cumsum(rng.standard_exponential(int(counts.sum()) + 24))
        ends = np.cumsum(counts + 1) - 1  # each hour's last gap: it closes the hour
        base = np.concatenate(([0.0], c[ends[:-1]]))
        inside = np.ones(len(c), dtype=bool)
        inside[ends] = False
        hour = np.repeat(np.arange(24), counts)
        out: np.ndarray = d * DAY + (hour + (c[inside] - base[hour]) / (c[ends] - base)[hour]) * HOUR
        return out

    def batch_times(self, d: int, n: int) -> np.ndarray:
        """Arrival times of n batch requests fed on day d: evenly over the batch window."""
        w = self.cfg.batch_window
        out: np.ndarray = d * DAY + w.start_hour * HOUR + np.arange(n) * (w.hours * HOUR / max(n, 1))
        return out

    def hourly_rate(self) -> np.ndarray:
        """Expected arrivals per hour (interactive + batch), shape (days, 24)."""
        rate: np.ndarray = self.int_per_day[:, None] * self.hour_share[None, :]
        w = self.cfg.batch_window
        for d in range(self.cal.n_days):
            if self.bat_per_day[d]:
                per_s = self.bat_per_day[d] / (w.hours * HOUR)
                for h in range(24 * 2):
                    lo, hi = h * HOUR, (h + 1) * HOUR
                    overlap = max(0.0, min(hi, (w.start_hour + w.hours) * HOUR) - max(lo, w.start_hour * HOUR))
                    if overlap:
                        dd, hh = d + h // 24, h % 24
                        if dd < self.cal.n_days:
                            rate[dd, hh] += per_s * overlap
        return rate

    def day(self, d: int, rng: np.random.Generator, svc: ServiceTimes) -> DayArrivals:
        """Day d's arrivals and service times: `interactive_times`, then the day's batch (`batch_times`)."""
        a_int = self.interactive_times(d, rng)
        n_b = int(self.bat_per_day[d])
        a_bat = self.batch_times(d, n_b)
        s_int = lognormal(rng, svc.interactive_mean, svc.interactive_cv, len(a_int)) + svc.translation_s
        s_bat = lognormal(rng, svc.batch_mean, svc.batch_cv, n_b) + svc.translation_s
        return DayArrivals(d, a_int, s_int, a_bat, s_bat)


def _round_preserving_total(x: np.ndarray) -> np.ndarray:
    """Integers close to x whose sum equals round(sum(x)) (largest remainder)."""
    base = np.floor(x)
    short = int(round(x.sum() - base.sum()))
    if short > 0:
        base[np.argsort(x - base)[::-1][:short]] += 1
    out: np.ndarray = base.astype(np.int64)
    return out

"""The fiscal-year calendar: days, business days, public holidays, year-end closure.

FY2006 runs 2006-04-01 .. 2007-03-31.  Public holidays from the National Holidays Act
(国民の祝日に関する法律) as in force in 2006 (Cabinet Office holiday list for 2006 and 2007);
government offices also close 12-29 .. 01-03 (Act on Holidays of Administrative Organs, 行政機関の休日に関する法律).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

HOLIDAYS: dict[int, tuple[str, ...]] = {
    2006: (
        "2006-04-29",
        "2006-05-03",
        "2006-05-04",
        "2006-05-05",
        "2006-07-17",
        "2006-09-18",
        "2006-09-23",
        "2006-10-09",
        "2006-11-03",
        "2006-11-23",
        "2006-12-23",
        "2007-01-01",
        "2007-01-08",
        "2007-02-12",
        "2007-03-21",
    ),
    2007: (
        "2007-04-29",
        "2007-04-30",
        "2007-05-03",
        "2007-05-04",
        "2007-05-05",
        "2007-07-16",
        "2007-09-17",
        "2007-09-23",
        "2007-09-24",
        "2007-10-08",
        "2007-11-03",
        "2007-11-23",
        "2007-12-23",
        "2007-12-24",
        "2008-01-01",
        "2008-01-14",
        "2008-02-11",
        "2008-03-20",
    ),
}
"""Public holidays falling in each fiscal year (substitute holidays included: 2007-02-12 for
2007-02-11, 2007-04-30 for 04-29, 2007-09-24 for 09-23, 2007-12-24 for 12-23)."""


@dataclass(frozen=True)
class FiscalCalendar:
    """Days of one fiscal year (April to March) and which are business days."""

    fiscal_year: int
    days: tuple[date, ...]
    business: np.ndarray  # bool per day
    month: np.ndarray  # fiscal month index 0 (April) .. 11 (March) per day

    @staticmethod
    def of(fiscal_year: int) -> FiscalCalendar:
        if fiscal_year not in HOLIDAYS:
            raise ValueError(f"no holiday calendar for FY{fiscal_year}; known: {sorted(HOLIDAYS)}")
        start, end = date(fiscal_year, 4, 1), date(fiscal_year + 1, 3, 31)
        days = tuple(start + timedelta(d) for d in range((end - start).days + 1))
        holidays = {date.fromisoformat(h) for h in HOLIDAYS[fiscal_year]}
        business = np.array([d.weekday() < 5 and d not in holidays and not _year_end(d) for d in days], dtype=bool)
        month = np.array([(d.month - 4) % 12 for d in days], dtype=np.int64)
        return FiscalCalendar(fiscal_year, days, business, month)

    @property
    def n_days(self) -> int:
        return len(self.days)


def _year_end(d: date) -> bool:
    """Government offices close from 12-29 to 01-03."""
    return (d.month == 12 and d.day >= 29) or (d.month == 1 and d.day <= 3)


MONTHS = ("Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Jan", "Feb", "Mar")

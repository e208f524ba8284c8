"""The fiscal-year calendar: days, business days, public holidays, year-end closure.

FY2006 runs 2006-04-01 .. 2007-03-31.  Public holidays of the National Holidays Act
(国民の祝日に関する法律) as in force in each year, from the `jpholiday` library (for FY2006 and
FY2007 it agrees with the Cabinet Office holiday lists; tests/test_calendar.py); government
offices also close 12-29 .. 01-03 (Act on Holidays of Administrative Organs, 行政機関の休日に関する法律).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import jpholiday
import numpy as np

# simulated time is seconds from 00:00 on April 1 of the fiscal year
DAY = 86_400.0
HOUR = 3_600.0
YEAR_S = 365.25 * DAY  # a mean year (ages, card validity)
MONTH = YEAR_S / 12  # a mean month
OFFICE = (8.5 * HOUR, 17.25 * HOUR)  # municipal counters open 08:30-17:15

FISCAL_YEARS = range(2002, 2100)  # Juki-net's first operation (August 2002) .. the holiday library's horizon


def holidays(fiscal_year: int) -> tuple[date, ...]:
    """The public holidays of a fiscal year, substitute and citizens' holidays included, from the
    maintained `jpholiday` library (the National Holidays Act as amended; equinox days computed)."""
    return tuple(d for d, _name in jpholiday.between(date(fiscal_year, 4, 1), date(fiscal_year + 1, 3, 31)))


@dataclass(frozen=True)
class FiscalCalendar:
    """Days of one fiscal year (April to March) and which are business days."""

    fiscal_year: int
    days: tuple[date, ...]
    business: np.ndarray  # bool per day
    month: np.ndarray  # fiscal month index 0 (April) .. 11 (March) per day

    @staticmethod
    def of(fiscal_year: int) -> FiscalCalendar:
        if fiscal_year not in FISCAL_YEARS:
            raise ValueError(f"no calendar for FY{fiscal_year}; allowed: {FISCAL_YEARS.start}..{FISCAL_YEARS.stop - 1}")
        start, end = date(fiscal_year, 4, 1), date(fiscal_year + 1, 3, 31)
        days = tuple(start + timedelta(d) for d in range((end - start).days + 1))
        off = set(holidays(fiscal_year))
        business = np.array([d.weekday() < 5 and d not in off and not _year_end(d) for d in days], dtype=bool)
        month = np.array([(d.month - 4) % 12 for d in days], dtype=np.int64)
        return FiscalCalendar(fiscal_year, days, business, month)

    @property
    def n_days(self) -> int:
        return len(self.days)

    def month_of(self, t: float) -> int:
        """The fiscal month (0 = April) of simulated time t (the year's last month takes any time past it)."""
        return int(self.month[min(max(int(t // DAY), 0), len(self.days) - 1)])


def _year_end(d: date) -> bool:
    """Government offices close from 12-29 to 01-03."""
    return (d.month == 12 and d.day >= 29) or (d.month == 1 and d.day <= 3)


MONTHS = ("Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Jan", "Feb", "Mar")

"""The fiscal calendar's holidays come from the `jpholiday` library; for FY2006 and FY2007 they must
agree with the Cabinet Office's published lists (内閣府「国民の祝日について」, typed here as the
check, Sundays' holidays included), and a fiscal year outside the supported range is refused."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from jukinet.model.config.scenario import load
from jukinet.model.core.errors import UserError
from jukinet.model.world.calendar import FiscalCalendar, holidays

CABINET_OFFICE = {
    2006: "04-29 05-03 05-04 05-05 07-17 09-18 09-23 10-09 11-03 11-23 12-23 01-01 01-08 02-11 02-12 03-21",
    2007: "04-29 04-30 05-03 05-04 05-05 07-16 09-17 09-23 09-24 10-08 11-03 11-23 12-23 12-24 01-01 01-14 02-11 03-20",
}


def published(fy: int) -> set[date]:
    out = set()
    for md in CABINET_OFFICE[fy].split():
        m, d = map(int, md.split("-"))
        out.add(date(fy if m >= 4 else fy + 1, m, d))
    return out


@pytest.mark.parametrize("fy", [2006, 2007])
def test_library_holidays_equal_the_cabinet_office_lists(fy: int) -> None:
    assert set(holidays(fy)) == published(fy)


def test_business_days_exclude_weekends_holidays_and_the_year_end_closure() -> None:
    cal = FiscalCalendar.of(2006)
    off = {d for d, b in zip(cal.days, cal.business, strict=True) if not b}
    assert published(2006) <= off
    assert {date(2006, 12, 29), date(2007, 1, 2), date(2007, 1, 3)} <= off  # 行政機関の休日
    assert all(
        d.weekday() >= 5 or d in published(2006) or (d.month, d.day) >= (12, 29) or (d.month == 1 and d.day <= 3) for d in off
    )
    assert int(cal.business.sum()) == 245


def test_a_later_fiscal_year_has_its_own_calendar() -> None:
    cal = FiscalCalendar.of(2019)  # the Emperor's accession: 2019-04-30 .. 05-02 were holidays
    assert not cal.business[cal.days.index(date(2019, 5, 1))]


def test_fiscal_year_outside_the_range_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "s.toml"
    f.write_text("[scenario]\nname = 'early'\nfiscal_year = 1999\n")
    with pytest.raises(UserError, match="scenario.fiscal_year: got 1999; allowed: 2002..2099"):
        load(f)

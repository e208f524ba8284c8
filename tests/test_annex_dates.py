"""Every annex row dated (Art. 30-7, 30-8; model/data/annex.toml, tools/annex_dates.py): rows of later Acts are in
force on no day of FY2006, the four rows Act No. 66 of 2006 deleted from 2007-09-30 are restored, and a scenario's
configuration of a day reads the rows in force that day (a row's own day inside the year is a dated change)."""

from __future__ import annotations

import datetime as dt
import importlib.util
from collections.abc import Callable
from pathlib import Path

import pytest

from jukinet.model.config.scenario import load
from jukinet.model.core.errors import UserError
from jukinet.model.law.statute import ANNEX_START, AnnexRow, Statute

ROOT = Path(__file__).resolve().parents[1]
FIRST, LAST = dt.date(2006, 4, 1), dt.date(2007, 3, 31)
FY2006_DAYS = [FIRST + dt.timedelta(days=n) for n in range((LAST - FIRST).days + 1)]
RESTORED = ("A1-4", "A1-6", "A1-7", "A1-10")  # Act No. 66 of 2006, Art. 1 and 145: ceased 2007-09-30
OCT = dt.date(2007, 10, 1)


def _post_fy2006() -> set[str]:
    spec = importlib.util.spec_from_file_location("annex_fy2006", ROOT / "tools" / "annex_fy2006.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return set(mod.POST_FY2006)


@pytest.fixture(scope="module")
def statute() -> Statute:
    return load(None).config.statute


def test_a_later_acts_row_is_in_force_on_no_day_of_fy2006(statute: Statute) -> None:
    later = [r for r in statute.annex if r.law_ja in _post_fy2006()]
    assert {"A1-12", "A1-17", "A1-57-3", "A2-7-2"} <= {r.id for r in later}
    for day in FY2006_DAYS:
        assert not any(r.in_force_on(day) for r in later), day
    assert not {p for r in later for p in ((b, r.id) for b in r.bodies)} & statute.listed


def test_rows_deleted_on_2007_09_30_are_restored_for_fy2006(statute: Statute) -> None:
    for rid in RESTORED:
        r = statute.rows[rid]
        assert r.in_force_until == dt.date(2007, 9, 30) and r.bodies == ("fsa", "mof")
        assert r.in_force_on(FIRST) and r.in_force_on(LAST) and r.in_force_on(dt.date(2007, 9, 29))
        assert not r.in_force_on(dt.date(2007, 9, 30)) and not r.in_force_on(OCT)
        assert "Act No. 66 of 2006" in r.source and "[ASSUMPTION" in r.source
    laws = {statute.rows[rid].law_ja for rid in RESTORED}
    assert laws == {
        "外国証券業者に関する法律",
        "有価証券に係る投資顧問業の規制等に関する法律",
        "抵当証券業の規制等に関する法律",
        "金融先物取引法",
    }


def test_every_row_has_its_days_and_a_source(statute: Statute) -> None:
    for r in statute.annex:
        assert r.in_force_from >= ANNEX_START and r.source.strip(), r.id
        assert r.in_force_until is None or r.in_force_until > r.in_force_from
        if r.in_force_from == ANNEX_START:  # no text dates the row: the model's inference, said so
            assert "[ASSUMPTION" in r.source, r.id


def test_216_rows_in_force_on_each_day_of_fy2006_and_213_on_2007_10_01(statute: Statute) -> None:
    """216 = 212 of the 2012 text's 228 rows (16 are of later Acts or amendments, A1-17 among them from 2007-04-01)
    plus the 4 restored; on 2007-10-01: 213 (the 4 gone, A1-17 in)."""
    assert len(statute.annex) == 232
    assert {len(statute.rows_on(day)) for day in FY2006_DAYS} == {216}
    assert len(statute.rows_on(OCT)) == 213 and len(statute.rows_on(dt.date(2007, 4, 1))) == 217
    assert sum(r.in_force_fy2006 for r in statute.annex) == 216 == len(statute.in_force)


def _restored_follow_the_day(in_force: Callable[[AnnexRow, dt.date], bool], statute: Statute) -> bool:
    rows = [statute.rows[rid] for rid in RESTORED]
    return all(in_force(r, FIRST) and in_force(r, LAST) and not in_force(r, OCT) for r in rows)


def test_a_mutant_in_force_on_ignoring_in_force_until_is_caught(statute: Statute, monkeypatch: pytest.MonkeyPatch) -> None:
    def ignoring_until(r: AnnexRow, day: dt.date) -> bool:
        return r.in_force_from <= day

    assert _restored_follow_the_day(AnnexRow.in_force_on, statute)
    assert not _restored_follow_the_day(ignoring_until, statute)
    monkeypatch.setattr(AnnexRow, "in_force_on", ignoring_until)
    assert ("fsa", "A1-4") in statute.listed_on(OCT)  # what the scenario test below would then see


def test_a_scenarios_day_reads_the_rows_in_force_that_day() -> None:
    """FY2007: the 2007-09-30 end of the four rows is a dated change; prove, run and audit read sc.on(day)."""
    sc = load(ROOT / "scenarios" / "fy2007_existence_checks.toml")
    (change,) = [ch for ch, _ in sc.timeline if ch.date == dt.date(2007, 9, 30)]
    assert "statute.annex" in change.keys and "A1-4" in change.what and "annex.toml" in change.source
    early, late = sc.on(dt.date(2007, 4, 1)), sc.on(OCT)
    assert early.config.statute.as_of == dt.date(2007, 4, 1) and late.config.statute.as_of == dt.date(2007, 9, 30)
    for rid in RESTORED:
        assert ("fsa", rid) in early.config.statute.listed and ("fsa", rid) not in late.config.statute.listed
        assert rid in early.policy.bodies["fsa"].affairs and rid not in late.policy.bodies["fsa"].affairs
    assert ("mic", "A1-17") in early.config.statute.listed  # Act No. 18 of 2007, in force 2007-04-01


def test_fy2006_has_no_annex_breakpoint_and_reads_the_years_first_day() -> None:
    sc = load(None)
    assert sc.config.statute.as_of == FIRST
    assert not [ch for ch, _ in sc.timeline if "statute.annex" in ch.keys]


def test_names_of_fy2006(statute: Statute) -> None:
    fy2006 = {
        "A1-3": "証券取引法",
        "A1-9": "貸金業の規制等に関する法律",
        "A1-80": "商品取引所法",
        "A5-3": "貸金業の規制等に関する法律",
    }
    for rid, name in fy2006.items():
        assert statute.rows[rid].law_ja_fy2006 == name
    for rid in ("A1-72", "A1-73", "A1-74", "A1-77"):  # Japan Pension Service / JHIA rows: the SIA in FY2006
        assert "社会保険庁" in statute.rows[rid].body_fy2006 and "mhlw" in statute.rows[rid].bodies


def test_a_scenario_may_not_set_the_statutes_day(scenario_file: Callable[[str], Path]) -> None:
    with pytest.raises(UserError, match=r"statute\.as_of"):
        load(scenario_file('[scenario]\nname = "x"\n[statute]\nas_of = 2006-10-01\n'))


def test_a_row_that_ceases_before_it_starts_is_refused(scenario_file: Callable[[str], Path]) -> None:
    text = '[scenario]\nname = "x"\n[[statute.annex]]\nid = "A1-4"\nin_force_until = 2002-01-01\n'
    with pytest.raises(UserError, match="in_force_until"):
        load(scenario_file(text))

"""The Act as data, FY2006 (issue 11): the register items of Art. 7, the articles the first model lacked,
and the contractors of municipalities and prefectures bound by Art. 30-31(2) (C11; a scenario that drops the
duty is caught in tests/test_incidents.py)."""

from __future__ import annotations

from jukinet.model.config.scenario import load


def test_tax_and_seal_registration_are_not_register_items() -> None:
    st = load(None).config.statute
    outside = {i.id for i in st.item if not i.in_register}
    assert outside == {"tax", "seal_registration"}
    assert not outside & st.identity_items


def test_the_articles_the_first_model_lacked_are_there() -> None:
    st = load(None).config.statute
    assert {"11", "12", "24-2", "30-9", "30-15", "30-31(2)"} <= set(st.article)
    (c11,) = [c for c in st.constraint if c.id == "C11"]
    assert "30-31(2)" in c11.articles


def test_annex_rows_as_in_force_in_fy2006() -> None:
    """docs/sources.md (annex rows): the Okinawa guide-interpreter rows came with the 2012 amendment (Cabinet Office, July
    2012) and were not in the FY2006 table; row A1-3's act was then the Securities and Exchange Act."""
    rows = load(None).config.statute.rows
    for rid in ("A3-26-2", "A5-31-2"):
        assert not rows[rid].in_force_fy2006 and "2012 amendment" in rows[rid].citation
    assert rows["A1-3"].law_en.startswith("Securities and Exchange Act")
    assert sum(r.in_force_fy2006 for r in rows.values()) == 216  # tests/test_annex_dates.py: 213 - A1-17 + 4 restored

"""The Act as data, FY2006 (issue 11): the register items of Art. 7, the articles the first model lacked,
and the contractors of municipalities and prefectures bound by Art. 30-32 (C11; a scenario that drops the
duty is caught in tests/test_incidents.py)."""

from __future__ import annotations

from model.config.scenario import load


def test_tax_and_seal_registration_are_not_register_items() -> None:
    st = load(None).config.statute
    outside = {i.id for i in st.item if not i.in_register}
    assert outside == {"tax", "seal_registration"}
    assert not outside & st.identity_items


def test_the_articles_the_first_model_lacked_are_there() -> None:
    st = load(None).config.statute
    assert {"11", "12", "24-2", "30-9", "30-15", "30-32"} <= set(st.article)
    (c11,) = [c for c in st.constraint if c.id == "C11"]
    assert "30-32" in c11.articles

"""Municipality sizes: calibrated to the 2005 census and the FY2006 size facts [ASSUMPTION size model]."""

from __future__ import annotations

import datetime as dt

import numpy as np

from model.world.mergers import out_of_being
from model.world.population import build_municipalities


def test_designated_cities_keep_their_census_population(baseline) -> None:  # type: ignore[no-untyped-def]
    real = baseline.config.population.designated_city_population
    got = {m.lgcode: m.population for m in baseline.municipalities if m.type == "designated_city"}
    assert got == real
    assert got["141003"] == 3_579_628  # Yokohama


def test_share_under_10k_matches_the_mic_figure(baseline) -> None:  # type: ignore[no-untyped-def]
    t = baseline.config.population.targets
    slide = baseline.on(dt.date(2007, 3, 12))  # the MIC slide's date: the year's mergers until then folded in
    pops = np.array([m.population for m in slide.municipalities if m.type != "tokyo_special_ward"])
    assert abs((pops < 10_000).mean() - t.share_under_10k) <= t.share_under_10k_tolerance


def test_tokyo_wards_share_their_total(baseline) -> None:  # type: ignore[no-untyped-def]
    wards = [m.population for m in baseline.municipalities if m.type == "tokyo_special_ward"]
    assert len(wards) == 23
    assert sum(wards) == baseline.config.population.tokyo_wards.total
    assert max(wards) <= baseline.config.population.tokyo_wards.largest + 23 * 200


def test_municipality_sizes_depend_only_on_their_seed_and_keep_the_totals(baseline) -> None:  # type: ignore[no-untyped-def]
    cfg = baseline.config.population
    net = baseline.config.network
    gone = out_of_being(net.merged, net.pending)  # merged away, or not yet established, as the year starts
    again = build_municipalities(cfg, gone)
    assert again == baseline.municipalities
    other = build_municipalities(cfg.model_copy(update={"size_model": cfg.size_model.model_copy(update={"seed": 1})}), gone)
    assert other != baseline.municipalities
    assert sum(m.population for m in other) == sum(m.population for m in again)


def test_every_size_not_from_the_census_is_labelled(baseline) -> None:  # type: ignore[no-untyped-def]
    for m in baseline.municipalities:
        assert (m.population_source == "census 2005") == (m.type == "designated_city")
        assert m.population_source == "census 2005" or "ASSUMPTION" in m.population_source

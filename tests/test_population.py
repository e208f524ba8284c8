"""Municipality populations: every unit's own register figure of 2006-03-31 (model/data/unit_populations.tsv)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np

from jukinet.model.world.mergers import out_of_being
from jukinet.model.world.population import REGISTER, build_municipalities

DATA = Path(__file__).resolve().parent.parent / "model" / "data"


def test_every_unit_has_its_register_figure_and_the_prefectures_sum_to_theirs(baseline) -> None:  # type: ignore[no-untyped-def]
    got = {m.lgcode: m.population for m in baseline.municipalities}
    assert got["141003"] == 3_544_104  # Yokohama (MIC's table by municipality, 2006-03-31)
    assert got["134023"] == 195  # Aogashima, the smallest
    assert got["452017"] == 369_507  # Miyazaki city
    assert {m.population_source for m in baseline.municipalities} == {REGISTER}
    register = baseline.config.population.resident_register
    for code, total in register.prefecture.items():
        assert sum(m.population for m in baseline.municipalities if m.pref == code) == total
    assert sum(got.values()) == register.total == 127_055_025


def test_the_data_file_holds_exactly_the_units_in_being_on_the_years_first_day(baseline) -> None:  # type: ignore[no-untyped-def]
    with (DATA / "unit_populations.tsv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    assert len(rows) == baseline.config.population.targets.units_start == len(baseline.municipalities)
    assert {r["lgcode"] for r in rows} == {m.lgcode for m in baseline.municipalities}
    assert all(r["source"].startswith("MIC register 2006-03-31") for r in rows)
    yatomi = next(r for r in rows if r["lgcode"] == "232351")  # 弥富町 + 十四山村, merged on 2006-04-01
    assert yatomi["constituents"] == "234265,234281" and int(yatomi["population"]) == 36_802 + 5_657


def test_share_under_10k_matches_the_mic_figure(baseline) -> None:  # type: ignore[no-untyped-def]
    t = baseline.config.population.targets
    slide = baseline.on(dt.date(2007, 3, 12))  # the MIC slide's date: the year's mergers until then folded in
    pops = np.array([m.population for m in slide.municipalities if m.type != "tokyo_special_ward"])
    assert abs((pops < 10_000).mean() - t.share_under_10k) <= t.share_under_10k_tolerance


def test_a_scenarios_prefecture_total_is_shared_in_proportion_and_labelled(baseline) -> None:  # type: ignore[no-untyped-def]
    cfg = baseline.config.population
    net = baseline.config.network
    gone = out_of_being(net.merged, net.pending)  # merged away, or not yet established, as the year starts
    assert build_municipalities(cfg, gone) == baseline.municipalities
    reg = cfg.resident_register
    tottori = reg.prefecture["31"]
    register = reg.model_copy(update={"prefecture": reg.prefecture | {"31": tottori * 2}, "total": reg.total + tottori})
    other = build_municipalities(cfg.model_copy(update={"resident_register": register}), gone)
    doubled = {m.lgcode: m for m in other if m.pref == "31"}
    before = {m.lgcode: m.population for m in baseline.municipalities if m.pref == "31"}
    assert sum(m.population for m in doubled.values()) == tottori * 2
    assert all(abs(m.population - 2 * before[c]) <= 1 and "ASSUMPTION" in m.population_source for c, m in doubled.items())
    assert all(m.population_source == REGISTER for m in other if m.pref != "31")

"""Municipalities of FY2006 and their populations: the basic resident register's, which Juki-net held.

The register population on 2006-03-31 (127,055,025; Japanese nationals only until 2012) is the
national total (calibration.toml `[resident_register]`); each prefecture has its register figure of that day
(MIC's per-prefecture table, the same release); a scenario that gives only some prefectures has the others
take their 2005 census share of the rest **[ASSUMPTION]**.
Per-municipality populations of 2005 were not found in any public table (docs/sources.md, "Municipalities
and mergers"), so they are drawn from a seeded,
documented size model (calibration.toml): the 15 designated cities keep their 2005 census
populations, the 23 Tokyo wards share their recorded total, and the other municipalities of each
prefecture get lognormal sizes by type, rescaled so that every prefecture sums exactly to its
register population **[ASSUMPTION: the size model]**.
"""

from __future__ import annotations

import csv
from collections.abc import Collection
from dataclasses import dataclass
from io import StringIO

import numpy as np
from pydantic import Field

from model.core.frozen import Frozen
from model.data import read_text


class SizeModel(Frozen):
    seed: int
    city_median: float
    city_sigma: float
    town_median: float
    town_sigma: float
    village_median: float
    village_sigma: float
    minimum: int


class TokyoWards(Frozen):
    total: int
    largest: int
    sigma: float


class Register(Frozen):
    """The basic resident register's population (calibration.toml `[resident_register]`, with its source)."""

    total: int = Field(gt=0)  # on the eve of the fiscal year; the prefecture populations sum to it
    source: str
    prefecture: dict[str, int]  # prefectures whose register population the source gives


class Targets(Frozen):
    """What the built municipalities must match (each value's source is in calibration.toml)."""

    units: int  # register-keeping units at the year's end
    units_start: int  # and in being as it starts (before the year's mergers: model.world.mergers)
    share_under_10k: float
    share_under_10k_tolerance: float


class PopulationConfig(Frozen):
    """The `[population]` section: calibration of municipality sizes."""

    designated_city_population: dict[str, int]
    tokyo_wards: TokyoWards
    size_model: SizeModel
    resident_register: Register
    targets: Targets


@dataclass(frozen=True, slots=True)
class Prefecture:
    code: str
    name_en: str
    name_ja: str
    population: int  # the register's (as the source gives it, or a census share: `population_source`)
    municipalities: int
    tokyo_wards: int
    census_2005: int
    population_source: str


@dataclass(frozen=True, slots=True)
class Municipality:
    """One register-keeping unit (municipality or Tokyo special ward) of FY2006."""

    lgcode: str
    pref: str
    name_ja: str
    type: str  # designated_city | city | town | village | tokyo_special_ward
    population: int
    population_source: str  # "census 2005" or "size model [ASSUMPTION]"


def _tsv(name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(StringIO(read_text(name)), delimiter="\t"))


def load_prefectures(register: Register | None = None) -> list[Prefecture]:
    """The 47 prefectures; with `register`, each with its register population (else its 2005 census one)."""
    rows = _tsv("prefectures.tsv")
    census = {r["code"]: int(r["pop_2005"]) for r in rows}
    pop, src = dict(census), dict.fromkeys(census, "census 2005")
    if register is not None:
        rest = [c for c in census if c not in register.prefecture]
        shares = _largest_remainder(
            np.array([census[c] for c in rest], dtype=float), register.total - sum(register.prefecture.values()), 0
        )
        pop = {**dict(zip(rest, (int(x) for x in shares), strict=True)), **register.prefecture}
        share = "census share of the register [ASSUMPTION]"
        src = {c: "register 2006-03-31" if c in register.prefecture else share for c in census}
    return [
        Prefecture(
            r["code"],
            r["name_en"],
            r["name_ja"],
            pop[r["code"]],
            int(r["municipalities"]),
            int(r["tokyo_special_wards"]),
            census[r["code"]],
            src[r["code"]],
        )
        for r in rows
    ]


def _largest_remainder(weights: np.ndarray, total: int, minimum: int) -> np.ndarray:
    """Integers >= minimum, proportional to weights, summing exactly to total."""
    n = len(weights)
    spare = total - minimum * n
    if spare < 0:
        raise ValueError(f"cannot give {n} units at least {minimum} people out of {total}")
    share = weights / weights.sum() * spare
    base = np.floor(share).astype(np.int64)
    short = spare - int(base.sum())
    base[np.argsort(share - base)[::-1][:short]] += 1
    result: np.ndarray = base + minimum
    return result


def unit_rows() -> list[dict[str, str]]:
    """Every register-keeping unit of FY2006: those of 2007-03-31, then those merged away during the year
    (municipalities_abolished.tsv; which exist on a day is the configuration's `[network]`)."""
    return _tsv("municipalities.tsv") + _tsv("municipalities_abolished.tsv")


def build_municipalities(cfg: PopulationConfig, gone: Collection[str] = ()) -> list[Municipality]:
    """Every register-keeping unit in being as the year starts (all of unit_rows but `gone`: merged away or
    not yet established) with a population; seeded by cfg.size_model.seed."""
    rng = np.random.default_rng(cfg.size_model.seed)
    prefs = {p.code: p for p in load_prefectures(cfg.resident_register)}
    out_of_being = set(gone)
    rows = [r for r in unit_rows() if r["lgcode"] not in out_of_being]
    sm = cfg.size_model
    params = {
        "city": (sm.city_median, sm.city_sigma),
        "town": (sm.town_median, sm.town_sigma),
        "village": (sm.village_median, sm.village_sigma),
    }
    out: list[Municipality] = []
    for code, pref in prefs.items():
        units = [r for r in rows if r["pref"] == code]
        residual = pref.population
        fixed: dict[str, int] = {}
        for r in units:
            if r["type"] == "designated_city":
                fixed[r["lgcode"]] = cfg.designated_city_population[r["lgcode"]]
        wards = [r for r in units if r["type"] == "tokyo_special_ward"]
        if wards:
            w = rng.lognormal(0.0, cfg.tokyo_wards.sigma, len(wards))
            w = w / w.max() * cfg.tokyo_wards.largest
            sizes = _largest_remainder(w, cfg.tokyo_wards.total, sm.minimum)
            fixed.update({r["lgcode"]: int(s) for r, s in zip(wards, sizes, strict=True)})
        residual -= sum(fixed.values())
        drawn = [r for r in units if r["lgcode"] not in fixed]
        weights = np.array([rng.lognormal(np.log(params[r["type"]][0]), params[r["type"]][1]) for r in drawn])
        sizes = _largest_remainder(weights, residual, sm.minimum)
        for r in units:
            if r["lgcode"] in fixed:
                pop, src = fixed[r["lgcode"]], "census 2005" if r["type"] == "designated_city" else "ward share [ASSUMPTION]"
            else:
                pop, src = int(sizes[drawn.index(r)]), "size model [ASSUMPTION]"
            out.append(Municipality(r["lgcode"], code, r["name_ja"], r["type"], pop, src))
    return out


def simulated_residents(munis: list[Municipality], scale: float) -> dict[str, int]:
    """Residents a run simulates per municipality (by lgcode): its population times the scale, at least one."""
    return {m.lgcode: max(1, round(m.population * scale)) for m in munis}

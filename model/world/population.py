"""Municipalities of FY2006 and their populations: the basic resident register's, which Juki-net held.

The register population on 2006-03-31 (127,055,025; Japanese nationals only until 2012) is the
national total (calibration.toml `[resident_register]`); each prefecture has its register figure of that day
(MIC's per-prefecture table, the same release); a scenario that gives only some prefectures has the others
take their 2005 census share of the rest **[ASSUMPTION]**.
Every municipality and Tokyo ward has its own register figure of that day (MIC's table by municipality, the
same release: model/data/unit_populations.tsv, built by tools/build_unit_populations.py), on the boundaries of
the year's first day.  Where a scenario changes a prefecture's total or which units are in being as the year
starts, the units in being share the prefecture's total in proportion to their register figures (a unit with no
figure of its own gets none), and their source says so.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from io import StringIO
from types import MappingProxyType

import numpy as np
from pydantic import Field

from jukinet.model.core.frozen import Frozen
from jukinet.model.data import read_text


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
    population_source: str  # REGISTER, or how a scenario's change rescaled it


REGISTER = "register 2006-03-31"
RESCALED = "share of the scenario's prefecture total, in proportion to the register of 2006-03-31 [ASSUMPTION]"


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


@functools.cache
def unit_populations() -> Mapping[str, int]:
    """Every unit's register population on 2006-03-31, on the boundaries of 2006-04-01 (unit_populations.tsv), read
    once: every scenario's load checks against it and builds its units from it."""
    return MappingProxyType({r["lgcode"]: int(r["population"]) for r in _tsv("unit_populations.tsv")})


def build_municipalities(cfg: PopulationConfig, gone: Collection[str] = ()) -> list[Municipality]:
    """Every register-keeping unit in being as the year starts (all of unit_rows but `gone`: merged away or
    not yet established), each with its register population: as the register gives it where the units in being
    of its prefecture are those the register counted and the prefecture's total is the register's, else its
    share of the prefecture's total in proportion to the register figures (RESCALED)."""
    prefs = {p.code: p for p in load_prefectures(cfg.resident_register)}
    register = unit_populations()
    out_of_being = set(gone)
    rows = [r for r in unit_rows() if r["lgcode"] not in out_of_being]
    out: list[Municipality] = []
    for code, pref in prefs.items():
        units = [r for r in rows if r["pref"] == code]
        counted = [register.get(r["lgcode"], 0) for r in units]
        if sum(counted) == pref.population:
            sizes, src = counted, REGISTER
        else:
            weights = np.array(counted if sum(counted) else [1] * len(units), dtype=float)  # none counted: equal shares
            sizes = [int(x) for x in _largest_remainder(weights, pref.population, 0)]
            src = RESCALED
        out += [Municipality(r["lgcode"], code, r["name_ja"], r["type"], n, src) for r, n in zip(units, sizes, strict=True)]
    return out


def simulated_residents(munis: list[Municipality], scale: float) -> dict[str, int]:
    """Residents a run simulates per municipality (by lgcode): its population times the scale, at least one."""
    return {m.lgcode: max(1, round(m.population * scale)) for m in munis}

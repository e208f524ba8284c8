"""Municipalities that merge during the year (issue 11): which register-keeping units are in being on a
day, and where a merged unit's residents go.

A configuration's `[network]` names them: `merged` maps each unit merged away (abolished, 廃置分合) to the
unit that took its residents, cumulatively; `pending` lists the units a merger establishes later in the
year (a new municipality of a 新設 merger), not yet in being.  Every other unit of unit_rows() is in being.
The dated entries of the scenario's `[[timeline]]` add to `merged` and shrink `pending` on each merger's
date (FY2006's twelve mergers, 1,820 municipalities on 2006-04-01 -> 1,804 on 2007-03-31: defaults.toml).

Populations are the register's at the year's start (model.world.population draws them over the units in
being then); a later configuration folds each merged unit's into its successor's, so every configuration
of the year holds the same residents.  What a merger does to a resident (the run: a new address, notified
to the prefecture and the center by the successor's CS) is model.sim.engine's.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace

from jukinet.model.world.population import Municipality

FOLDED = "sum of the units merged into it (their sources)"  # population_source of a unit established by a merger


def out_of_being(merged: Mapping[str, str], pending: Collection[str]) -> set[str]:
    """The units not in being: merged away, or not yet established."""
    return set(merged) | set(pending)


def fold(
    start: list[Municipality], rows: list[dict[str, str]], merged: Mapping[str, str], pending: Collection[str]
) -> list[Municipality]:
    """The units in being under (`merged`, `pending`), from those in being as the year starts (`start`, with
    their populations): each merged unit's population added to its successor's; a unit established since
    the start (from `rows`) holds the residents of the units merged into it."""
    gone = out_of_being(merged, pending)
    pop = {m.lgcode: m.population for m in start}
    into: dict[str, int] = {}
    for m in start:
        if m.lgcode in gone:
            into[merged[m.lgcode]] = into.get(merged[m.lgcode], 0) + m.population
    out = [replace(m, population=m.population + into.get(m.lgcode, 0)) for m in start if m.lgcode not in gone]
    for r in rows:
        lg = r["lgcode"]
        if lg not in pop and lg not in gone:  # established during the year
            out.append(Municipality(lg, r["pref"], r["name_ja"], r["type"], into.get(lg, 0), FOLDED))
    return out

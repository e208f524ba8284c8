"""What the year's registry must keep through its dated changes: the bodies registered stay those of the year's first
day, and a registered affair names an annex row the year knows (model.config.scenario reads them once per load)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from jukinet.model.config.schema import Config
from jukinet.model.config.timeline import ANNEX_SOURCE, Change
from jukinet.model.core.errors import UserError

Dated = Sequence[tuple[Change, Config]]  # each dated change of the year and the configuration from that day


def affairs_are_rows(cfg: Config, dated: Dated, setters: list[tuple[str, dict[str, Any]]], source: str) -> None:
    """A registry body's affairs name annex rows the year knows (in force or not, on any of its days): an id that is
    no row is a reference to nothing, refused like any unknown reference."""
    rows = {r.id for r in cfg.statute.annex} | {r.id for _, d in dated for r in d.statute.annex}
    for body in cfg.registry.body:
        for affair in body.affairs:
            if affair not in rows:
                who = next(
                    (
                        w
                        for w, part in reversed(setters)
                        for b in part.get("registry", {}).get("body", [])
                        if b.get("id") == body.id
                    ),
                    source,
                )
                raise UserError(
                    str(who),
                    f"registry.body[{body.id}].affairs",
                    f"unknown annex row {affair!r}; allowed: the id of a row of [statute.annex] (in force or not)",
                )


def same_bodies(want: set[str], dated: Sequence[tuple[Change, set[str]]], origin: dict[Any, str]) -> None:
    """A dated amendment may change annex rows, not the bodies registered (model.config.timeline): `want` the bodies of
    the year's first day, `dated` each dated change with the bodies from that day (each its scenario's own policy)."""
    for ch, got in dated:
        if got != want:
            change = ", ".join([*(f"+{b}" for b in sorted(got - want)), *(f"-{b}" for b in sorted(want - got))])
            raise UserError(
                origin.get(ch.date, ANNEX_SOURCE),
                f"timeline[{ch.date}].statute.annex",
                f"changes the bodies registered ({change}); allowed: rows of the bodies the year starts with "
                "(a body an amendment brings in, or one whose last row ends, is registered for the whole year: "
                "[[registry.body]] with affairs = [])",
            )

"""What the year's registry must keep through its dated changes: the bodies registered stay those of the year's first
day, and a registered affair names an annex row the year knows (model.config.scenario reads them once per load)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from model.config.timeline import ANNEX_SOURCE
from model.core.errors import UserError

if TYPE_CHECKING:
    from model.config.scenario import Scenario


def affairs_are_rows(sc: Scenario, setters: list[tuple[str, dict[str, Any]]]) -> None:
    """A registry body's affairs name annex rows the year knows (in force or not, on any of its days): an id that is
    no row is a reference to nothing, refused like any unknown reference."""
    rows = {r.id for r in sc.config.statute.annex} | {r.id for _, d in sc.timeline for r in d.config.statute.annex}
    for body in sc.config.registry.body:
        for affair in body.affairs:
            if affair not in rows:
                who = next(
                    (
                        w
                        for w, part in reversed(setters)
                        for b in part.get("registry", {}).get("body", [])
                        if b.get("id") == body.id
                    ),
                    sc.source,
                )
                raise UserError(
                    str(who),
                    f"registry.body[{body.id}].affairs",
                    f"unknown annex row {affair!r}; allowed: the id of a row of [statute.annex] (in force or not)",
                )


def same_bodies(sc: Scenario, origin: dict[Any, str]) -> None:
    """A dated amendment may change annex rows, not the bodies registered (model.config.timeline)."""
    want = set(sc.policy.bodies)
    for ch, dated in sc.timeline:
        got = set(dated.policy.bodies)
        if got != want:
            change = ", ".join([*(f"+{b}" for b in sorted(got - want)), *(f"-{b}" for b in sorted(want - got))])
            raise UserError(
                origin.get(ch.date, ANNEX_SOURCE),
                f"timeline[{ch.date}].statute.annex",
                f"changes the bodies registered ({change}); allowed: rows of the bodies the year starts with "
                "(a body an amendment brings in, or one whose last row ends, is registered for the whole year: "
                "[[registry.body]] with affairs = [])",
            )

"""What the flow model (model/law/flow.py) says is held and how it moved: a token (one item of a resident's
record, with where it came from), a holder, a hop of a route, and why a holding is unlawful per constraint."""

from __future__ import annotations

from dataclasses import dataclass

NONE = "-"


@dataclass(frozen=True, slots=True, order=True)
class Token:
    item: str
    origin: str = NONE
    tag: str = NONE
    sealed: bool = False
    away: bool = False
    key: bool = False
    disclosed: bool = False


Holder = tuple[str, str]  # (node, compartment)

WHY_UNLAWFUL = {
    "C01": "a prefecture server or the center holds an item that is not identity information, or a CS away from "
    "home holds more than a transfer notice or wide-area copy may carry",
    "C02": "a body holds an item outside a compartment of an affair the annex lists for it, or an item that is "
    "not identity information",
    "C03": "an item that left a recipient is held by Juki-net or by another body",
    "C04": "a compartment holds an item provided for another affair",
    "C12": "a resident other than the subject holds an item of the subject's record, or someone other than the subject "
    "holds what a disclosure brought",
}


@dataclass(frozen=True, slots=True)
class RouteHop:
    """One hop of a route sent through a simulation (a proof's counterexample replayed)."""

    src: str  # holder the item leaves, "node" or "node[affair]"
    dst: str  # node it reaches
    compartment: str  # affair compartment at a body, NONE otherwise
    via: str
    message: str
    token: Token  # the token as it arrives
    rule: str


@dataclass(frozen=True, slots=True)
class Hop:
    """One step of a route: who sent what to whom, by which message, permitted by which rule."""

    src: Holder
    dst: Holder
    via: str  # link id or "a -> b", "use", "demand_code", "to resident"
    message: str
    held: Token  # the token at the sender
    token: Token  # the token as it arrives
    rule: str  # the permitting rule ("" for a message bound to no action)
    articles: tuple[str, ...]


def route_of(parent: dict[tuple[Holder, Token], Hop | None], state: tuple[Holder, Token]) -> list[Hop]:
    """The hops from an initial holding to `state`, in order (from a breadth-first search's parent map)."""
    hops = []
    hop = parent.get(state)
    while hop is not None:
        hops.append(hop)
        hop = parent.get((hop.src, hop.held))
    return hops[::-1]

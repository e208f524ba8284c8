"""A reduced network that the prover and the independent reference (proofs/reference.py) both read: a few
prefectures, a few units each, a few national bodies, and everything a scenario adds or names."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import networkx as nx

from jukinet.model.config.scenario import Scenario
from jukinet.model.world.population import Municipality, Prefecture
from jukinet.model.world.topology import build_graph

# ---- a reduced network that both the prover and the reference read ---------------------------------------


@dataclass(frozen=True)
class ReducedScenario(Scenario):
    """The same scenario over a few prefectures, units and national bodies (and every added node); the
    configuration as the year starts (no dated changes)."""

    keep_prefs: tuple[str, ...] = ()
    keep_units: tuple[str, ...] = ()
    keep_nat: tuple[str, ...] = ()

    @cached_property
    def prefectures(self) -> list[Prefecture]:
        return [p for p in super().prefectures if p.code in self.keep_prefs]

    @cached_property
    def municipalities(self) -> list[Municipality]:
        return [m for m in super().municipalities if m.lgcode in self.keep_units]

    @cached_property
    def graph(self) -> nx.DiGraph:
        g = build_graph(self.prefectures, self.municipalities, self.policy, self.config.network)
        added = {n.id for n in self.config.network.node}
        drop = [n for n in g if n.startswith("nat:") and n[4:] not in self.keep_nat and n not in added]
        g.remove_nodes_from(drop)
        return g


def _named(sc: Scenario) -> tuple[set[str], set[str], set[str]]:
    """Prefectures, units and national bodies an added node or link names."""
    prefs: set[str] = set()
    units: set[str] = set()
    nats: set[str] = set()
    names = [n.id for n in sc.config.network.node] + [x for e in sc.config.network.link for x in (e.src, e.dst)]
    for n in names:
        kind, _, rest = n.partition(":")
        if kind in ("pref", "governor"):
            prefs.add(rest)
        elif kind in ("cs", "municipal_head"):
            units.add(rest)
        elif kind == "nat":
            nats.add(rest)
    return prefs, units, nats


def reduced(
    sc: Scenario, prefs: tuple[str, ...] = ("13", "27"), per_pref: int = 2, nat: tuple[str, ...] = ("mhlw", "moj", "mofa")
) -> Scenario:
    """`sc` over the given prefectures, their first `per_pref` units (and any unit, prefecture or national
    body an added node or link names), the center, jpki, the named national bodies, every national body a
    [[registry.body]] adds, and every added node."""
    named_prefs, named_units, named_nats = _named(sc)
    munis = sc.municipalities
    units = {m.lgcode for m in munis if m.lgcode in named_units}
    for p in prefs:
        units |= {m.lgcode for m in [m for m in munis if m.pref == p][:per_pref]}
    keep_prefs = set(prefs) | named_prefs | {m.pref for m in munis if m.lgcode in units}
    return ReducedScenario(
        sc.config,
        sc.source,
        sc.hash,
        sc.raw,
        (),
        sc.start_network,
        tuple(sorted(keep_prefs)),
        tuple(sorted(units)),
        tuple(sorted(set(nat) | named_nats | {b.id for b in sc.config.registry.body if b.level == "national"})),
    )

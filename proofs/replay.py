"""Replaying a VIOLATED finding: through the plain evaluator and through a short simulation.

A counterexample request must get from `model.law.policy.decide` the decision the SMT model gave
it; the short simulation then puts the same request through the run's reference monitors (or,
for a structural finding, simply runs the configuration) and the log audit of that run must
name a record on the same constraint.  Any disagreement fails the replay.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import z3

from jukinet.model.audit.checks import audit
from jukinet.model.config.scenario import Scenario
from jukinet.model.law.flow import NONE, Flow, RouteHop
from jukinet.model.law.policy import Request, decide
from jukinet.model.report.run import execute
from jukinet.proofs.context import Context
from jukinet.proofs.engine import Result

REPLAY_SCALE = 0.0003  # about 38,000 residents: every municipality, a day's work in seconds


@dataclass(frozen=True)
class Replay:
    constraint: str
    evaluator: str  # "agrees" | "disagrees" | "n/a (structural)"
    simulation: str  # "shows it" | "does not show it"
    evidence: list[dict[str, Any]]
    audit_named: tuple[str, ...] = ()  # every constraint the short simulation's audit names a record on

    @property
    def ok(self) -> bool:
        """The counterexample replays: the evaluator takes every hop (or makes the same decision).  The
        short simulation is evidence reported beside it: it runs only the processes the model has (a
        link no process uses, a store, a card layout never shows up in a run's records)."""
        return self.evaluator != "disagrees"


def request_of(cex: dict[str, Any]) -> Request | None:
    r = cex.get("request")
    if r is None:
        return None
    return Request(
        requester=r["requester"],
        action=r["action"],
        node=r["node"],
        affair=r["affair"],
        provided_affair=r["provided_affair"],
        keys=frozenset(r["keys"]),
        items=frozenset(r["items"]),
        mode=r["mode"],
        operator_authenticated=r["operator_authenticated"],
        operator_in_scope=r["operator_in_scope"],
        subject_is_requester=r["subject_is_requester"],
    )


def provision_of_route(sc: Scenario, route: list[dict[str, Any]]) -> Request | None:
    """The provision request a flow route's first provision hop stands for, to put through a short
    simulation (None when the route has no provision into a compartment)."""
    provide = sc.policy.action_message.get("provide")
    for hop in route:
        node, _, comp = hop["to"].partition("[")
        if hop["message"] == provide and comp:
            schema = sc.policy.messages.get(hop["message"])
            keys = min(sc.policy.allowed_keys, key=len, default=frozenset({"code"}))
            return Request(
                requester=str(sc.graph.nodes[node].get("body", node)),
                action="provide",
                node="center",
                affair=comp.rstrip("]"),
                keys=frozenset(keys),
                items=frozenset(schema.items if schema else ()),
            )
    return None


def route_hops(sc: Scenario, route: list[dict[str, Any]]) -> list[RouteHop] | None:
    """The hops of a flow counterexample as the plain evaluator takes them (model/law/flow.py), each from
    where the previous one arrived and the first from an initial holding; None if one is not a step."""
    flow = Flow(sc.graph, sc.policy, sc.config.statute)

    def holder(s: str) -> tuple[str, str]:
        node, _, comp = s.partition("[")
        return node, comp.rstrip("]") if comp else NONE

    if not route:
        return []
    first = holder(route[0]["from"])
    held = [t for h, t in flow.initial() if h == first and t.item == route[0]["item"]]
    out = []
    for hop in route:
        src, dst = holder(hop["from"]), holder(hop["to"])
        steps = [
            s
            for t in held
            for s in flow.steps(src, t)
            if s.dst == dst and s.via == hop["via"] and s.message == hop["message"] and s.token.item == hop["item"]
        ]
        if not steps:
            return None
        out.append(RouteHop(hop["from"], dst[0], dst[1], hop["via"], hop["message"], steps[0].token, steps[0].rule))
        held = [s.token for s in steps]
    return out


def route_replays(sc: Scenario, route: list[dict[str, Any]]) -> bool:
    """Every hop of a flow counterexample is a step the plain evaluator takes."""
    return route_hops(sc, route) is not None


def replay(sc: Scenario, result: Result, seed: int = 1) -> Replay:
    """Replay one VIOLATED result of `sc`'s proof."""
    assert result.verdict == "VIOLATED" and result.counterexample is not None
    req = request_of(result.counterexample)
    evaluator = "n/a (checked fact or link)"
    hops: list[RouteHop] = []
    if "route" in result.counterexample:
        replayed = route_hops(sc, result.counterexample["route"])
        evaluator = "agrees" if replayed is not None else "disagrees"
        hops = replayed or []
        req = provision_of_route(sc, result.counterexample["route"])
    elif req is not None:
        ctx = Context(sc)
        s = z3.Solver()
        s.add(ctx.enc.bind(req))
        s.check()
        permit_in_smt = z3.is_true(s.model().eval(ctx.permit, model_completion=True))
        evaluator = "agrees" if decide(sc.policy, req).allowed == permit_in_smt else "disagrees"
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "replay"
        execute(sc, REPLAY_SCALE, seed, out, inject=(req,) if req is not None else (), route=tuple(hops))
        findings = audit(out)["findings"]
    found = [f for f in findings if f["constraint"] == result.id]
    named = tuple(sorted({str(f["constraint"]) for f in findings}))
    return Replay(result.id, evaluator, "shows it" if found else "does not show it", found[:3], named)

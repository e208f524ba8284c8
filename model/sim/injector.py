"""Proof counterexamples replayed in a run: given requests go through the same monitors as the
run's own (the provision desk for a provision at the center, the evaluator for the rest, each
decision recorded and logged), and a flow route sends one resident's item hop by hop, each hop a
record of `route_hops` that the audit then checks against the lawful holders (model/law/flow.py)."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import numpy as np
import simpy

from jukinet.model.law.flow import RouteHop
from jukinet.model.law.policy import Policy, Request, decide
from jukinet.model.sim.accesslog import AccessLog
from jukinet.model.sim.provision import ProvisionDesk
from jukinet.model.sim.records import Buffer
from jukinet.model.sim.residents import Residents
from jukinet.model.world.calendar import DAY, HOUR, FiscalCalendar


class Injector:
    """Replays given requests and a route on the first business day, at 10:00."""

    def __init__(
        self,
        policy: Policy,
        desk: ProvisionDesk,
        log: AccessLog,
        decisions: Buffer,
        route_hops: Buffer,
        requests: tuple[Request, ...],
        route: tuple[RouteHop, ...],
    ) -> None:
        self.policy, self.desk, self.log = policy, desk, log
        self.decisions, self.route_hops = decisions, route_hops
        self.requests, self.route = requests, route

    def process(self, env: simpy.Environment, cal: FiscalCalendar, res: Residents) -> Generator[Any, Any, None]:
        """Replay the requests, then send the first resident's item along the route."""
        t = float(np.flatnonzero(cal.business)[0]) * DAY + 10 * HOUR
        yield env.timeout(t - env.now)
        for r in self.requests:
            if r.action == "provide" and r.node == "center":
                self.desk.inject(t, r)
                continue
            d = decide(self.policy, r)
            b = self.decisions
            b.add(
                seq=b.rows,
                time=t,
                requester=r.requester,
                action=r.action,
                node=r.node,
                affair=r.affair or "",
                provided_affair=r.provided_affair or "",
                subject_is_requester=r.subject_is_requester,
                operator_authenticated=r.operator_authenticated,
                allowed=d.allowed,
                rule=d.rule or "default-deny",
                reason=d.reason,
            )
            self.log.add(t, r.node, -1, r.action if d.allowed else "refuse", 0, b.rows - 1)
        self._send_along_route(t + 60.0, int(res.code[0]))

    def _send_along_route(self, t: float, code: int) -> None:
        b = self.route_hops
        for i, hop in enumerate(self.route, 1):
            tok = hop.token
            b.add(
                seq=b.rows,
                time=t + i,
                hop=i,
                src=hop.src,
                dst=hop.dst,
                compartment="" if hop.compartment == "-" else hop.compartment,
                via=hop.via,
                message=hop.message,
                item=tok.item,
                code=code,
                origin=tok.origin,
                provided_for=tok.tag,
                sealed=tok.sealed,
                away=tok.away,
                key=tok.key,
                disclosed=tok.disclosed,
                rule=hop.rule,
            )

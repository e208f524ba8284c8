"""What every property is proved against: the scenario, its compiled policy, where certificates go."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import z3

from jukinet.model.config.scenario import Scenario
from jukinet.model.law.flow import NONE, Flow
from jukinet.model.world.central import Check
from jukinet.model.world.topology import structural_checks
from jukinet.proofs.encode import Encoding
from jukinet.proofs.flow import FlowEncoding


@dataclass
class Context:
    sc: Scenario
    certificates: Path | None = None
    _enc: Encoding | None = field(default=None, repr=False)

    @cached_property
    def flow(self) -> Flow:
        return Flow(self.sc.graph, self.sc.policy, self.sc.config.statute)

    @cached_property
    def enc(self) -> Encoding:
        named = tuple(sorted({self.flow.requester_of(n) for n in self.flow.nodes} | {NONE}))
        return Encoding.build(self.sc.policy, self.sc.config.statute, named)

    @cached_property
    def fenc(self) -> FlowEncoding:
        return FlowEncoding(self.flow, self.enc)

    @cached_property
    def structural(self) -> dict[str, Check]:
        """`jukinet network`'s checks that bear on a constraint, computed once for the catalogue's properties."""
        return {c.id: c for c in structural_checks(self.sc.graph, self.sc.policy, self.sc.config.statute)}

    @cached_property
    def permit(self) -> z3.BoolRef:
        return self.enc.permit()

    @cached_property
    def hashes(self) -> dict[str, str]:
        statute = self.sc.config.statute.model_dump_json().encode()
        return {"configuration": self.sc.hash, "statute": hashlib.sha256(statute).hexdigest()}

    def articles(self, cid: str) -> tuple[str, ...]:
        return next(c.articles for c in self.sc.config.statute.constraint if c.id == cid)

    def statement(self, cid: str) -> str:
        return next(c.statement for c in self.sc.config.statute.constraint if c.id == cid)

    def decode_request(self, model: z3.ModelRef, general: set[str]) -> dict[str, Any]:
        """A counterexample request, fields that do not matter shown as 'any'."""
        r = self.enc.request(model)
        out: dict[str, Any] = {
            "requester": r.requester,
            "action": r.action,
            "node": r.node,
            "affair": r.affair or "none",
            "provided_affair": r.provided_affair or "none",
            "mode": r.mode,
            "operator_authenticated": r.operator_authenticated,
            "operator_in_scope": r.operator_in_scope,
            "subject_is_requester": r.subject_is_requester,
            "keys": sorted(r.keys),
            "items": sorted(r.items),
        }
        names = {"batch": "mode"}
        for k in general:
            if k.startswith(("key:", "item:")):
                continue
            out[names.get(k, k)] = "any"
        free_keys = sorted(k[4:] for k in general if k.startswith("key:"))
        free_items = sorted(k[5:] for k in general if k.startswith("item:"))
        if free_keys:
            out["keys_that_do_not_matter"] = free_keys
        if free_items:
            out["items_that_do_not_matter"] = free_items
        out["request"] = {
            "requester": r.requester,
            "action": r.action,
            "node": r.node,
            "affair": r.affair,
            "provided_affair": r.provided_affair,
            "keys": sorted(r.keys),
            "items": sorted(r.items),
            "mode": r.mode,
            "operator_authenticated": r.operator_authenticated,
            "operator_in_scope": r.operator_in_scope,
            "subject_is_requester": r.subject_is_requester,
        }
        return out

    def rules_applying(self, model: z3.ModelRef) -> list[str]:
        return [r.id for r in self.sc.policy.rules if z3.is_true(model.eval(self.enc.applies(r), model_completion=True))]

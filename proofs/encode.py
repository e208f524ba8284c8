"""Compile the policy (the rules, the registry, the message schemas the simulation enforces) into
SMT over one symbolic request.

Every field of a request ranges over a finite domain that includes an element for anything not
listed: requesters are every registry and annex body, every requester the network names (each
CS, prefecture server, recipient node, added node, both residents of the flow model), plus one
stand-in per kind for a name the configuration does not name (such a name is in no registry, so
only the kind its prefix gives can matter); affairs are every annex row and registered affair plus
`none` and `other`.  `Encoding.permit` is the policy's decision as a
formula: some permit rule applies and no forbid rule does, exactly as `model.law.policy.decide`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import z3

from jukinet.model.law.policy import ACTIONS, CONDITIONS, NODE_KINDS, QUERY_KEYS, Policy, Request, Rule
from jukinet.model.law.statute import Statute

_SERIAL = itertools.count()
OUTSIDE = {  # one stand-in per kind a name can take without a registry entry (model/law/policy.py requester_kind)
    "resident": "resident:outside",
    "municipality": "cs:outside",
    "prefecture": "pref:outside",
    "private": "private:outside",
    "unknown": "unknown-party",
}


@dataclass
class Encoding:
    """The symbolic request, its domains, and the policy compiled over it."""

    policy: Policy
    statute: Statute
    requesters: list[str]
    affairs: list[str]
    items: list[str]
    R: z3.BitVecSortRef = field(init=False)
    A: z3.DatatypeSortRef = field(init=False)
    ACT: z3.DatatypeSortRef = field(init=False)
    NODE: z3.DatatypeSortRef = field(init=False)
    v: dict[str, Any] = field(init=False)
    _permit: z3.BoolRef | None = field(default=None, init=False, repr=False)
    _conds: dict[str, z3.BoolRef] = field(default_factory=dict, init=False, repr=False)  # a condition's formula, once

    @staticmethod
    def build(policy: Policy, statute: Statute, named: tuple[str, ...] = ()) -> Encoding:
        """`named`: the requesters the network names (model/law/flow.py), besides the registry and the annex."""
        bodies = set(policy.bodies) | {b for r in statute.annex for b in r.bodies} | set(named)
        # ordered by kind, so that every kind's requesters are one interval of the domain
        requesters = sorted(bodies - set(OUTSIDE.values()), key=lambda r: (policy.requester_kind(r), r)) + list(OUTSIDE.values())
        affairs = sorted({r.id for r in statute.annex} | {a for b in policy.bodies.values() for a in b.affairs}) + [
            "none",
            "other",
        ]
        return Encoding(policy, statute, requesters, affairs, sorted(statute.item_ids))

    def __post_init__(self) -> None:
        n = next(_SERIAL)  # z3 sort names are global: each encoding gets its own

        def enum(name: str, values: list[str]) -> tuple[z3.DatatypeSortRef, dict[str, z3.ExprRef]]:
            sort, consts = z3.EnumSort(f"{name}{n}", [f"{_safe(x)}_{n}" for x in values])
            return sort, dict(zip(values, consts, strict=True))

        # Requesters number in the thousands (every CS): bit-vectors, not an enumeration, which z3
        # handles poorly at that size; `domain` keeps a requester variable among the named ones.
        self.R, self.r_const = bitvec_domain(self.requesters)
        self.A, self.a_const = enum("Affair", self.affairs)
        self.ACT, self.act_const = enum("Action", list(ACTIONS))
        self.NODE, self.node_const = enum("Node", list(NODE_KINDS))
        self.v = {
            "requester": z3.Const("requester", self.R),
            "affair": z3.Const("affair", self.A),
            "provided_affair": z3.Const("provided_affair", self.A),
            "action": z3.Const("action", self.ACT),
            "node": z3.Const("node", self.NODE),
            "batch": z3.Bool("batch"),
            "operator_authenticated": z3.Bool("operator_authenticated"),
            "operator_in_scope": z3.Bool("operator_in_scope"),
            "subject_is_requester": z3.Bool("subject_is_requester"),
            "logging_on": z3.Bool("logging_on"),
            "keys": {k: z3.Bool(f"key_{k}") for k in QUERY_KEYS},
            "items": {i: z3.Bool(f"item_{i}") for i in self.items},
        }

    def domain(self, *requesters: Any) -> z3.BoolRef:
        """Each requester term names a requester of the domain."""
        n = len(self.requesters)
        return z3.And([z3.ULT(r, n) for r in (requesters or (self.v["requester"],))])

    # -- helpers --------------------------------------------------------------------------------
    def is_requester(self, names: Any, var: Any = None) -> z3.BoolRef:
        """`var` (default: the request's requester) is one of `names`: the names' indices as intervals of
        the domain, exactly the same set, so that a kind of thousands of requesters is one comparison."""
        r = self.v["requester"] if var is None else var
        idx = sorted({self.index[n] for n in names if n in self.index})
        runs: list[tuple[int, int]] = []
        for i in idx:
            if runs and runs[-1][1] == i - 1:
                runs[-1] = (runs[-1][0], i)
            else:
                runs.append((i, i))
        bits = self.R.size()
        terms = [
            r == z3.BitVecVal(lo, bits)
            if lo == hi
            else z3.And(z3.ULE(z3.BitVecVal(lo, bits), r), z3.ULE(r, z3.BitVecVal(hi, bits)))
            for lo, hi in runs
        ]
        return z3.Or(terms) if terms else z3.BoolVal(False)

    @cached_property
    def index(self) -> dict[str, int]:
        return {n: i for i, n in enumerate(self.requesters)}

    def is_affair(self, names: Any, var: str = "affair") -> z3.BoolRef:
        return z3.Or([self.v[var] == self.a_const[a] for a in names if a in self.a_const] or [z3.BoolVal(False)])

    def is_pair(self, pairs: Any) -> z3.BoolRef:
        r, a = self.v["requester"], self.v["affair"]
        return z3.Or(
            [z3.And(r == self.r_const[b], a == self.a_const[x]) for b, x in pairs if b in self.r_const and x in self.a_const]
            or [z3.BoolVal(False)]
        )

    def keys_are(self, combo: Any) -> z3.BoolRef:
        return z3.And([self.v["keys"][k] == (k in combo) for k in QUERY_KEYS])

    def items_within(self, allowed: Any) -> z3.BoolRef:
        return z3.And([z3.Not(self.v["items"][i]) for i in self.items if i not in allowed] or [z3.BoolVal(True)])

    def kind(self, name: str) -> str:
        return self.policy.requester_kind(name)

    # -- the policy -------------------------------------------------------------------------------
    def condition(self, c: str) -> z3.BoolRef:
        """A rule condition over the symbolic request (built once per encoding: rules share their conditions)."""
        if c not in self._conds:
            self._conds[c] = self._condition(c)
        return self._conds[c]

    def _condition(self, c: str) -> z3.BoolRef:
        if c.startswith("not:"):
            return z3.Not(self.condition(c[4:]))
        p, v = self.policy, self.v
        match c:
            case "registered":
                return self.is_requester(p.bodies)
            case "affair_registered":
                return self.is_pair(p.registered_pairs)
            case "public_body":
                return self.is_requester([b for b, body in p.bodies.items() if body.kind == "public"])
            case "operator_authenticated" | "operator_in_scope" | "subject_is_requester":
                return v[c]
            case "keys_allowed":
                return z3.If(v["batch"], self.is_affair(p.batch_affairs), z3.Or([self.keys_are(k) for k in p.allowed_keys]))
            case "items_in_schema":
                cases = [
                    z3.And(v["action"] == self.act_const[a], self.items_within(p.messages[m].items))
                    for a, m in p.action_message.items()
                    if a in self.act_const and m in p.messages
                ]
                return z3.Or(cases or [z3.BoolVal(False)])
            case "same_affair":
                return z3.And(v["affair"] == v["provided_affair"], v["affair"] != self.a_const["none"])
            case "logging_on":
                return v["logging_on"]
        raise ValueError(f"unknown condition {c!r}; known: {CONDITIONS}")

    def applies(self, rule: Rule) -> z3.BoolRef:
        v = self.v
        kinds = [n for n in self.requesters if self.kind(n) in rule.requester]
        return z3.And(
            v["action"] == self.act_const[rule.action],
            v["node"] == self.node_const[rule.node],
            self.is_requester(kinds),
            *[self.condition(c) for c in rule.when],
        )

    def permit(self) -> z3.BoolRef:
        """The policy's decision on the symbolic request (built once per encoding)."""
        if self._permit is None:
            self._permit = self._compile_permit()
        return self._permit

    def _compile_permit(self) -> z3.BoolRef:
        return z3.substitute(self.rules_permit(), (self.v["logging_on"], z3.BoolVal(self.policy.logging)))

    def rules_permit(self) -> z3.BoolRef:
        """What the rules permit, with the access log's state left free (C09 asks about it)."""
        permits = [self.applies(r) for r in self.policy.rules if r.effect == "permit"]
        forbids = [self.applies(r) for r in self.policy.rules if r.effect == "forbid"]
        return z3.And(z3.Or(permits or [z3.BoolVal(False)]), z3.Not(z3.Or(forbids or [z3.BoolVal(False)])))

    # -- between formulas and requests ---------------------------------------------------------------
    def bind(self, r: Request) -> z3.BoolRef:
        """The request's fields as equalities over the symbolic request."""
        v = self.v
        req = r.requester if r.requester in self.r_const else OUTSIDE.get(self.kind(r.requester), "unknown-party")
        aff = r.affair if r.affair in self.a_const else ("none" if r.affair is None else "other")
        prov = r.provided_affair if r.provided_affair in self.a_const else ("none" if r.provided_affair is None else "other")
        return z3.And(
            v["requester"] == self.r_const[req],
            v["affair"] == self.a_const[aff],
            v["provided_affair"] == self.a_const[prov],
            v["action"] == self.act_const[r.action],
            v["node"] == self.node_const[r.node],
            v["batch"] == (r.mode == "batch"),
            v["operator_authenticated"] == r.operator_authenticated,
            v["operator_in_scope"] == r.operator_in_scope,
            v["subject_is_requester"] == r.subject_is_requester,
            *[v["keys"][k] == (k in r.keys) for k in QUERY_KEYS],
            *[v["items"][i] == (i in r.items) for i in self.items],
        )

    def permit_for(self, **fields: Any) -> z3.BoolRef:
        """The policy's decision with some request fields replaced by terms (a second request)."""
        pairs = [(self.v[k], x) for k, x in fields.items() if k not in ("keys", "items")]
        for group in ("keys", "items"):
            pairs += [(self.v[group][k], x) for k, x in fields.get(group, {}).items()]
        return z3.substitute(self.permit(), *pairs) if pairs else self.permit()

    def decides(self, r: Request) -> bool:
        """The compiled policy's decision on one concrete request (for differential tests)."""
        s = z3.Solver()
        s.add(self.bind(r), self.permit())
        return bool(s.check() == z3.sat)

    def request(self, m: z3.ModelRef) -> Request:
        """The concrete request a model describes."""
        v = self.v

        def val(x: Any) -> Any:
            return m.eval(x, model_completion=True)

        def name(x: Any, consts: dict[str, Any]) -> str:
            got = val(x)
            return next(k for k, c in consts.items() if z3.eq(c, got))

        aff = name(v["affair"], self.a_const)
        prov = name(v["provided_affair"], self.a_const)
        return Request(
            requester=name(v["requester"], self.r_const),
            action=name(v["action"], self.act_const),
            node=name(v["node"], self.node_const),
            affair=None if aff == "none" else aff,
            provided_affair=None if prov == "none" else prov,
            keys=frozenset(k for k in QUERY_KEYS if z3.is_true(val(v["keys"][k]))),
            items=frozenset(i for i in self.items if z3.is_true(val(v["items"][i]))),
            mode="batch" if z3.is_true(val(v["batch"])) else "interactive",
            operator_authenticated=z3.is_true(val(v["operator_authenticated"])),
            operator_in_scope=z3.is_true(val(v["operator_in_scope"])),
            subject_is_requester=z3.is_true(val(v["subject_is_requester"])),
        )

    def fields(self) -> dict[str, Any]:
        """Each field of the symbolic request, for generalising counterexamples."""
        out = {
            k: self.v[k]
            for k in (
                "requester",
                "affair",
                "provided_affair",
                "action",
                "node",
                "batch",
                "operator_authenticated",
                "operator_in_scope",
                "subject_is_requester",
            )
        }
        out.update({f"key:{k}": x for k, x in self.v["keys"].items()})
        out.update({f"item:{k}": x for k, x in self.v["items"].items()})
        return out


def bitvec_domain(values: list[str]) -> tuple[z3.BitVecSortRef, dict[str, z3.ExprRef]]:
    """A finite domain as bit-vectors 0 .. len-1, one value per name."""
    bits = max(1, (len(values) - 1).bit_length())
    return z3.BitVecSort(bits), {x: z3.BitVecVal(i, bits) for i, x in enumerate(values)}


def _safe(name: str) -> str:
    """An SMT-LIB symbol for a domain element."""
    return "e_" + "".join(ch if ch.isalnum() else "_" for ch in name)

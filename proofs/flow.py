"""The flow relations of model/law/flow.py compiled to SMT, and the flow constraints proved over them.

Sorts: every node of the network (and the two residents), each its own element, as bit-vectors;
every affair the configuration names (plus `none`, `other`), every item, every message type, every
requester the configuration names (`proofs.encode`).  A node's kind and requester, and the graph's
links, are written as runs over the node numbers (proofs/runs.py, exact); `Permit` is the compiled
policy (`Encoding.permit`), with the request's fields bound as model/law/flow.py says and every other
field free.

Each flow constraint C is proved as an inductive invariant: no initial holding breaks Lawful_C,
and no permitted step takes a token from a holding that satisfies Lawful_C to one that does not.
Both are one solver query each over symbolic holders, tokens, links and requests: unsat is
PROVED for every reachable holding.  A sat answer names the step; the breadth-first search of
model/law/flow.py then finds the route from an initial holding to it, hop by hop.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import z3

from jukinet.model.law.flow import JUKINET_KINDS, NONE, OTHER, SUBJECT, Flow, Holder, Token
from jukinet.proofs import runs
from jukinet.proofs.encode import Encoding, _safe
from jukinet.proofs.facts import pure_carriers, unasked_links

_SERIAL = itertools.count()
NOBODY = "origin:none"  # the origin of a token that has left no body


@dataclass
class State:
    """One symbolic holding: holder (node, compartment) and token (item, origin, tag, sealed, away, key)."""

    node: Any
    comp: Any
    item: Any
    origin: Any
    tag: Any
    sealed: Any
    away: Any
    key: Any
    disclosed: Any


@dataclass
class FlowEncoding:
    """The flow relations over every node of the network, each its own element and its own principal.

    No quotient: an earlier one merged the nodes that agreed on kind and requester (every municipal head,
    every governor), which made a flow from one local public body to another a flow "within one body"
    (issue 26).  The nodes are numbered by (kind, id), so the whole network's links are a few hundred runs
    and the catalogue takes seconds over its ~3,900 nodes (python bench/proofs_bench.py).
    """

    flow: Flow
    enc: Encoding
    n: int = field(default_factory=lambda: next(_SERIAL))
    _steps: dict[tuple[str, str], z3.BoolRef] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        f, n = self.flow, self.n

        def enum(name: str, values: list[str]) -> tuple[z3.DatatypeSortRef, dict[str, z3.ExprRef]]:
            sort, consts = z3.EnumSort(f"{name}F{n}", [f"{_safe(x)}_f{n}" for x in values])
            return sort, dict(zip(values, consts, strict=True))

        # every node its own element and principal (issue 26), numbered by (kind, id): relations are runs
        self.order = sorted(f.nodes, key=lambda x: (f.kinds[x], x))
        self.index = {x: i for i, x in enumerate(self.order)}
        self.NODE = z3.BitVecSort(max(1, len(self.order).bit_length()))
        self.node_sig = {x: z3.BitVecVal(i, self.NODE) for i, x in enumerate([*self.order, NOBODY])}
        self.node = {x: self.node_sig[x] for x in f.nodes}
        self.ITEM, self.item = enum("Item", list(f.items))
        messages = sorted({m for _, _, m, _ in f.links} | set(f.policy.messages))
        self.MSG, self.msg = enum("Msg", messages)
        self._kind_idx: dict[str, list[int]] = {}
        for i, x in enumerate(self.order):
            self._kind_idx.setdefault(f.kinds[x], []).append(i)
        r = self.enc.index
        self._req_values = [r[f.requester_of(x)] for x in self.order]
        self._req_terms: dict[int, tuple[Any, Any]] = {}

    def req_of(self, node: Any) -> Any:
        """The requester a node asks as (its registry body, else its own id): its If-chain built once per node term."""
        if node.get_id() not in self._req_terms:  # the term is kept, so that its id stays its own
            self._req_terms[node.get_id()] = (node, runs.function(self._req_values, node, self.enc.R.size()))
        return self._req_terms[node.get_id()][1]

    # -- the configuration as ground facts ----------------------------------------------------------
    @cached_property
    def facts(self) -> z3.BoolRef:
        """Nothing to assume: a node's kind and requester are written into every formula that reads them."""
        return z3.BoolVal(True)

    def domain(self, *states: State) -> z3.BoolRef:
        """The request's requester names one of the domain, and each state's origin is a body (or nobody)."""
        return z3.And(
            [z3.And(self.real(s.node), z3.Or(s.origin == self.nobody, self.body(s.origin))) for s in states] + [self.enc.domain()]
        )

    def state(self, tag: str) -> State:
        sorts = {"node": self.NODE, "comp": self.enc.A, "item": self.ITEM, "origin": self.NODE, "tag": self.enc.A}
        flags = {k: z3.Bool(f"{tag}_{k}") for k in ("sealed", "away", "key", "disclosed")}
        return State(**{k: z3.Const(f"{tag}_{k}", v) for k, v in sorts.items()}, **flags)

    def real(self, node: Any) -> z3.BoolRef:
        """A node of the network (or a resident), not the stand-in for no origin."""
        return z3.ULT(node, z3.BitVecVal(len(self.order), self.NODE))

    def kind_in(self, node: Any, kinds: Any) -> z3.BoolRef:
        return runs.member(node, [i for k in kinds for i in self._kind_idx.get(k, ())])

    def body(self, node: Any) -> z3.BoolRef:
        return z3.Not(self.kind_in(node, (*JUKINET_KINDS, "resident")))

    def conduit(self, s: State) -> z3.BoolRef:
        """A relay holding a sealed token: a carrier's line, holding nothing (model/law/flow.py `Flow.conduit`)."""
        return z3.And(s.sealed, self.kind_in(s.node, ("relay",)))

    def item_in(self, item: Any, items: Any) -> z3.BoolRef:
        its = [self.item[i] for i in sorted(items) if i in self.item]
        return z3.Or([item == i for i in its]) if its else z3.BoolVal(False)

    @cached_property
    def none(self) -> z3.ExprRef:
        return self.enc.a_const["none"]

    @cached_property
    def nobody(self) -> z3.ExprRef:
        return self.node_sig[NOBODY]

    @staticmethod
    def unflagged(s: State) -> z3.BoolRef:
        """A token with none of the flags a send sets: not sealed, not away, no query key, not disclosed."""
        return z3.And(z3.Not(s.sealed), z3.Not(s.away), z3.Not(s.key), z3.Not(s.disclosed))

    # -- initial holdings -----------------------------------------------------------------------------
    def initial(self, s: State) -> z3.BoolRef:
        p = self.flow.policy
        plain = z3.And(s.comp == self.none, s.origin == self.nobody, s.tag == self.none, self.unflagged(s))
        cases = [self.kind_in(s.node, ("cs",)), s.node == self.node[SUBJECT]]
        for k in ("prefecture", "center"):
            cases.append(z3.And(self.kind_in(s.node, (k,)), self.item_in(s.item, p.stores.get(k, ()))))
        return z3.And(plain, z3.Or(cases))

    # -- the steps ----------------------------------------------------------------------------------
    def carries(self, m: Any, item: Any) -> z3.BoolRef:
        return z3.Or([z3.And(m == c, self.item_in(item, self.flow.carried(name))) for name, c in self.msg.items()])

    def msg_in(self, m: Any, names: Any) -> z3.BoolRef:
        return z3.Or([m == self.msg[x] for x in names]) if names else z3.BoolVal(False)

    def edge(self, u: Any, v: Any, m: Any) -> z3.BoolRef:
        """The links of the graph, and the schemas that go from a kind of node to a resident."""
        return z3.Or(
            [z3.And(m == self.msg[x], runs.holds(rs, u, v)) for x, rs in self._edge_runs.items()] + self._to_residents(u, v, m)
        )

    @cached_property
    def _edge_runs(self) -> dict[str, list[runs.Run]]:
        pairs: dict[str, set[tuple[int, int]]] = {}
        for a, b, d in self.flow.graph.edges(data=True):
            for x in d.get("messages", ()):
                pairs.setdefault(x, set()).add((self.index[a], self.index[b]))
        return {x: runs.runs(ps) for x, ps in sorted(pairs.items())}

    def _to_residents(self, u: Any, v: Any, m: Any) -> list[z3.BoolRef]:
        to_resident = z3.Or(v == self.node[SUBJECT], v == self.node[OTHER])
        return [z3.And(self.kind_in(u, (k,)), to_resident, m == self.msg[x]) for x, k in self.flow.resident_messages]

    def step(self, a: State, b: State) -> z3.BoolRef:
        """A permitted step from holding `a` to holding `b` (model/law/flow.py, `Flow.steps`)."""
        key = (str(a.node), str(b.node))
        return self._steps[key] if key in self._steps else self._steps.setdefault(key, self._step(a, b))

    def _step(self, a: State, b: State) -> z3.BoolRef:
        f, v = self.flow, self.enc.v
        m = z3.Const("step_msg", self.MSG)
        sealed_m = self.msg_in(m, [x for x in self.msg if f.sealed(x)])
        dst_kind = z3.Or(
            [z3.And(m == c, self.kind_in(b.node, (f.dst_kind(x),))) for x, c in self.msg.items() if f.dst_kind(x)]
            or [z3.BoolVal(False)]
        )
        origin = z3.If(z3.Or(a.origin != self.nobody, z3.Not(self.body(a.node)), self.conduit(a)), a.origin, a.node)
        query = self.msg_in(m, [x for x in self.msg if f.query(x)])
        subject = v["subject_is_requester"] == (b.node == self.node[SUBJECT])
        bound = []
        for x, c in self.msg.items():
            act = f.message_action.get(x)
            if act is None:
                bound.append(z3.And(m == c, b.comp == self.none, b.tag == a.tag))
                continue
            pull = f.policy.action_requester.get(act, "receiver") == "receiver"
            # a node that asks for nothing gets the message only by another's request (model/law/flow.py,
            # `misdelivered`; checked facts `never_asks`, `unasked_links`)
            addressee = ("resident", *([f.dst_kind(x)] if f.dst_kind(x) else []))
            mute = [b.node == self.node[n] for n in sorted(f.never_asks.get(act, ()))]
            mute += [z3.And(a.node == self.node[u], b.node == self.node[w]) for u, w in unasked_links(f, x)]
            relay = z3.Or(self.inside(b.node), z3.Not(self.kind_in(b.node, addressee)), *mute) if pull else z3.BoolVal(False)
            carried_for = z3.Const(f"carried_for_{act}", self.enc.R)
            registered = self.enc.is_requester([*sorted(f.policy.bodies), SUBJECT], var=carried_for)
            req = z3.If(relay, carried_for, self.req_of(b.node if pull else a.node))
            asked = z3.If(
                relay, self.asks(act, req, None, self.none, z3.BoolVal(True)), self.asks(act, req, None, self.none, subject)
            )
            permitted = z3.And(asked, z3.Implies(relay, registered))
            if act == "provide":
                lands = z3.If(
                    z3.And(self.body(b.node), z3.Not(relay)),
                    z3.And(b.comp == v["affair"], b.comp != self.none, b.tag == b.comp),
                    z3.And(b.comp == self.none, b.tag == a.tag),
                )
            else:
                lands = z3.And(b.comp == self.none, b.tag == a.tag)
            bound.append(z3.And(m == c, permitted, lands))
        send = z3.And(
            self.edge(a.node, b.node, m),
            self.carries(m, a.item),
            b.item == a.item,
            z3.Implies(a.sealed, sealed_m),
            b.sealed == z3.And(sealed_m, z3.Not(dst_kind)),
            b.away == self.kind_in(b.node, ("cs",)),
            b.origin == origin,
            b.key == query,
            b.disclosed == self.msg_in(m, [x for x in self.msg if f.message_action.get(x) == "disclose"]),
            z3.Implies(z3.And(a.key, self.inside(a.node)), query),  # a query's key at Juki-net goes on only as a query
            z3.Or(bound),
        )
        use = z3.And(
            a.node == b.node,
            self.body(a.node),
            a.comp != self.none,
            b.comp != self.none,
            b.comp != a.comp,
            b.item == a.item,
            b.origin == a.origin,
            b.tag == a.tag,
            b.sealed == a.sealed,
            b.away == a.away,
            b.key == a.key,
            b.disclosed == a.disclosed,
            self.asks("use", self.req_of(a.node), b.comp, a.comp, z3.BoolVal(True)),
        )
        code = self.item.get("code")
        demand = (
            z3.And(
                a.node == self.node[SUBJECT],
                a.item == code,
                z3.Not(a.sealed),
                self.body(b.node),
                b.comp != self.none,
                b.item == code,
                b.origin == self.nobody,
                b.tag == b.comp,
                self.unflagged(b),
                self.asks("demand_code", self.req_of(b.node), b.comp, self.none, z3.BoolVal(True)),
            )
            if code is not None
            else z3.BoolVal(False)
        )
        return z3.Or(send, use, demand)

    def asks(self, action: str, requester: Any, affair: Any, provided: Any, subject: Any = None) -> z3.BoolRef:
        """Some request with these fields (affair None: free; subject None: not the subject; a formula over
        `subject_is_requester`, true for either) is permitted; every other field of the request is free."""
        v, e = self.enc.v, self.enc
        return z3.And(
            v["action"] == e.act_const[action],
            v["requester"] == requester,
            v["affair"] == affair if affair is not None else z3.BoolVal(True),
            v["provided_affair"] == provided,
            z3.Not(v["subject_is_requester"]) if subject is None else subject,
            e.permit(),
        )

    def well_formed(self, s: State) -> z3.BoolRef:
        """What every holding the steps can make satisfies, whatever the configuration: compartments
        only at bodies, `away` exactly at a CS reached by a send.  Inductive by the steps' definition,
        and proved so with every flow constraint (it is in the goal as well as the hypothesis)."""
        return z3.And(
            z3.Implies(s.comp != self.none, self.body(s.node)),
            z3.Implies(s.away, self.kind_in(s.node, ("cs",))),
            z3.Implies(s.tag != self.none, z3.Or(s.tag == s.comp, self.body(s.node), s.comp == self.none)),
        )

    def strengthening(self, cid: str, s: State) -> z3.BoolRef:
        """A lemma proved with Lawful_C (in hypothesis and goal), not part of C: a relay reached only by carriers' lines
        holds only sealed tokens (no query's key if no query reaches it), which left no body (C03) and carry no affair
        (C04); for C04, a tagged item is inside Juki-net only as a query's key.  Broken: the complete search decides."""
        carriers, blind = (runs.member(s.node, idx) for idx in self._carriers)
        lemma = z3.And(z3.Implies(carriers, s.sealed), z3.Implies(blind, z3.Not(s.key)))
        plain = z3.And(carriers, z3.Not(s.key))
        if cid == "C03":
            return z3.And(lemma, z3.Implies(plain, s.origin == self.nobody))
        if cid == "C04":
            inside = z3.Implies(s.tag != self.none, z3.Or(s.key, z3.Not(self.inside(s.node))))
            return z3.And(lemma, inside, z3.Implies(plain, s.tag == self.none))
        return z3.BoolVal(True)

    @cached_property
    def _carriers(self) -> list[list[int]]:  # the node numbers of `pure_carriers`, once per encoding
        return [[self.index[n] for n in ns] for ns in pure_carriers(self.flow)]

    # -- the law ----------------------------------------------------------------------------------------
    def lawful(self, cid: str, s: State) -> z3.BoolRef:
        return self._lawful(cid, s) if cid == "C01" else z3.Or(self.conduit(s), self._lawful(cid, s))

    def _lawful(self, cid: str, s: State) -> z3.BoolRef:
        f, e = self.flow, self.enc
        if cid == "C01":
            central = self.kind_in(s.node, ("prefecture", "center"))
            away = z3.And(self.kind_in(s.node, ("cs",)), s.away)
            return z3.And(
                z3.Implies(central, z3.Or(s.sealed, self.item_in(s.item, f.identity))),
                z3.Implies(away, z3.Or(s.sealed, self.item_in(s.item, f.other_cs_items))),
            )
        if cid == "C02":
            req = self.req_of(s.node)
            listed = z3.Or(
                [z3.And(req == e.r_const[b], s.comp == e.a_const[a]) for b, a in sorted(f.statute.listed)] or [z3.BoolVal(False)]
            )
            annex = z3.And(z3.Not(s.sealed), self.item_in(s.item, f.identity), s.comp != self.none, listed)
            granted = [
                z3.And(self.kind_in(s.node, (k,)), s.comp == self.none, z3.Not(s.sealed), self.item_in(s.item, items))
                for k, items in f.granted.items()
            ]
            return z3.Implies(self.body(s.node), z3.Or(annex, *granted))
        if cid == "C03":
            return z3.Or(
                s.origin == self.nobody, z3.And(self.body(s.node), s.node == s.origin), z3.And(s.key, self.inside(s.node))
            )
        if cid == "C04":
            return z3.Or(s.tag == s.comp, z3.And(s.comp == self.none, z3.Or(s.tag == self.none, z3.Not(self.body(s.node)))))
        if cid == "C12":
            return z3.And(s.node != self.node[OTHER], z3.Implies(s.disclosed, s.node == self.node[SUBJECT]))
        raise ValueError(f"not a flow constraint: {cid}")

    # -- between models and the plain semantics ---------------------------------------------------------
    def decode(self, model: z3.ModelRef, s: State) -> tuple[Holder, Token]:
        def name(x: Any, consts: dict[str, Any]) -> str:
            got = model.eval(x, model_completion=True)
            return next(k for k, c in consts.items() if z3.eq(c, got))

        comp = name(s.comp, self.enc.a_const)
        tag = NONE if (t := name(s.tag, self.enc.a_const)) == "none" else t
        node = self.node_name(model, s.node)
        origin = self.node_name(model, s.origin)
        flags = (z3.is_true(model.eval(x, model_completion=True)) for x in (s.sealed, s.away, s.key, s.disclosed))
        item = name(s.item, self.item)
        return (node, NONE if comp == "none" else comp), Token(item, NONE if origin == NOBODY else origin, tag, *flags)

    def node_name(self, model: z3.ModelRef, x: Any) -> str:
        """The node a model gives a node term."""
        i = model.eval(x, model_completion=True).as_long()
        return self.order[i] if i < len(self.order) else NOBODY

    # -- links as they are, whatever they declare (C03's no link between bodies, C13) ----------------------
    def any_link(self, u: Any, v: Any) -> z3.BoolRef:
        pairs = {(self.index[a], self.index[b]) for a, b in self.flow.graph.edges()}
        return runs.holds(runs.runs(pairs), u, v)

    def inside(self, node: Any) -> z3.BoolRef:
        """A node of Juki-net itself (center, prefecture server, CS)."""
        return self.kind_in(node, JUKINET_KINDS)

    ATTRS = ("dedicated", "mutual_auth", "encrypted", "intrusion_detection", "firewall", "protocol")

    @cached_property
    def link_vars(self) -> dict[str, Any]:
        return {k: z3.String(f"link_{k}") if k in ("firewall", "protocol") else z3.Bool(f"link_{k}") for k in self.ATTRS}

    def link_with(self, u: Any, v: Any, carrying: Any) -> z3.BoolRef:
        """Some link from u to v has the attributes `link_vars`; `carrying(messages)` says whether the
        messages it declares can carry an item (a formula)."""
        groups: dict[tuple[tuple[str, ...], tuple[Any, ...]], set[tuple[int, int]]] = {}
        for a, b, d in self.flow.graph.edges(data=True):
            attrs = tuple(str(d.get(k, "")).lower() if k in ("firewall", "protocol") else bool(d.get(k)) for k in self.ATTRS)
            groups.setdefault((tuple(sorted(d.get("messages", ()))), attrs), set()).add((self.index[a], self.index[b]))
        lv = self.link_vars
        terms = []
        for (msgs, attrs), pairs in sorted(groups.items()):
            vals = [
                lv[k] == (z3.StringVal(x) if isinstance(x, str) else z3.BoolVal(x))
                for k, x in zip(self.ATTRS, attrs, strict=True)
            ]
            terms.append(z3.And(runs.holds(runs.runs(pairs), u, v), carrying(list(msgs)), *vals))
        return z3.Or(terms) if terms else z3.BoolVal(False)

    def secure(self, statute: Any) -> z3.BoolRef:
        """C13's requirement (statute `[c13]`) on the attributes `link_vars`."""
        lv, req = self.link_vars, statute.c13
        known = [lv[k] if k in lv and k not in ("firewall", "protocol") else z3.BoolVal(False) for k in req.required]
        protocol = z3.Or([lv["protocol"] == z3.StringVal(p.lower()) for p in req.allowed_protocols] or [z3.BoolVal(False)])
        return z3.And(*known, lv["firewall"] == z3.StringVal(req.firewall.lower()), protocol)

"""Information flow over the whole network: who can come to hold which item, by which route.

One definition, read two ways: the plain breadth-first search here (`Flow.reach`), which decides
every hop with `model.law.policy.decide`, and `proofs/flow.py`, which compiles the same relations to
SMT and proves, over every holder and every requester, that whatever can be reached is lawful.

Holder  (node, compartment).  Nodes: every node of the network graph, plus `resident:subject`
        (the person a record is about) and `resident:other` (anyone else).  Juki-net's own nodes
        are the center, the prefecture servers and the CS; every other node (recipients, private
        parties, the JPKI link server, nodes a scenario adds) is a *body*.  At a body, data sits in
        the compartment of the affair it was provided for; `-` is no compartment.
Token   (item, origin, tag, sealed, away, key): one item of a resident's record, with
        origin  the body it first left (`-` while it has left none; C03): the node itself, for every
                body is its own principal (each governor and each municipal head is the executive
                organ of a separate local public body, Local Autonomy Act Art. 1-3, 139, 147),
        tag     the affair it was provided for (`-` before any provision; C04),
        sealed  inside a message that relays carry without reading (schema `sealed`),
        away    held by a CS other than the one of residence (every CS it reaches by a send),
        key     it travelled as a query's lookup key (schema `carries_identity = false`); at Juki-net it
                travels on only as a query (relayed towards the center), never in an answer,
        disclosed  it came by the message bound to `disclose` (Art. 30-37: to its subject only; C12).
Initial every CS holds every item of its residents' records (away false); the subject holds their
        own; the prefecture and center stores hold their configured items (`policy.stores`).
Send    a link u -> v that declares message m moves a token of an item m carries (a schema's items,
        the lookup keys of a query included: a query is identity information leaving its sender;
        every item when the message has no schema) from any compartment of u.  A query's key held at a
        Juki-net node goes on only in a query (relayed; the query is answered, not kept).  A message bound
        to an action (`policy.action_message`) needs a request the policy permits, with the sender (push:
        notify, forward) or the receiver (pull: provide, disclose) as requester (`policy.action_requester`,
        fixed by the Act: model/config/checks.py refuses another reading); a node outside Juki-net not of
        the kind the schema addresses (a relay, a broker sent provisions, a governor sent disclosures), or
        sent it from a node its own queries never reach, asks for nothing: another's permitted request
        brings it there (a registered body's, or the subject's), in no compartment; every other field of
        the request is free, whether the requester is the subject included for `use` and `demand_code` (a
        consent condition can open a use).  A provision to a body lands in the compartment of the affair
        its request names (tag := that affair); other messages land in `-`.  A sealed message's token
        stays sealed until a node of the schema's `dst` kind receives it, and a sealed token travels only
        in sealed messages.  A message whose schema goes to `resident` is handed by every node of its
        `src` kind to a resident (`subject_is_requester` only for the subject).  Within a body, `use` moves
        a token between compartments, and `demand_code` hands the subject's code to a compartment.
Lawful  per constraint, the law side, from the statute (`[lawful]`, the identity flags, the annex):
        C01 prefecture servers and the center hold only identity items (or sealed traffic), a CS
            holds away from home only what a transfer notice or a wide-area copy may carry;
        C02 a body holds only identity items, only in the compartment of an affair the annex
            lists for it, or what `[[lawful.holder]]` grants its kind;
        C03 a token that left a body is held by that body only (a query's keys at the Juki-net node
            asked aside);
        C04 at a body, what was provided for an affair is held in that affair's compartment only;
        C12 nobody but the subject holds anything as a resident, and what a disclosure brings is held by
            the subject only (whoever else it reaches, by any route: C12 both ways).
        A relay holding a sealed token is a conduit (a carrier's line): it holds nothing, leaves no origin.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import networkx as nx

from jukinet.model.law.holdings import NONE, WHY_UNLAWFUL, Holder, Hop, RouteHop, Token, route_of
from jukinet.model.law.permits import Permits
from jukinet.model.law.policy import Policy
from jukinet.model.law.relays import unasked as answer_unasked
from jukinet.model.law.statute import Statute

JUKINET_KINDS = ("center", "prefecture", "cs")
SUBJECT, OTHER = "resident:subject", "resident:other"
_Send = tuple[str, str, str, bool, list[tuple[str, str, tuple[str, ...]]], frozenset[str], bool, bool, bool, bool]
FLOW_CONSTRAINTS = ("C01", "C02", "C03", "C04", "C12")
__all__ = ["FLOW_CONSTRAINTS", "JUKINET_KINDS", "NONE", "OTHER", "SUBJECT", "WHY_UNLAWFUL"]
__all__ += ["Flow", "Holder", "Hop", "RouteHop", "Token"]


@dataclass(frozen=True)
class Flow:
    """The flow relations of one configuration: nodes, kinds, sends, initial holdings, lawful sets."""

    graph: nx.DiGraph
    policy: Policy
    statute: Statute
    _sends_of: dict[str, list[Any]] = field(default_factory=dict, repr=False)
    _uses_of: dict[tuple[str, str], list[tuple[str, str, tuple[str, ...]]]] = field(default_factory=dict, repr=False)
    _demands_of: dict[str, list[tuple[str, str, tuple[str, ...]]]] = field(default_factory=dict, repr=False)
    _records_of: dict[str, tuple[list[_Send], list[_Send]]] = field(default_factory=dict, repr=False)

    # -- the configuration, read ----------------------------------------------------------------
    @cached_property
    def kinds(self) -> dict[str, str]:
        k = {n: str(d.get("kind", "unknown")) for n, d in self.graph.nodes(data=True)}
        k[SUBJECT] = k[OTHER] = "resident"
        return k

    @cached_property
    def nodes(self) -> list[str]:
        return list(self.kinds)

    def is_body(self, node: str) -> bool:
        return self.kinds[node] not in JUKINET_KINDS and self.kinds[node] != "resident"

    def conduit(self, node: str, t: Token) -> bool:
        """A relay carrying a sealed message it cannot open (a carrier's line): it holds nothing of the record."""
        return t.sealed and self.kinds[node] == "relay"

    def misdelivered(self, node: str, message: str, src: str | None = None) -> bool:
        """A node that asks for nothing, so that a pull message reaches it as the answer to another's permitted
        request: a node of Juki-net, or one outside it (not a resident) not of the schema's addressee kind (a relay,
        a broker sent provisions, a governor sent disclosures) or of that kind with no registry entry (`never_asks`),
        or sent it by `src`, a node its own queries never reach (provision only on request, Art. 30-7(3): a CS
        relays its own unit's answers, a prefecture server its own prefecture's; `asks_through`; a relay passes on
        what the nodes behind it send, to every node it reaches: model/law/relays.py)."""
        kind = self.kinds[node]
        if kind == "resident":
            return False
        mute = node in self.never_asks.get(self.message_action.get(message, ""), ())
        unasked = src is not None and answer_unasked(self.graph, self.asks_through.get(node, frozenset()), src, node, message)
        return self.inside(node) or kind != self.dst_kind(message) or mute or unasked

    @cached_property
    def never_asks(self) -> dict[str, frozenset[str]]:
        """Per pull action, the nodes outside Juki-net declared of its schema's addressee kind that no registry entry stands
        for (a declared kind is not trusted; a registered body with no row in force has a dormant link; a checked fact)."""
        pulls = {
            a: self.dst_kind(m) for a, m in self.policy.action_message.items() if self.policy.action_requester.get(a) != "sender"
        }
        unknown = [n for n in self.bodies if self.requester_of(n) not in self.policy.bodies]
        return {a: frozenset(n for n in unknown if self.kinds[n] == k) for a, k in pulls.items()}

    @cached_property
    def asks_through(self) -> dict[str, frozenset[str]]:
        """Per body, the nodes its queries reach, link by link (a checked fact for proofs/flow.py)."""
        asks = nx.DiGraph([(u, v) for u, v, m, _ in self.links if self.query(m)])
        return {b: frozenset(nx.descendants(asks, b)) if b in asks else frozenset() for b in self.bodies}

    def inside(self, node: str) -> bool:
        """A node of Juki-net: the center, a prefecture server, a CS (the loader refuses an added one)."""
        return self.kinds[node] in JUKINET_KINDS

    def requester_of(self, node: str) -> str:
        """Who asks, for a node: its registry body where it names one, else the node's own id."""
        return self._requesters.get(node, node)

    @cached_property
    def _requesters(self) -> dict[str, str]:
        return {n: str(d.get("body", n)) for n, d in self.graph.nodes(data=True)}

    @cached_property
    def items(self) -> tuple[str, ...]:
        return tuple(sorted(self.statute.item_ids))

    @cached_property
    def identity(self) -> frozenset[str]:
        return self.statute.identity_items

    @cached_property
    def message_action(self) -> dict[str, str]:
        return {m: a for a, m in self.policy.action_message.items()}

    def carried(self, message: str) -> frozenset[str]:
        """The items a message carries: its schema's (a query's lookup keys too); all for a message with no schema."""
        return self._carried[message] if message in self._carried else frozenset(self.items)

    @cached_property
    def _carried(self) -> dict[str, frozenset[str]]:
        return {m: frozenset(schema.items) for m, schema in self.policy.messages.items()}

    def query(self, message: str) -> bool:
        """A message that carries only lookup keys (schema `carries_identity = false`)."""
        return bool((schema := self.policy.messages.get(message)) and not schema.carries_identity)

    def sealed(self, message: str) -> bool:
        return bool((schema := self.policy.messages.get(message)) and schema.sealed)

    def dst_kind(self, message: str) -> str:
        return schema.dst if (schema := self.policy.messages.get(message)) else ""

    @cached_property
    def links(self) -> list[tuple[str, str, str, str]]:
        """(u, v, message, link name) for every message every link declares."""
        return [
            (u, v, m, str(d.get("link_id", f"{u} -> {v}")))
            for u, v, d in self.graph.edges(data=True)
            for m in d.get("messages", ())
        ]

    @cached_property
    def resident_messages(self) -> list[tuple[str, str]]:
        """(message, src kind) of every schema addressed to a resident."""
        return [(m.id, m.src) for m in self.policy.messages.values() if m.dst == "resident"]

    def initial(self, sources: frozenset[str] | None = None) -> Iterator[tuple[Holder, Token]]:
        """The initial holdings (of the nodes `sources`, if given): the registers of the CS, the stores
        of the prefectures and the center, the subject's own record."""
        for n in self.nodes if sources is None else (n for n in self.nodes if n in sources):
            k = self.kinds[n]
            if k == "cs":
                for i in self.items:
                    yield (n, NONE), Token(i)
            elif k in ("prefecture", "center"):
                for i in sorted(self.policy.stores.get(k, ())):
                    yield (n, NONE), Token(i)
            elif n == SUBJECT:
                for i in self.items:
                    yield (SUBJECT, NONE), Token(i)

    # -- permission -------------------------------------------------------------------------------
    @cached_property
    def permits(self) -> Permits:
        return Permits(self.policy, self.statute)

    def permitted(
        self, action: str, requester: str, affair: str | None = None, provided: str | None = None, subject: bool = False
    ) -> tuple[str, tuple[str, ...]] | None:
        return self.permits.permitted(action, requester, affair, provided, subject)

    def relevant_affairs(self, requester: str) -> tuple[str, ...]:
        return self.permits.relevant_affairs(requester)

    # -- the steps -------------------------------------------------------------------------------
    def steps(self, h: Holder, t: Token, within: frozenset[str] | None = None) -> Iterator[Hop]:
        """Every hop a token held at `h` can take (into the nodes `within`, if given)."""
        node, comp = h
        origin = t.origin if t.origin != NONE or not self.is_body(node) or self.conduit(node, t) else node
        every, queries = self._send_records(node)
        # a query's key at Juki-net travels on only as a query (relayed), never in an answer
        for v, m, name, sealed, landings, carried, token_sealed, away, query, disclose in (
            queries if t.key and self.inside(node) else every
        ):
            if (within is not None and v not in within) or t.item not in carried or (t.sealed and not sealed):
                continue
            for dst_comp, rule, articles in landings:
                tag = t.tag if dst_comp == NONE else dst_comp
                token = Token(t.item, origin, tag, token_sealed, away, query, disclose)
                yield Hop(h, (v, dst_comp), name, m, t, token, rule, articles)
        if comp != NONE and (within is None or node in within):
            for a, rule, articles in self._uses(node, comp):
                yield Hop(h, (node, a), "use", "-", t, t, rule, articles)
        if node == SUBJECT and t.item == "code" and not t.sealed:
            for n in self.bodies if within is None else (n for n in self.bodies if n in within):
                for a, rule, articles in self._demands(n):
                    yield Hop(h, (n, a), "demand_code", "-", t, Token("code", NONE, a), rule, articles)

    def _send_records(self, node: str) -> tuple[list[_Send], list[_Send]]:
        """Every permitted send out of a node (v, message, link name, sealed, landings) with what it does to a token (the
        items it carries; whether the token arrives sealed, away, as a query's key, as a disclosure), and the queries'."""
        if node not in self._records_of:
            every: list[_Send] = [
                (v, m, name, sealed, landings, self.carried(m), sealed and self.kinds[v] != self.dst_kind(m))
                + (self.kinds[v] == "cs", self.query(m), self.message_action.get(m) == "disclose")
                for v, m, name, sealed, landings in self._sends(node)
            ]
            self._records_of[node] = (every, [r for r in every if r[8]])
        return self._records_of[node]

    def _sends(self, node: str) -> list[tuple[str, str, str, bool, list[tuple[str, str, tuple[str, ...]]]]]:
        """(v, message, link name, sealed, [(compartment, rule, articles)]) of every permitted send out of a
        node, whatever it holds (the permission does not depend on the token)."""
        if node in self._sends_of:
            return self._sends_of[node]
        out = []
        targets: list[tuple[str, str, str]] = []
        if node in self.graph:
            for _, v, d in self.graph.out_edges(node, data=True):
                name = str(d.get("link_id", f"{node} -> {v}"))
                targets += [(v, m, name) for m in d.get("messages", ())]
            for m, src_kind in self.resident_messages:
                if self.kinds[node] == src_kind:
                    targets += [(SUBJECT, m, "to resident"), (OTHER, m, "to resident")]
        for v, m, name in targets:
            landings = self._landings(node, v, m)
            if landings:
                out.append((v, m, name, self.sealed(m), landings))
        self._sends_of[node] = out
        return out

    def _landings(self, u: str, v: str, m: str) -> list[tuple[str, str, tuple[str, ...]]]:
        act = self.message_action.get(m)
        if act is None:
            return [(NONE, "", ())]
        pull = self.policy.action_requester.get(act, "receiver") == "receiver"
        if pull and self.misdelivered(v, m, u):  # it asks for nobody: it receives what another's request brings
            for req, subject in [*((b, s) for b in sorted(self.policy.bodies) for s in (False, True)), (SUBJECT, True)]:
                g = self.permitted(act, req, None, None, subject) or next(
                    (x for a in self.relevant_affairs(req) if (x := self.permitted(act, req, a, None, subject))), None
                )
                if g:
                    return [(NONE, *g)]
            return []
        req = self.requester_of(v if pull else u)
        subject = v == SUBJECT
        if self.policy.requester_kind(req) not in self.permits.permit_kinds.get(act, ()):
            return []
        if act == "provide" and self.is_body(v):
            return [(a, *g) for a in self.relevant_affairs(req) if (g := self.permitted(act, req, a, None, subject))]
        g = self.permitted(act, req, None, None, subject)
        if g is None:
            g = next((x for a in self.relevant_affairs(req) if (x := self.permitted(act, req, a, None, subject))), None)
        return [(NONE, *g)] if g else []

    def _uses(self, node: str, comp: str) -> list[tuple[str, str, tuple[str, ...]]]:
        req = self.requester_of(node)
        if (req, comp) not in self._uses_of:
            self._uses_of[req, comp] = [
                (a, *g) for a in self.relevant_affairs(req) if a != comp and (g := self._either("use", req, a, comp))
            ]
        return self._uses_of[req, comp]

    @cached_property
    def bodies(self) -> list[str]:
        return [n for n in self.nodes if self.is_body(n)]

    def _demands(self, body: str) -> list[tuple[str, str, tuple[str, ...]]]:
        """(affair, rule, articles) of every affair for which `body` may demand the code of its subject."""
        if body not in self._demands_of:
            req = self.requester_of(body)
            self._demands_of[body] = [(a, *g) for a in self.relevant_affairs(req) if (g := self._either("demand_code", req, a))]
        return self._demands_of[body]

    def _either(self, action: str, req: str, affair: str, provided: str | None = None) -> tuple[str, tuple[str, ...]] | None:
        """A permitted request whether or not the requester is the subject (a consent condition is no bar)."""
        return self.permitted(action, req, affair, provided) or self.permitted(action, req, affair, provided, True)

    # -- the law -------------------------------------------------------------------------------
    @cached_property
    def other_cs_items(self) -> frozenset[str]:
        return self.identity | frozenset(self.statute.lawful.other_cs_items)

    @cached_property
    def granted(self) -> dict[str, frozenset[str]]:
        """Items `[[lawful.holder]]` grants a node kind outside the annex (e.g. the JPKI link server)."""
        return {g.kind: frozenset(g.items) for g in self.statute.lawful.holder}

    def lawful(self, cid: str, h: Holder, t: Token) -> bool:
        node, comp = h
        kind = self.kinds[node]
        if cid != "C01" and self.conduit(node, t):
            return True  # a conduit holds nothing (C01 is about Juki-net's own nodes, never a relay)
        if cid == "C01":
            if kind in ("prefecture", "center"):
                return t.sealed or t.item in self.identity
            if kind == "cs" and t.away:
                return t.sealed or t.item in self.other_cs_items
            return True
        if cid == "C02":
            if not self.is_body(node):
                return True
            if kind in self.granted and comp == NONE:
                return not t.sealed and t.item in self.granted[kind]
            return (
                not t.sealed
                and t.item in self.identity
                and comp != NONE
                and (self.requester_of(node), comp) in self.statute.listed
            )
        if cid == "C03":
            return t.origin == NONE or (self.is_body(node) and node == t.origin) or (t.key and self.inside(node))
        if cid == "C04":
            return t.tag == comp or (comp == NONE and (t.tag == NONE or not self.is_body(node)))
        if cid == "C12":
            return node != OTHER and (not t.disclosed or node == SUBJECT)
        raise ValueError(f"not a flow constraint: {cid}")

    # -- reachability -----------------------------------------------------------------------------
    def reach(
        self,
        stop: tuple[str, ...] = (),
        items: tuple[str, ...] = (),
        sources: frozenset[str] | None = None,
        limit: int | None = None,
        within: frozenset[str] | None = None,
        until: Callable[[tuple[Holder, Token]], bool] | None = None,
        skip: Callable[[Hop], bool] | None = None,
    ) -> tuple[dict[tuple[Holder, Token], Hop | None], tuple[Holder, Token] | None]:
        """Breadth-first search from the initial holdings: every reachable (holder, token) with the hop that first reached
        it; with `stop`, ends at the first holding unlawful under one of them (`until`: one it is true of). No step changes
        a token's item, so `items` restricts the search to those items exactly; `sources` to the initial holdings of those
        nodes, `within` to the steps into those nodes (what it finds is still reached either way); `skip` leaves out the
        hops it is true of; `limit` gives up (returning no unlawful holding) once that many holdings are reached."""
        parent: dict[tuple[Holder, Token], Hop | None] = dict.fromkeys(
            s for s in self.initial(sources) if not items or s[1].item in items
        )
        queue: deque[tuple[Holder, Token]] = deque(parent)
        for s in parent:
            if any(not self.lawful(c, *s) for c in stop) or (until is not None and until(s)):
                return parent, s
        while queue and (limit is None or len(parent) < limit):
            h, t = queue.popleft()
            for hop in self.steps(h, t, within):
                s = (hop.dst, hop.token)
                if s not in parent and (skip is None or not skip(hop)):
                    parent[s] = hop
                    if any(not self.lawful(c, *s) for c in stop) or (until is not None and until(s)):
                        return parent, s
                    queue.append(s)
        return parent, None

    route = staticmethod(route_of)  # the hops from an initial holding to a state (model/law/holdings.py)

"""An independent reference semantics of the information-flow constraints (C01-C04, C12, C13, C16).

Written apart from the prover (proofs/) and from model/law/flow.py, so that it can catch the prover's
abstraction errors: it reads the scenario's configuration data and the graph's node ids and edges only,
evaluates the access rules with its own small evaluator, and runs a plain breadth-first search over
concrete facts "holder h keeps token t in compartment c".  Slow and simple by design.

The law read here (each body its own principal):

- Juki-net is exactly `center`, `pref:PP` for every prefecture and `cs:LG` for every unit of the scenario;
  every other node is a body outside Juki-net, its own principal (governor:13 and governor:27 differ).
  Two residents, `resident:subject` and `resident:other`, hold what is disclosed to them.
- A token is (item, origin, tag, sealed, away, key): origin the body the item first left, tag the affair
  it was provided for, away that it sits at a CS it travelled to, key that it travelled as a query key.
- Links move tokens by their messages' schemas; a message bound to an action (policy.action_message)
  moves only when some request for that action is permitted (receiver requests provide and disclose,
  sender requests notify and forward); a provision lands in the compartment of its affair.
- The answer to a request (provide, disclose) that reaches a body the message is not addressed to (a
  relay, a private party sent provisions, an office sent disclosures), or reaches a body from a node its own
  lookups never reach (a CS sending another city's office answers), was asked for by someone else: it
  moves when anyone's request is permitted (a registered body's, or the subject's), in no compartment.
  What a disclosure brings is for its subject alone (C12).
- A node added as a relay that holds a sealed token (one it cannot open) is a carrier's line: it holds nothing
  (no constraint is broken there) and the token has not left it as a body (origin unchanged).
- C01, C02, C03, C04 and C12 are predicates on every reachable fact; C03 also forbids links between
  bodies and recipients' links that carry more than queries, C13 is a per-link check and C16 a check of
  every connected unit's notification route.

Readings the brief left open, fixed here: a message bound to several actions moves when a request for
ANY of them is permitted (each is a way to send it); a sealed message opens at a node whose role is its
`dst`; a body's role is read from the raw data (an annex body's office is a "recipient", private:X a
"private" party, jpki "jpki", an added node what it is declared).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from jukinet.model.config.scenario import Scenario
from jukinet.proofs.reduced import ReducedScenario, reduced
from jukinet.proofs.reflinks import (
    answer_unasked,
    c01_central_messages,
    c01_prefecture_reads,
    c02_cs_answers,
    c02_cs_reads,
    c02_sent_out,
    c03_links,
    c13_problems,
    c16_problems,
)
from jukinet.proofs.refworld import (
    FACT_IDS,
    OTHER,
    OTHER_AFFAIR,
    RECEIVER_ACTIONS,
    REFERENCE_IDS,
    RESIDENTS,
    SUBJECT,
    Ask,
    Fact,
    Token,
    Verdict,
    World,
    collapsed_principal,
    node_principal,
)

__all__ = ["REFERENCE_IDS", "ReducedScenario", "Verdict", "World", "collapsed_principal", "reduced", "reference_verdicts"]


def initial_facts(w: World) -> list[Fact]:
    """Each CS holds every item, each prefecture server and the center their stores, the subject every item;
    the subject's code at every body that may demand it for an affair (tag that affair, origin none)."""
    stores = w.sc.config.policy.stores
    out: list[Fact] = []
    for node, role in sorted(w.juki.items()):
        if role == "cs":
            held: Iterable[str] = w.items
        else:
            held = stores.get(role, ())
        place = w.prefecture_of[node] if role != "center" else None  # the center's residents: every prefecture's
        out += [Fact(node, None, Token(i, place=place)) for i in held]
    out += [Fact(SUBJECT, None, Token(i)) for i in w.items]
    if "code" in w.items:
        for body in w.bodies:
            for affair in w.affairs_to_try(body):
                if w.permitted(Ask("demand_code", body, affair=affair, subject=None)):
                    out.append(Fact(body, affair, Token("code", None, affair)))
    return out


@dataclass(frozen=True)
class Step:
    """One move of a token: the message (or use) and the link it took."""

    src: str
    dst: str
    what: str


KEEP = "\0keep"  # a landing that keeps the token's tag


def _landings(w: World, message: str, src: str, dst: str) -> list[tuple[str | None, str]]:
    """(compartment, tag or KEEP) where a token sent src -> dst in a message lands; empty: it is refused."""
    key = (message, src, dst)
    if key not in w.landing_memo:
        w.landing_memo[key] = _landings_uncached(w, message, src, dst)
    return w.landing_memo[key]


def _landings_uncached(w: World, message: str, src: str, dst: str) -> list[tuple[str | None, str]]:
    actions = w.bound_actions(message)
    if not actions:
        return [(None, KEEP)]
    out: list[tuple[str | None, str]] = []
    schema = w.schemas.get(message)
    for action in actions:
        requester = dst if action in RECEIVER_ACTIONS else src
        subject = dst == SUBJECT
        addressed = schema is not None and w.role_matches(dst, schema.dst)
        registered = w.identity(dst) in w.registry
        # an answer from a node its requests never reach (through a carrier's relays: the nodes behind them), or
        # one a carrier's line hands to another node as well
        unasked = w.is_body(dst) and answer_unasked(w, src, dst, message)
        if action in RECEIVER_ACTIONS and (dst in w.juki or (w.is_body(dst) and not (addressed and registered and not unasked))):
            # the answer to a request reaches a body it is not addressed to (a relay, a broker sent provisions,
            # an office sent disclosures), or one no registry entry stands for (a declared role is no proof), or
            # a node of Juki-net, which asks for nothing itself (another's answer in transit):
            # that body asked for nothing; anyone's permitted request brings it
            askers = [(b, sub) for b in sorted(w.registry) for sub in (False, True)] + [(SUBJECT, True)]
            if any(w.permitted(Ask(action, b, subject=sub)) or _any_affair(w, action, b, sub) for b, sub in askers):
                out.append((None, KEEP))
            continue
        if action == "provide":
            affairs = w.affairs_to_try(dst) if w.is_body(dst) else (*w.annex_ids, OTHER_AFFAIR)
            ok = [a for a in affairs if w.permitted(Ask(action, requester, affair=a, subject=subject))]
            if w.is_body(dst):
                out += [(a, a) for a in ok]
            elif ok:
                out.append((None, KEEP))
        elif w.permitted(Ask(action, requester, subject=subject)):
            out.append((None, KEEP))
    return list(dict.fromkeys(out))


def _any_affair(w: World, action: str, requester: str, subject: bool) -> bool:
    return any(w.permitted(Ask(action, requester, affair=a, subject=subject)) for a in (*w.annex_ids, OTHER_AFFAIR))


def _use_targets(w: World, body: str, affair: str) -> list[str]:
    """The compartments a body may move what it holds for `affair` into (permitted `use` requests)."""
    key = (body, affair)
    if key not in w.use_memo:
        w.use_memo[key] = [
            b
            for b in w.affairs_to_try(body)
            if b != affair and w.permitted(Ask("use", body, affair=b, provided_affair=affair, subject=None))
        ]
    return w.use_memo[key]


def _send(w: World, fact: Fact, message: str, dst: str) -> list[Fact]:
    """The facts a token's move over one message produces (none if the message cannot carry it)."""
    tok, src = fact.token, fact.holder
    if not w.carries(message, tok.item):
        return []
    schema = w.schemas.get(message)
    sealed_msg = schema is not None and schema.sealed
    if tok.sealed and not sealed_msg:
        return []
    sealed = sealed_msg and schema is not None and not w.role_matches(dst, schema.dst)
    key = schema is not None and not schema.carries_identity
    carrier = tok.sealed and src in w.relays  # a sealed token passing a relay has left no body there
    origin = tok.origin if tok.origin is not None else (w.principal(src) if w.is_body(src) and not carrier else None)
    away = w.juki.get(dst) == "cs"
    place = tok.place
    if dst == "center":  # the center serves every prefecture: no place there
        place = None
    elif w.juki.get(dst) == "cs" and schema is not None and schema.dst == "cs":  # a move, or a copy at its counter:
        place = w.prefecture_of[dst]  # the person is that municipality's now
    disclosed = "disclose" in w.bound_actions(message)
    out = []
    for comp, tag in _landings(w, message, src, dst):
        kept = tok.tag if tag == KEEP else tag
        out.append(Fact(dst, comp, Token(tok.item, origin, kept, sealed, away, key, disclosed, place)))
    return out


def successors(w: World, fact: Fact) -> Iterator[tuple[Fact, Step]]:
    """Every fact one move away: over a link, to a resident, or by a use across compartments."""
    src = fact.holder
    if src in RESIDENTS:
        return  # residents send nothing
    relayed_only = fact.token.key and src in w.juki  # a query's keys at Juki-net are answered, not kept: relayed at most
    for _, dst, data in w.graph.out_edges(src, data=True):
        for message in data.get("messages", ()):
            schema = w.schemas.get(message)
            if relayed_only and (schema is None or schema.carries_identity):
                continue
            for nxt in _send(w, fact, message, dst):
                yield nxt, Step(src, dst, message)
    for schema in w.schemas.values():
        if schema.dst == "resident" and w.role_matches(src, schema.src) and not (relayed_only and schema.carries_identity):
            for resident in RESIDENTS:
                for nxt in _send(w, fact, schema.id, resident):
                    yield nxt, Step(src, resident, schema.id)
    a = fact.compartment
    if a is not None and w.is_body(src):
        for b in _use_targets(w, src, a):
            yield Fact(src, b, fact.token), Step(src, src, f"use {a}->{b}")


# ---- the law: lawful facts ------------------------------------------------------------------------------


def fact_problems(w: World, fact: Fact) -> list[str]:
    """The constraints (C01, C02, C03, C04, C12) a held fact breaks."""
    if fact.token.sealed and fact.holder in w.relays:
        return []  # a relay carrying what it cannot open holds nothing
    checks = (("C01", _c01_ok), ("C02", _c02_ok), ("C03", _c03_ok), ("C04", _c04_ok), ("C12", _c12_ok))
    return [cid for cid, ok in checks if not ok(w, fact)]


def _c01_ok(w: World, f: Fact) -> bool:
    """C01: prefecture servers and the center hold only sealed tokens or identity items; a CS holds what
    travelled to it only sealed, as identity items or as the other-CS items (Art. 9(1), 12-2)."""
    role, t = w.juki.get(f.holder), f.token
    if role in ("prefecture", "center"):
        return t.sealed or t.item in w.identity_items
    if role == "cs" and t.away:
        return t.sealed or t.item in w.identity_items or t.item in w.sc.config.statute.lawful.other_cs_items
    return True


def _c02_ok(w: World, f: Fact) -> bool:
    """C02: a body holds identity items, unsealed, in the compartment of an in-force annex row listing it, and under
    a table 2 or 5 row (Art. 30-7(4), 30-8) only its own prefecture's residents; a holder the Act grants items (JPKI)
    holds those outside any compartment."""
    if not w.is_body(f.holder):
        return True
    t = f.token
    kind = w.holder_kind(f.holder)
    grants = [g for g in w.sc.config.statute.lawful.holder if kind is not None and g.kind == kind]
    if grants and f.compartment is None:
        return not t.sealed and any(t.item in g.items for g in grants)
    home = w.prefecture_of.get(f.holder)
    elsewhere = f.compartment in w.own_place_rows and home is not None and t.place not in (None, home)
    return (
        not t.sealed
        and t.item in w.identity_items
        and f.compartment is not None
        and (w.identity(f.holder), f.compartment) in w.in_force_pairs
        and not elsewhere  # a table 2 or 5 affair is served with the body's own prefecture's residents
    )


def _c03_ok(w: World, f: Fact) -> bool:
    """C03: what left a body is held by that body only (a query's keys at Juki-net excepted)."""
    t = f.token
    if t.origin is None or (t.key and f.holder in w.juki):
        return True
    return t.origin == w.principal(f.holder)


def _c04_ok(w: World, f: Fact) -> bool:
    """C04: a token in an affair's compartment is there for the affair it was provided for, and at a body what was
    provided for an affair sits in that affair's compartment (not outside every compartment)."""
    if f.compartment is None:
        return f.token.tag is None or not w.is_body(f.holder)
    return f.token.tag == f.compartment


def _c12_ok(w: World, f: Fact) -> bool:
    """C12: nothing reaches a resident other than the subject, and a disclosure reaches its subject alone."""
    return f.holder != OTHER and (not f.token.disclosed or f.holder == SUBJECT)


@dataclass
class Search:
    """The breadth-first search's result: reachable facts and the first witness of each broken constraint."""

    facts: dict[Fact, tuple[Fact, Step] | None]
    witnesses: dict[str, Fact]

    def trace(self, fact: Fact) -> str:
        steps: list[str] = []
        cur: Fact | None = fact
        while cur is not None:
            parent = self.facts[cur]
            if parent is None:
                steps.append(f"start {cur}")
                break
            prev, step = parent
            steps.append(f"{step.src}->{step.dst} ({step.what})")
            cur = prev
        return f"{fact} via " + "; ".join(reversed(steps))


def search(w: World, stop_early: bool = True) -> Search:
    """Plain BFS from the initial facts; stops once every fact constraint has a witness (if stop_early)."""
    facts: dict[Fact, tuple[Fact, Step] | None] = {}
    witnesses: dict[str, Fact] = {}
    queue: deque[Fact] = deque()

    def add(f: Fact, parent: tuple[Fact, Step] | None) -> None:
        if f in facts:
            return
        facts[f] = parent
        queue.append(f)
        for cid in fact_problems(w, f):
            witnesses.setdefault(cid, f)

    for f in initial_facts(w):
        add(f, None)
    while queue:
        if stop_early and len(witnesses) == len(FACT_IDS):
            break
        f = queue.popleft()
        for nxt, step in successors(w, f):
            add(nxt, (f, step))
    return Search(facts, witnesses)


# ---- per-link and per-unit constraints ------------------------------------------------------------------


def reference_verdicts(sc: Scenario, principal: Callable[[str], str] = node_principal) -> dict[str, Verdict]:
    """C01, C02, C03, C04, C12, C13, C16 under the reference semantics (`principal`: for mutants of it)."""
    w = World(sc, principal)
    found = search(w)
    out = {
        cid: Verdict(cid, cid in found.witnesses, found.trace(found.witnesses[cid]) if cid in found.witnesses else "")
        for cid in FACT_IDS
    }
    made = c01_central_messages(w)
    if made and not out["C01"].violated:
        out["C01"] = Verdict("C01", True, "; ".join(made[:3]))
    reads = c01_prefecture_reads(w)
    if reads and not out["C01"].violated:
        out["C01"] = Verdict("C01", True, "; ".join(reads[:3]))
    answers = c02_cs_answers(w)
    if answers and not out["C02"].violated:
        out["C02"] = Verdict("C02", True, "; ".join(answers[:3]))
    opened = c02_cs_reads(w)
    if opened and not out["C02"].violated:
        out["C02"] = Verdict("C02", True, "; ".join(opened[:3]))
    sent = c02_sent_out(w)
    if sent and not out["C02"].violated:
        out["C02"] = Verdict("C02", True, "; ".join(sent[:3]))
    links = c03_links(w)
    if links and not out["C03"].violated:
        out["C03"] = Verdict("C03", True, "; ".join(links[:3]))
    c13, c16 = c13_problems(w), c16_problems(w)
    out["C13"] = Verdict("C13", bool(c13), "; ".join(c13[:3]))
    out["C16"] = Verdict("C16", bool(c16), "; ".join(c16[:3]))
    return {cid: out[cid] for cid in REFERENCE_IDS}

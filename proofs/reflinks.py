"""The reference's checks of links and routes (proofs/reference.py reads the flow; these read the graph): C03's
links between bodies and recipients' links, C13 per link, and C16 per connected unit.  Written apart from the
prover, like the rest of the reference."""

from __future__ import annotations

from collections.abc import Callable

import networkx as nx

from jukinet.model.world.population import Municipality
from jukinet.proofs.refworld import RECEIVER_ACTIONS, Ask, World


def c13_problems(w: World) -> list[str]:
    """C13: every link carrying an item (queries included) or crossing the Juki-net boundary meets the
    statute's security requirements."""
    req = w.sc.config.statute.c13
    bad = []
    for u, v, d in sorted(w.graph.edges(data=True), key=lambda e: (e[0], e[1])):
        carries = any(w.carries_any(m) for m in d.get("messages", ()))
        crosses = (u in w.juki) != (v in w.juki)
        if not (carries or crosses):
            continue
        missing: list[str] = [k for k in req.required if not d.get(k)]
        if d.get("firewall") != req.firewall:
            missing.append(f"firewall={d.get('firewall')}")
        if str(d.get("protocol", "")).lower() not in req.allowed_protocols:
            missing.append(f"protocol={d.get('protocol')}")
        if missing:
            bad.append(f"{u}->{v} lacks {', '.join(missing)}")
    return bad


def c01_central_messages(w: World) -> list[str]:
    """C01: a message the center or a prefecture server makes (its schema's sender is that node's role; a message
    with no schema counts as every item), on any of its links or handed to a resident, names only identity items."""
    bad = []
    made: set[str] = {m.id for m in w.sc.config.policy.messages if m.dst == "resident" and m.src in ("center", "prefecture")}
    for u, _, d in w.graph.edges(data=True):
        role = w.juki.get(u)
        if role in ("center", "prefecture"):
            made |= {m for m in d.get("messages", ()) if m not in w.schemas or w.schemas[m].src == role}
    for m in sorted(made):
        items = set(w.schemas[m].items) if m in w.schemas else set(w.items)
        if items - w.identity_items:
            bad.append(f"{m} names {', '.join(sorted(items - w.identity_items))}")
    return bad


def c01_prefecture_reads(w: World) -> list[str]:
    """C01 (Art. 30-5(1), 30-6, 30-11): a prefecture server opens identity information only as notified by a CS of
    its own prefecture.  Per link into it, a message it opens (no schema; or unsealed or sealed for the prefecture,
    carrying identity items, not an answer relayed toward its asker) comes from a CS of its prefecture only, the
    senders behind a carrier's relays included; a sender no request of the message's action permits sends nothing."""
    return _foreign_reads(w, "prefecture", lambda s, v: w.juki.get(s) == "cs" and w.prefecture_of.get(s) == w.prefecture_of[v])


def _foreign_reads(w: World, role: str, own: Callable[[str, str], bool]) -> list[str]:
    """Per link into a node of `role`, each message it opens (`_opened_at`) and each sender of it (`_senders`) that
    is not `own(sender, node)` and may make the push (a sender no request of the message's sending actions, notify
    or forward, permits sends nothing: the link is dead for it): "NODE opens MESSAGE from SENDER"."""
    bad = []
    for u, v, d in sorted(w.graph.edges(data=True), key=lambda e: (e[0], e[1])):
        if w.juki.get(v) != role:
            continue
        for m in d.get("messages", ()):
            if not _opened_at(w, m, role):
                continue
            pushes = [a for a in w.bound_actions(m) if a not in RECEIVER_ACTIONS]
            for s in sorted(_senders(w, u, m)):
                if own(s, v) or (pushes and not any(w.permitted(Ask(a, s, subject=None)) for a in pushes)):
                    continue
                bad.append(f"{v} opens {m} from {s}")
    return bad


def _opened_at(w: World, message: str, role: str) -> bool:
    """Whether a node of `role` (prefecture, cs) reads `message` as identity information of residents: no schema
    (every item, in the clear), or unsealed or sealed for its role (for a CS: unless a CS made it, the CS-to-CS
    notices, bounded by other checks), carrying identity items, not a query nor an answer relayed toward its asker."""
    schema = w.schemas.get(message)
    if schema is None:
        return True
    if schema.sealed and (schema.dst != role or (role == "cs" and schema.src == "cs")):
        return False
    return (
        schema.carries_identity  # a query: lookup keys only
        and bool(set(schema.items) & w.identity_items)
        and not set(w.bound_actions(message)) & set(RECEIVER_ACTIONS)  # an answer relayed toward its asker
    )


def _senders(w: World, u: str, message: str) -> set[str]:
    """Who sends `message` over a link from u: u itself, or if u is a relay (a carrier's line) every node outside the
    relays that sends it into the relays reached backwards from u over links declaring it."""
    if u not in w.relays:
        return {u}
    out: set[str] = set()
    reached, stack = {u}, [u]
    while stack:
        for p, _, d in w.graph.in_edges(stack.pop(), data=True):
            if message not in d.get("messages", ()):
                continue
            if p not in w.relays:
                out.add(p)
            elif p not in reached:
                reached.add(p)
                stack.append(p)
    return out


def answer_unasked(w: World, src: str, dst: str, message: str) -> bool:
    """An answer src hands to dst that dst never asked for: a sender behind the relays that dst's requests never reach
    (`_senders`), or a carrier's line that passes the message to some other node besides dst as well (every place
    where what enters the relays behind src comes to rest, `_resting_places`)."""
    if any(s not in w.asks_to(dst) for s in _senders(w, src, message)):
        return True
    if src not in w.relays:
        return False
    behind, stack = {src}, [src]
    while stack:
        for p, _, d in w.graph.in_edges(stack.pop(), data=True):
            if message in d.get("messages", ()) and p in w.relays and p not in behind:
                behind.add(p)
                stack.append(p)
    return any(place != dst for r in behind for place in _resting_places(w, r, message))


def c02_cs_answers(w: World) -> list[str]:
    """C02: a CS passes the message the provide action sends to the office of its own unit only (municipal_head:LG
    for cs:LG); answers to any other body come from the center or a prefecture server."""
    provide = w.sc.config.policy.action_message.get("provide")
    out = []
    for u, v, d in sorted(w.graph.edges(data=True), key=lambda e: (e[0], e[1])):
        if w.juki.get(u) == "cs" and provide in d.get("messages", ()) and v != "municipal_head:" + u.split(":", 1)[1]:
            out.append(f"{u} answers {v}")
    return out


def c02_cs_reads(w: World) -> list[str]:
    """C02 (Art. 30-6, 30-7): identity information goes only to the annex tables' bodies, for the listed affairs, and a
    CS opens only its own municipality's residents: no other municipality's office is an annex body of that register.
    Per link into cs:LG, a message it can open (no schema: every item; else unsealed, carrying identity items, and not
    an answer relayed toward its asker) has no sender but cs:LG itself or its own office municipal_head:LG (one
    body), the senders behind a carrier's relays included.  Not opened: what a CS makes sealed for CSs (the CS-to-CS
    notices, bounded by other checks), or what is sealed for another kind.  A sender that no request of the message's
    sending actions (notify, forward) permits sends nothing."""
    # the municipality's own office is one body with its CS
    return _foreign_reads(w, "cs", lambda s, v: s in (v, "municipal_head:" + v.split(":", 1)[1]))


def c02_sent_out(w: World) -> list[str]:
    """C02 (Art. 30-7, 30-10, 30-11): identity information leaves Juki-net only to the kind of party the Act sends
    it to.  Per link from a Juki-net node and per message it declares that names an identity item (no schema: every
    item), the message comes to rest at the link's receiver, or, past a relay (a carrier's line), at the ends of the
    relay's outgoing links declaring it, relay after relay (a relay with none keeps it).  A resting place outside
    Juki-net is of the kind the schema's `dst` names (no schema: none is); Juki-net's are other checks' business.
    Whether any request permits the sender to send it is not asked: a declared link is a leak one rule away.
    "START->FIRST: MESSAGE comes to rest at NODE (kind KIND)"."""
    bad = []
    for u, v, d in sorted(w.graph.edges(data=True), key=lambda e: (e[0], e[1])):
        if u not in w.juki:
            continue
        for m in d.get("messages", ()):
            schema = w.schemas.get(m)
            if schema is not None and not set(schema.items) & w.identity_items:
                continue
            for rest in sorted(_resting_places(w, v, m)):
                kind = w.body_role(rest)
                if rest not in w.juki and (schema is None or kind != schema.dst):
                    bad.append(f"{u}->{v}: {m} comes to rest at {rest} (kind {kind})")
    return bad


def _resting_places(w: World, first: str, message: str) -> set[str]:
    """Where `message` sent to `first` comes to rest: `first` itself unless it is a relay; a relay passes it on over
    its outgoing links declaring it, and keeps it if it has none (a ring of relays only keeps it nowhere)."""
    out: set[str] = set()
    reached, stack = {first}, [first]
    while stack:
        node = stack.pop()
        if node not in w.relays:
            out.add(node)
            continue
        onward = [v for _, v, d in w.graph.out_edges(node, data=True) if message in d.get("messages", ())]
        if not onward:
            out.add(node)
        for v in onward:
            if v not in reached:
                reached.add(v)
                stack.append(v)
    return out


def c03_links(w: World) -> list[str]:
    """C03 (structural): no link joins two different body principals, unless it is in a part of the network without
    Juki-net nodes; and a
    recipient's (or a private party's) links carry queries only, to no other recipient (provision is one-way)."""
    bad = []
    apart = set()  # the nodes of a part of the network that holds no Juki-net node: they reach nothing of it
    for part in nx.weakly_connected_components(w.graph):
        if not part & set(w.juki):
            apart |= part
    for u, v, d in sorted(w.graph.edges(data=True), key=lambda e: (e[0], e[1])):
        if u in apart:  # not "through the network"
            continue
        msgs = d.get("messages", ())
        # a carrier's line: a relay at one end that can open none of what the link declares (sealed for another role)
        line = (u in w.relays or v in w.relays) and bool(msgs)
        line = line and all(m in w.schemas and w.schemas[m].sealed and w.schemas[m].dst != "relay" for m in msgs)
        if w.is_body(u) and w.is_body(v) and w.principal(u) != w.principal(v) and not line:
            bad.append(f"link {u}->{v} joins two bodies")
        if w.is_body(u) and w.body_role(u) in ("recipient", "private"):
            data = [m for m in d.get("messages", ()) if m not in w.schemas or w.schemas[m].carries_identity]
            if data:
                bad.append(f"link {u}->{v}: a recipient sends {', '.join(sorted(data))}, not a query")
            elif w.is_body(v) and w.body_role(v) in ("recipient", "private"):
                bad.append(f"link {u}->{v}: a recipient reaches another recipient")
    return bad


def _carries_identity_data(w: World, message: str | None) -> bool:
    if message is None:
        return False
    s = w.schemas.get(message)
    return s is None or (s.carries_identity and w.identity_items <= set(s.items))


def c16_problems(w: World) -> list[str]:
    """C16: every connected unit's CS notifies its own prefecture server only, which forwards to the center,
    both permitted and both carrying every identity item (Art. 30-5, 30-11)."""
    cfg = w.sc.config
    am = cfg.policy.action_message
    notify, forward = am.get("notify"), am.get("forward")
    bad = []
    if not _carries_identity_data(w, notify):
        bad.append(f"the notify message {notify} does not carry every identity item")
    if not _carries_identity_data(w, forward):
        bad.append(f"the forward message {forward} does not carry every identity item")
    for message, reader in ((notify, "prefecture"), (forward, "center")):
        schema = w.schemas.get(message or "")
        if schema is not None and schema.sealed and schema.dst != reader:
            bad.append(f"the {message} message is sealed for {schema.dst}: the {reader} cannot read the change")
    for store in ("prefecture", "center"):
        kept = set(cfg.policy.stores.get(store, ()))
        if not w.identity_items <= kept:
            bad.append(f"the {store} store does not record {sorted(w.identity_items - kept)}")
    for m in w.sc.municipalities:
        if m.lgcode in cfg.network.disconnected:
            continue
        bad += _unit_problems(w, m, notify, forward)
    return bad


def _unit_problems(w: World, m: Municipality, notify: str | None, forward: str | None) -> list[str]:
    cs, pref = f"cs:{m.lgcode}", f"pref:{m.pref}"
    g = w.graph
    out = []
    if m.lgcode in w.sc.config.organisation.withholding:
        out.append(f"{cs} withholds residents")
    items = w.action_items("notify")
    if not w.permitted(Ask("notify", cs, operator=True, items=items)):
        out.append(f"{cs}: no permitted notify request")
    if notify is None or not g.has_edge(cs, pref) or notify not in g.edges[cs, pref].get("messages", ()):
        out.append(f"{cs}: no link to {pref} declaring {notify}")
    others = [
        v
        for _, v, d in g.out_edges(cs, data=True)
        if v != pref and notify in d.get("messages", ()) and not _by_carrier(w, v, pref, notify)
    ]
    if others:
        out.append(f"{cs}: also notifies {', '.join(sorted(others))}")
    if forward is None or not g.has_edge(pref, "center") or forward not in g.edges[pref, "center"].get("messages", ()):
        out.append(f"{pref}: no link to the center declaring {forward}")
    if not w.permitted(Ask("forward", pref, operator=False, items=w.action_items("forward"))):  # a system process
        out.append(f"{pref}: no permitted forward request")
    return out


def _by_carrier(w: World, start: str, pref: str, notify: str | None) -> bool:
    """A notification sealed for another kind than a relay, going from `start` through added relays only (a carrier's
    line, which cannot open it) and reaching no node but relays and the unit's own prefecture server."""
    schema = w.schemas.get(notify or "")
    if schema is None or not schema.sealed or schema.dst == "relay":
        return False
    reached, stack = set(), [start]
    while stack:
        node = stack.pop()
        if node in reached:
            continue
        reached.add(node)
        if node == pref:
            continue
        if node not in w.relays:
            return False
        stack.extend(v for _, v, d in w.graph.out_edges(node, data=True) if notify in d.get("messages", ()))
    return True

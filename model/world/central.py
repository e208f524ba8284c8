"""The checks of the network that read what the Juki-net nodes send, answer and open (C01, C02): each is also a
property of the proof catalogue (proofs/structure.py), so `jukinet network` and `jukinet prove` cannot disagree."""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from jukinet.model.law.permits import Permits
from jukinet.model.law.policy import Policy
from jukinet.model.law.relays import rest_at, senders
from jukinet.model.law.statute import Statute

__all__ = ["Check", "central_messages", "cs_answers", "cs_own_residents", "may_send", "own_residents", "sent_out"]

JUKINET = ("center", "prefecture", "cs")


@dataclass(frozen=True, slots=True)
class Check:
    """One soundness check of the network, with the constraint it supports."""

    id: str
    constraint: str
    passed: bool
    detail: str


def may_send(g: nx.DiGraph, permits: Permits, node: str, action: str) -> bool:
    """Whether a node may ever request a push action (notify, forward) as its registry body (or itself), whether or not
    it is the subject: a link that declares the action's message from a node that may not carries nothing."""
    req = str(g.nodes[node].get("body", node))
    return any(permits.permitted(action, req, None, None, s) is not None for s in (False, True))


def cs_answers(g: nx.DiGraph, policy: Policy) -> Check:
    """C02 (Art. 30-7(3)-(6), 30-10): answers to the annex bodies come from the center or a prefecture server; a CS
    hands the provision message (its relay of the center's answers, or its own register) to its own municipal
    head only, never to another body, whatever that body asked it."""
    answer = policy.action_message.get("provide")
    bad = [
        f"{a}->{b}"
        for a, b, d in g.edges(data=True)
        if g.nodes[a].get("kind") == "cs" and answer in d.get("messages", ()) and b != f"municipal_head:{a.removeprefix('cs:')}"
    ]
    return Check(
        "cs_answers_its_own_head_only",
        "C02",
        not bad,
        "every CS hands answers to its own municipal head only"
        if not bad
        else f"a CS hands answers to another body: {', '.join(bad[:5])}",
    )


def central_messages(g: nx.DiGraph, policy: Policy, statute: Statute) -> Check:
    """C01 (Art. 30-5, 30-11): what a prefecture server or the center makes and sends (on a link, or handed to a
    resident) names identity information only: to send another item it would have to hold it.  A message a link
    declares without a schema carries every item."""
    kinds = nx.get_node_attributes(g, "kind")
    central = ("prefecture", "center")
    schemas = policy.messages
    # what a central node sends on a link and makes itself (a message of another kind's making it only relays: C01's
    # flow property reads what a relay may open), and what it hands to a resident
    on_links = [(kinds.get(a), m) for a, _, d in g.edges(data=True) for m in d.get("messages", ())]
    sent = {m for kind, m in on_links if kind in central and (m not in schemas or schemas[m].src == kind)}
    sent |= {m.id for m in schemas.values() if m.src in central and m.dst == "resident"}
    extra = {
        m: sorted(set(schemas[m].items) - set(statute.identity_items)) if m in schemas else ["every item (no schema)"]
        for m in sent
    }
    bad = [f"{m}: {', '.join(x)}" for m, x in sorted(extra.items()) if x]
    return Check(
        "central_messages_identity_only",
        "C01",
        not bad,
        "what the prefecture servers and the center send names identity information only"
        if not bad
        else f"messages a prefecture server or the center sends name other items: {'; '.join(bad[:5])}",
    )


def _reads_others(g: nx.DiGraph, policy: Policy, statute: Statute, permits: Permits, reader: str) -> list[str]:
    """What a node of kind `reader` (prefecture, cs) can open that carries identity information of residents not its
    own: a message unsealed, or sealed for its kind, fed by a node other than its own (for a prefecture server: its
    prefecture's CSs; for a CS: itself or its municipality's office, one body; the notices CSs make sealed for CSs
    are opened by CSs alone, whoever carries them, and other checks bound their items), unless a query (lookup keys, asked
    aside), the answer to a request (relayed to its asker; C02 reads where answers go), or a push its sender may never
    make (a dead link carries nothing)."""
    answers = {m for a, m in policy.action_message.items() if policy.action_requester.get(a) == "receiver"}
    pushes = {m: a for a, m in policy.action_message.items() if m not in answers}

    def read_there(m: str) -> bool:
        schema = policy.messages.get(m)
        if schema is None:
            return True
        opened = not schema.sealed or schema.dst == reader
        return opened and schema.carries_identity and bool(set(schema.items) & statute.identity_items) and m not in answers

    def own(u: str, b: str, m: str) -> bool:
        if reader == "prefecture":
            return bool(g.nodes[u].get("kind") == "cs" and g.nodes[u].get("pref") == g.nodes[b].get("pref"))
        schema = policy.messages.get(m)  # made by CSs and sealed for CSs: opened by CSs alone, whoever carries it
        return u in (b, "municipal_head:" + b.removeprefix("cs:")) or (
            schema is not None and schema.sealed and schema.dst == "cs" and schema.src == "cs"
        )

    bad = []
    for a, b, d in g.edges(data=True):
        if g.nodes[b].get("kind") != reader:
            continue
        for m in filter(read_there, d.get("messages", ())):
            for u in sorted(senders(g, a, m)[0]):
                if not own(u, b, m) and (m not in pushes or may_send(g, permits, u, pushes[m])):
                    bad.append(f"{b} reads {m} from {u}")
    return sorted(set(bad))


def _reads_check(check_id: str, constraint: str, bad: list[str], holds: str, fails: str) -> Check:
    return Check(check_id, constraint, not bad, holds if not bad else f"{fails}: {'; '.join(bad[:5])}")


def own_residents(g: nx.DiGraph, policy: Policy, statute: Statute, permits: Permits) -> Check:
    """C01 (Art. 30-5(1), 30-6, 30-11): a prefecture server reads the records of its own prefecture's residents only,
    as its own CS notify them; every other prefecture's residents are the designated organisation's to hold
    (`_reads_others`).  The center mirroring its file to one prefecture's server is caught here."""
    return _reads_check(
        "prefecture_servers_read_their_own_residents",
        "C01",
        _reads_others(g, policy, statute, permits, "prefecture"),
        "every prefecture server reads identity information from its own prefecture's CS only",
        "a prefecture server reads other residents' identity information",
    )


def cs_own_residents(g: nx.DiGraph, policy: Policy, statute: Statute, permits: Permits) -> Check:
    """C02 (Art. 30-6, 30-7): a CS opens identity information of its own municipality's residents only, beside the
    sealed notices between municipalities (transfer notices, wide-area copies) and the answers to its own head's
    requests (`_reads_others`): one municipal head is no annex body of another's register, so a notification or a
    forward reaching another municipality's CS is identity information provided to a body the Act does not list."""
    return _reads_check(
        "cs_read_their_own_residents",
        "C02",
        _reads_others(g, policy, statute, permits, "cs"),
        "every CS opens identity information of its own residents only (sealed notices and answers aside)",
        "a CS reads another municipality's residents' identity information",
    )


def sent_out(g: nx.DiGraph, policy: Policy, statute: Statute) -> Check:
    """C02 (Art. 30-7, 30-10, 30-11): identity information leaves Juki-net only to the kind of party the Act sends it to.
    Every message a Juki-net node (a CS, a prefecture server, the center) puts on a link that leads out of Juki-net,
    directly or through a carrier's relays, comes to rest at a node of the kind its schema addresses (a provision at
    a recipient, a revocation at the JPKI body); a message without a schema carries every item.  Whether the policy
    lets the node send it is not read: a link that declares the national change stream to a private company is a
    leak one rule away, not a dormant line (red-team round 12: the center's forwards to a private recovery site)."""
    kinds = nx.get_node_attributes(g, "kind")
    bad = []
    for a, b, d in g.edges(data=True):
        if kinds.get(a) not in JUKINET:
            continue
        for m in d.get("messages", ()):
            schema = policy.messages.get(m)
            if schema is not None and not set(schema.items) & statute.identity_items:
                continue  # names no identity item
            for end in sorted(rest_at(g, [b], m)):
                if kinds.get(end) not in JUKINET and (schema is None or schema.dst != kinds.get(end)):
                    bad.append(f"{a}->{end}: {m} ({kinds.get(end)})")
    return Check(
        "identity_information_leaves_only_as_addressed",
        "C02",
        not bad,
        "what the Juki-net nodes send out of Juki-net comes to rest at the kind of party its message addresses"
        if not bad
        else f"Juki-net sends identity information to a party its message does not address: {'; '.join(sorted(set(bad))[:5])}",
    )

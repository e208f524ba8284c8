"""The whole FY2006 network as a networkx graph, and its soundness checks.

Nodes (attribute `kind`):
    center                 the designated organisation's national server (LASDEC), Art. 30-10
    pref:PP                the 47 prefecture servers
    cs:LGCODE              a community server at every register-keeping unit (1,827 on 2007-03-31)
    nat:BODY               national recipients (annex table 1 bodies in the registry)
    governor:PP            each prefecture's executive organs (annex 3 and 5; provision lines if registered)
    municipal_head:LGCODE  each municipality's executive organs (annex 2 and 4; provision lines if registered)
    jpki                   the link server of the JPKI certification body
    extra nodes a scenario adds (e.g. a private party)

Edges are directed (the direction data flows) and carry `messages` (the message types that
flow that way) and the link's security attributes (C13).
"""

from __future__ import annotations

from typing import Any, Literal

import networkx as nx

from jukinet.model.core.frozen import Frozen
from jukinet.model.law.permits import Permits
from jukinet.model.law.policy import Policy
from jukinet.model.law.statute import Statute
from jukinet.model.world.central import Check, central_messages, cs_answers, cs_own_residents, may_send, own_residents, sent_out
from jukinet.model.world.population import Municipality, Prefecture

IDENTITY_RELAY = ("transfer_notice", "wide_area_copy")


class LinkSecurity(Frozen):
    dedicated: bool = True
    mutual_auth: bool = True
    encrypted: bool = True
    intrusion_detection: bool = True
    firewall: str = "center-managed"
    protocol: str = "juki-app"


class ExtraNode(Frozen):
    id: str
    # never a Juki-net kind: a node inside Juki-net is one the Act's structure places there (a CS of a unit in
    # the register, a prefecture server, the center); an added node is outside it, whatever it is (issue 26)
    kind: Literal["recipient", "private", "relay"]
    level: Literal["national", "local", "private", "none"] = "none"
    name: str = ""


class ExtraLink(Frozen):
    id: str
    src: str
    dst: str
    messages: tuple[str, ...]
    security: LinkSecurity = LinkSecurity()


class NetworkConfig(Frozen):
    """The `[network]` section."""

    disconnected: tuple[str, ...] = ()
    # municipalities merging during the year (model.world.mergers): each unit merged away -> the unit that took
    # its residents (cumulative); the units a merger establishes later in the year, not yet in being
    merged: dict[str, str] = {}
    pending: tuple[str, ...] = ()
    link_security: LinkSecurity = LinkSecurity()
    node: tuple[ExtraNode, ...] = ()
    link: tuple[ExtraLink, ...] = ()


def build_graph(prefs: list[Prefecture], munis: list[Municipality], policy: Policy, net: NetworkConfig) -> nx.DiGraph:
    """Assemble the network: center, prefecture servers, a CS per municipality, recipients, links."""
    g: nx.DiGraph = nx.DiGraph()
    sec = net.link_security.model_dump()

    def link(a: str, b: str, *messages: str) -> None:
        g.add_edge(a, b, messages=tuple(messages), **sec)

    g.add_node("center", kind="center", name="designated organisation (LASDEC) national server")
    g.add_node("jpki", kind="jpki", name="JPKI certification body link server")
    link("center", "jpki", "jpki_revocation")
    for p in prefs:
        pid = f"pref:{p.code}"
        g.add_node(pid, kind="prefecture", pref=p.code, name=p.name_en, population=p.population)
        link(pid, "center", "forward", "provision_request", *IDENTITY_RELAY)
        link("center", pid, "provision", *IDENTITY_RELAY)
        gov = f"governor:{p.code}"
        g.add_node(gov, kind="recipient", level="local", body="governor", pref=p.code)
        # the governor discloses to a resident from the prefecture server (Art. 30-37): the server answers the
        # resident (the `disclosure` schema, src prefecture, dst resident); the governor's office receives none.
        # An office the registry does not name asks for nothing: no provision line is laid to it (as for a national body)
        if "governor" in policy.bodies:
            link(pid, gov, "provision")
            link(gov, pid, "provision_request")
    disconnected = set(net.disconnected)
    for m in munis:
        cs = f"cs:{m.lgcode}"
        g.add_node(
            cs,
            kind="cs",
            pref=m.pref,
            name=m.name_ja,
            type=m.type,
            population=m.population,
            population_source=m.population_source,
            connected=m.lgcode not in disconnected,
        )
        head = f"municipal_head:{m.lgcode}"
        g.add_node(head, kind="recipient", level="local", body="municipal_head", pref=m.pref)
        if "municipal_head" in policy.bodies:
            link(cs, head, "provision")
            link(head, cs, "provision_request")
        if m.lgcode in disconnected:
            continue
        pid = f"pref:{m.pref}"
        link(cs, pid, "notification", "provision_request", *IDENTITY_RELAY)
        link(pid, cs, "provision", *IDENTITY_RELAY)
    for body in policy.bodies.values():
        if body.level == "national":
            nid = f"nat:{body.id}"
            g.add_node(nid, kind="recipient", level="national", body=body.id, name=body.name)
            link("center", nid, "provision")
            link(nid, "center", "provision_request")
        elif body.level == "private":
            g.add_node(f"private:{body.id}", kind="private", level="private", body=body.id, name=body.name)
    for n in net.node:
        g.add_node(n.id, kind=n.kind, level=n.level, name=n.name or n.id)
    for e in net.link:
        g.add_edge(e.src, e.dst, messages=e.messages, link_id=e.id, **e.security.model_dump())
    return g


def identity_messages(messages: Any, policy: Policy) -> list[str]:
    """The message types among `messages` that carry data a receiver keeps (an unknown type counts); a query
    (`carries_identity = false`) carries lookup keys only."""
    return sorted(m for m in messages if m not in policy.messages or policy.messages[m].carries_identity)


def item_messages(messages: Any, policy: Policy) -> list[str]:
    """The message types among `messages` on which an item of a record can travel: every schema with items, a
    query's lookup keys included (identity information leaving its sender), and an unknown type."""
    return sorted(m for m in messages if m not in policy.messages or policy.messages[m].items)


JUKINET = ("center", "prefecture", "cs")


def c13_governs(src_kind: str | None, dst_kind: str | None, messages: Any, policy: Policy) -> bool:
    """Whether C13 governs a link: one on which an item can travel, or one with an end outside Juki-net and one
    inside (whatever it declares).  The one reading the network check, the proof and the log audit share."""
    return bool(item_messages(messages, policy)) or (src_kind in JUKINET) != (dst_kind in JUKINET)


def c13_edges(g: nx.DiGraph, policy: Policy) -> list[tuple[str, str, dict[str, Any]]]:
    """The links C13 governs (`c13_governs`)."""
    kinds = nx.get_node_attributes(g, "kind")
    return [(a, b, d) for a, b, d in g.edges(data=True) if c13_governs(kinds.get(a), kinds.get(b), d["messages"], policy)]


def c13_missing(link: dict[str, Any], statute: Statute) -> list[str]:
    """What one link's security attributes lack of what C13 requires (empty: it meets C13).
    The one definition the soundness check, the proof and the log audit all use."""
    req = statute.c13
    missing: list[str] = [k for k in req.required if not link.get(k)]
    if link.get("firewall") != req.firewall:
        missing.append(f"firewall={link.get('firewall')}")
    if str(link.get("protocol", "")).lower() not in req.allowed_protocols:
        missing.append(f"protocol={link.get('protocol')}")
    return missing


RECIPIENT_KINDS = ("recipient", "private")


def one_way_problem(src_kind: str | None, dst_kind: str | None, messages: set[str], policy: Policy) -> str:
    """Why a link breaks one-way provision (C03), or '' if it does not: a recipient's link may carry
    only query keys, and never to another recipient.  Unknown message types count as carrying data."""
    if src_kind not in RECIPIENT_KINDS:
        return ""
    if dst_kind in RECIPIENT_KINDS:
        return "recipient to recipient"
    back = identity_messages(messages, policy)
    return f"identity information fed back: {', '.join(back)}" if back else ""


def c13_failures(g: nx.DiGraph, policy: Policy, statute: Statute) -> list[str]:
    """Links C13 governs (`c13_edges`) that miss one of its requirements."""
    bad = []
    for a, b, d in c13_edges(g, policy):
        missing = c13_missing(d, statute)
        if missing:
            bad.append(f"{a}->{b} ({', '.join(missing)})")
    return bad


def soundness_checks(
    g: nx.DiGraph, policy: Policy, statute: Statute, expected_munis: int, expected_population: int
) -> list[Check]:
    kinds = nx.get_node_attributes(g, "kind")
    prefs = [n for n, k in kinds.items() if k == "prefecture"]
    css = [n for n, k in kinds.items() if k == "cs"]
    pop = sum(g.nodes[n]["population"] for n in css)
    checks = [
        Check("prefectures", "-", len(prefs) == 47, f"{len(prefs)} prefecture servers (expected 47)"),
        Check(
            "municipalities",
            "-",
            len(css) == expected_munis,
            f"{len(css)} community servers as the year starts (expected {expected_munis})",
        ),
        Check("population", "-", pop == expected_population, f"{pop:,} residents (register {expected_population:,})"),
    ]
    return checks + structural_checks(g, policy, statute)


# The network checks that bear on a constraint: each is also a property of the proof catalogue
# (proofs/structure.py, proofs/catalogue.py), so `jukinet network` and `jukinet prove` cannot disagree.
STRUCTURAL = {
    "cs_via_own_prefecture": "C16",
    "all_connected": "C16",
    "links_c13": "C13",
    "one_way_provision": "C03",
    "central_messages_identity_only": "C01",
    "cs_answers_its_own_head_only": "C02",
    "prefecture_servers_read_their_own_residents": "C01",
    "cs_read_their_own_residents": "C02",
    "identity_information_leaves_only_as_addressed": "C02",
}


def apart_from_juki(g: nx.DiGraph) -> set[str]:
    """The nodes of the parts of the graph that no Juki-net node is in (a bank and its vendor linked to each other):
    not "through the network", so their links are no breach of C03."""
    kinds = nx.get_node_attributes(g, "kind")
    return {n for part in nx.weakly_connected_components(g) if not any(kinds.get(x) in JUKINET for x in part) for n in part}


def structural_checks(g: nx.DiGraph, policy: Policy, statute: Statute) -> list[Check]:
    """The checks of `STRUCTURAL`, in that order."""
    kinds = nx.get_node_attributes(g, "kind")
    css = [n for n, k in kinds.items() if k == "cs"]
    checks: list[Check] = []
    # Every CS reaches the center, and only through its own prefecture server (Art. 30-5, 30-11): along the links
    # a change travels on (those declaring the notification or the forward), not every link of the graph.
    # A link carries a change when it declares the notification or the forward and its sender may send it (a CS
    # declaring the forward, which the Act gives the prefecture server alone, is refused by the policy: it carries none).
    action_of = {policy.action_message.get(a): a for a in ("notify", "forward")}
    permits = Permits(policy, statute)
    carrying = nx.DiGraph()
    carrying.add_nodes_from(g)
    carrying.add_edges_from(
        (a, b)
        for a, b, d in g.edges(data=True)
        if any(m in action_of and may_send(g, permits, a, action_of[m]) for m in d.get("messages", ()))
    )
    no_prefs = carrying.subgraph(n for n in g if kinds.get(n) != "prefecture").copy()  # a view counts its nodes per call
    reaching_center = nx.ancestors(no_prefs, "center") if "center" in no_prefs else set()
    bypass, wrong, unreachable = [], [], []
    for cs in css:
        if cs in reaching_center:
            bypass.append(cs)
        if not g.nodes[cs]["connected"]:
            continue
        local = nx.descendants(no_prefs, cs) | {cs}
        first_prefs = {p for n in local for p in carrying.successors(n) if kinds.get(p) == "prefecture"}
        if first_prefs != {f"pref:{g.nodes[cs]['pref']}"}:
            wrong.append(f"{cs}->{sorted(first_prefs)}")
        if not nx.has_path(carrying, cs, "center"):
            unreachable.append(cs)
    checks.append(
        Check(
            "cs_via_own_prefecture",
            "C16",
            not (bypass or wrong or unreachable),
            "every connected CS reaches the center only through its own prefecture server"
            if not (bypass or wrong or unreachable)
            else f"bypass {bypass[:3]} wrong {wrong[:3]} unreachable {unreachable[:3]}",
        )
    )
    off = [cs for cs in css if not g.nodes[cs]["connected"]]
    checks.append(
        Check("all_connected", "C16", not off, f"{len(off)} municipalities disconnected" + (f": {', '.join(off)}" if off else ""))
    )
    bad = c13_failures(g, policy, statute)
    n_id = len(c13_edges(g, policy))
    checks.append(
        Check(
            "links_c13",
            "C13",
            not bad,
            f"{n_id} links can carry an item or cross Juki-net's boundary; "
            + (f"{len(bad)} fail C13: {'; '.join(bad[:5])}" if bad else "all meet C13"),
        )
    )
    apart = apart_from_juki(g)
    back = [
        f"{a}->{b}"
        for a, b, d in g.edges(data=True)
        if a not in apart and one_way_problem(kinds.get(a), kinds.get(b), set(d["messages"]), policy)
    ]
    checks.append(
        Check(
            "one_way_provision",
            "C03",
            not back,
            "recipients send only query keys and reach no other recipient"
            if not back
            else f"recipient links carrying data back or to another recipient: {', '.join(back[:5])}",
        )
    )
    checks.append(central_messages(g, policy, statute))
    checks.append(cs_answers(g, policy))
    checks.append(own_residents(g, policy, statute, permits))
    checks.append(cs_own_residents(g, policy, statute, permits))
    checks.append(sent_out(g, policy, statute))
    return checks

"""Structural properties: message schemas and stores, the network graph, cards, organisation.

Each is a check over a finite table of facts computed from the configuration (the graph's edges,
the schemas' items, the card layout ...): the facts are compiled to SMT as `subject = i and
fact_i`, so the query `exists a subject that breaks the law` gets the same verdicts,
counterexamples and certificates as the rule properties.
"""

from __future__ import annotations

from typing import Any

import networkx as nx
import z3

from model.statute import IDENTITY_ITEMS
from model.topology import RECIPIENT_KINDS, c13_missing, identity_edges, one_way_problem
from proofs.context import Context
from proofs.engine import Result, run_property


def finite(ctx: Context, cid: str, name: str, subjects: list[tuple[dict[str, Any], bool]]) -> Result:
    """PROVED iff every subject's fact holds; a counterexample names the subject that breaks it."""
    x = z3.Int(f"{name}_subject")
    n = len(subjects)
    premise = z3.And(x >= 0, x < n)
    goal = z3.Or([z3.And(x == i, z3.BoolVal(ok)) for i, (_, ok) in enumerate(subjects)] or [z3.BoolVal(False)])

    def decode(model: z3.ModelRef, _general: set[str]) -> dict[str, Any]:
        i = model.eval(x, model_completion=True).as_long()
        return dict(subjects[i][0])

    return run_property(
        cid, name, ctx.articles(cid), ctx.statement(cid), premise, goal, decode, None, ctx.certificates, ctx.hashes
    )


def central_stores_hold_identity_information_only(ctx: Context) -> Result:
    """C01 (Art. 30-5, 30-11): what reaches or stays at a prefecture server or the center is identity
    information only: every item of every message sent there, every item of their stores."""
    p = ctx.sc.policy
    subjects = []
    for m in p.messages.values():
        if m.dst in ("prefecture", "center"):
            subjects += [({"message": m.id, "to": m.dst, "item": i}, i in IDENTITY_ITEMS) for i in m.items]
    for store, items in p.stores.items():
        subjects += [({"store": store, "item": i}, i in IDENTITY_ITEMS) for i in sorted(items)]
    return finite(ctx, "C01", "central_stores_hold_identity_information_only", subjects)


def provision_is_one_way(ctx: Context) -> Result:
    """C03: recipients feed no identity information back into the network and have no link to each other."""
    g = ctx.sc.graph
    kinds = nx.get_node_attributes(g, "kind")
    subjects = []
    for a, b, d in g.edges(data=True):
        if kinds.get(a) in RECIPIENT_KINDS:
            problem = one_way_problem(kinds.get(a), kinds.get(b), set(d["messages"]), ctx.sc.policy)
            subjects.append(({"link": f"{a} -> {b}", "carries": list(d["messages"]), "problem": problem}, not problem))
    return finite(ctx, "C03", "provision_is_one_way", subjects)


def links_are_dedicated_authenticated_and_encrypted(ctx: Context) -> Result:
    """C13 (mission document): every link carrying identity information is dedicated, mutually
    authenticated, encrypted, behind center-managed firewalls, watched by intrusion detection, and
    speaks the system's own protocol (no SMTP, HTTP, FTP, Telnet).  A counterexample is the link and
    the path from it to the center."""
    g = ctx.sc.graph
    subjects = []
    for a, b, d in identity_edges(g, ctx.sc.policy):
        missing = c13_missing(d, ctx.sc.config.statute)
        path = nx.shortest_path(g, a, "center") if missing and nx.has_path(g, a, "center") else []
        subjects.append(({"link": f"{a} -> {b}", "missing": missing, "path_to_center": path}, not missing))
    return finite(ctx, "C13", "links_are_dedicated_authenticated_and_encrypted", subjects)


def staff_and_recipients_owe_confidentiality(ctx: Context) -> Result:
    """C11 (Art. 30-17, 30-31, 30-35, 30-36, 42): every holder of identity information is bound to
    confidentiality, and a leak is punished more heavily than an ordinary secrecy breach."""
    st = ctx.sc.config.statute
    org = ctx.sc.config.organisation
    subjects: list[tuple[dict[str, Any], bool]] = [
        ({"holder": k, "article": art, "problem": "no confidentiality duty in force"}, k in org.confidentiality)
        for k, art in st.confidentiality.items()
    ]
    leak, ordinary = st.penalty[org.leak_penalty], st.penalty["ordinary_secrecy"]
    heavier = leak.prison_years > ordinary.prison_years and leak.fine_yen > ordinary.fine_yen
    subjects.append(
        (
            {
                "penalty": org.leak_penalty,
                "article": leak.article,
                "problem": "" if heavier else f"not heavier than {ordinary.article}",
            },
            heavier,
        )
    )
    return finite(ctx, "C11", "staff_and_recipients_owe_confidentiality", subjects)


def every_municipality_self_inspects(ctx: Context) -> Result:
    """C14 (mission document): every municipality runs the checklist self-inspection; external audits run."""
    org = ctx.sc.config.organisation
    exempt = set(org.self_inspection_exempt)
    subjects: list[tuple[dict[str, Any], bool]] = [
        ({"municipality": m.lgcode, "name": m.name_ja, "problem": "exempt from self-inspection"}, m.lgcode not in exempt)
        for m in ctx.sc.municipalities
    ]
    subjects.append(({"external_audits": org.external_audits, "problem": "external audits switched off"}, org.external_audits))
    return finite(ctx, "C14", "every_municipality_self_inspects", subjects)


def code_stays_in_the_chip(ctx: Context) -> Result:
    """C15 (mission document; Art. 30-44): the code is in the chip's basic area, never on the face; a PIN
    guards the basic area; independent-area numbers are not the code; the JPKI key never leaves the chip."""
    c = ctx.sc.config.cards
    org = ctx.sc.config.organisation
    subjects: list[tuple[dict[str, Any], bool]] = [
        ({"fact": "the card face does not print the resident code", "face": list(c.face_items)}, "code" not in c.face_items),
        ({"fact": "the resident code is in the chip's basic area", "chip_basic": list(c.chip_basic)}, "code" in c.chip_basic),
        ({"fact": "a PIN guards the basic area", "chip_basic": list(c.chip_basic)}, "pin" in c.chip_basic),
        ({"fact": "independent-area user numbers are not the code"}, not org.independent_area_uses_code),
        ({"fact": "the JPKI signing key never leaves the chip"}, not org.jpki_key_exportable),
    ]
    return finite(ctx, "C15", "code_stays_in_the_chip", subjects)


def every_municipality_notifies_every_resident(ctx: Context) -> Result:
    """C16 (Art. 30-5, 30-11; Tokyo High Court 2007): every CS is connected to its prefecture server and
    the center, withholds nobody, and the notification carries every identity item."""
    g = ctx.sc.graph
    org = ctx.sc.config.organisation
    withholding = set(org.withholding)
    reach = nx.ancestors(g, "center")
    note = ctx.sc.policy.messages.get("notification")
    subjects: list[tuple[dict[str, Any], bool]] = []
    for m in ctx.sc.municipalities:
        cs = f"cs:{m.lgcode}"
        problem = (
            "withholds residents from notification"
            if m.lgcode in withholding
            else ("not connected to the center" if cs not in reach else "")
        )
        subjects.append(({"municipality": m.lgcode, "name": m.name_ja, "problem": problem}, not problem))
    for i in IDENTITY_ITEMS:
        carried = note is not None and i in note.items
        subjects.append(({"message": "notification", "item": i, "problem": "" if carried else "not carried"}, carried))
    return finite(ctx, "C16", "every_municipality_notifies_every_resident", subjects)

"""Checked facts: constraints that are not about flow or requests (C11 duties and penalties, C14
inspections, C15 card layout, and the parts of C07, C09 and C12 that are a single configured value), the
delivery halves of C12 (a disclosure reaches its subject, by the plain search of model/law/flow.py) and C16
(the change is read and recorded), and `jukinet network`'s structural checks.

Each is computed in Python over the configuration and reported as a *checked fact* (verdict
CHECKED or VIOLATED), never as a proof: no solver is asked, and none is pretended to be.
"""

from __future__ import annotations

import time
from typing import Any

from jukinet.model.config.settings import PIN_SPACE
from jukinet.model.law.flow import NONE, SUBJECT, Holder, Hop, Token
from jukinet.proofs.context import Context
from jukinet.proofs.engine import Result
from jukinet.proofs.report import hop_dict

CHECKED_NOTE = "checked fact: computed over the configuration's values, not a solver proof"


def checked_fact(
    ctx: Context, cid: str, name: str, subjects: list[tuple[dict[str, Any], bool]], started: float | None = None
) -> Result:
    """CHECKED iff every subject's fact holds; else VIOLATED naming the first subject that breaks it (`started`:
    when the facts began to be computed, for the time column)."""
    t = time.perf_counter() if started is None else started
    failing = [s for s, ok in subjects if not ok]
    return Result(
        cid,
        name,
        ctx.articles(cid),
        ctx.statement(cid),
        "VIOLATED" if failing else "CHECKED",
        dict(failing[0], failing=len(failing), of=len(subjects)) if failing else None,
        seconds=time.perf_counter() - t,
        note=CHECKED_NOTE,
        hashes=ctx.hashes,
        basis="checked fact",
    )


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
    problem = "" if heavier else f"not heavier than {ordinary.article}"
    subjects.append(({"penalty": org.leak_penalty, "article": leak.article, "problem": problem}, heavier))
    return checked_fact(ctx, "C11", "staff_and_recipients_owe_confidentiality", subjects)


def every_municipality_self_inspects(ctx: Context) -> Result:
    """C14 (mission document): every municipality runs the checklist self-inspection; external audits run."""
    org = ctx.sc.config.organisation
    exempt = set(org.self_inspection_exempt)
    subjects: list[tuple[dict[str, Any], bool]] = [
        ({"municipality": m.lgcode, "name": m.name_ja, "problem": "exempt from self-inspection"}, m.lgcode not in exempt)
        for m in ctx.sc.municipalities
    ]
    subjects.append(({"external_audits": org.external_audits, "problem": "external audits switched off"}, org.external_audits))
    return checked_fact(ctx, "C14", "every_municipality_self_inspects", subjects)


# The basic area's PIN (model.config.settings PIN_SPACE) guards the area only if the chip locks long before a guesser
# can try them all: at most 10 tries, a 1 in 1,000 chance [ASSUMPTION: the threshold; FY2006's card locked after 3,
# the default]
PIN_TRIES_AT_MOST = 10


def code_stays_in_the_chip(ctx: Context) -> Result:
    """C15 (mission document; Art. 30-44): the code is in the chip's basic area, never on the face; a PIN
    guards the basic area; independent-area numbers are not the code; the JPKI key never leaves the chip."""
    c = ctx.sc.config.cards
    org = ctx.sc.config.organisation
    subjects: list[tuple[dict[str, Any], bool]] = [
        ({"fact": "the card face does not print the resident code", "face": list(c.face_items)}, "code" not in c.face_items),
        ({"fact": "the resident code is in the chip's basic area", "chip_basic": list(c.chip_basic)}, "code" in c.chip_basic),
        ({"fact": "a PIN guards the basic area", "chip_basic": list(c.chip_basic)}, "pin" in c.chip_basic),
        ({"fact": "the card face does not print the PIN", "face": list(c.face_items)}, "pin" not in c.face_items),
        (
            {
                "fact": f"wrong PINs lock the chip before a guesser has a 1 in {PIN_SPACE // PIN_TRIES_AT_MOST:,} chance",
                "pin_tries": c.pin_tries,
            },
            c.pin_tries <= PIN_TRIES_AT_MOST,
        ),
        ({"fact": "independent-area user numbers are not the code"}, not org.independent_area_uses_code),
        ({"fact": "the JPKI signing key never leaves the chip"}, not org.jpki_key_exportable),
    ]
    return checked_fact(ctx, "C15", "code_stays_in_the_chip", subjects)


def code_pools_are_disjoint(ctx: Context) -> Result:
    """C07 (Art. 30-2, 30-3, 30-7(1)(2)): the municipalities' code pools never overlap and leave headroom, so a
    new code never repeats an old one, and each holds its residents and its share of the year's new codes (births,
    changes on request, entries: the configuration's [events] rates), so a resident may change code at any time."""
    from jukinet.model.law.codes import CodeAuthority

    pops = {m.lgcode: m.population for m in ctx.sc.municipalities}
    auth = CodeAuthority.layout(pops, ctx.sc.config.codes)
    blocks = [b for p in auth.pools.values() for b in p.blocks]
    dup = len(blocks) - len(set(blocks))
    headroom = ctx.sc.config.codes.headroom
    # the year's new codes, shared by population: births, code changes, net entries (moves keep their code: Art. 30-3)
    ev = ctx.sc.config.events
    per_resident = (ev.births + ev.code_changes + max(0.0, ev.social_change)) / max(1, sum(pops.values()))
    spare = {lg: len(auth.pools[lg].blocks) * auth.pools[lg].block_size - pop - pop * per_resident for lg, pop in pops.items()}
    short = min(spare, key=lambda lg: spare[lg])
    return checked_fact(
        ctx,
        "C07",
        "code_pools_are_disjoint",
        [
            ({"fact": "no block of codes is in two pools", "blocks_in_two_pools": dup}, dup == 0),
            ({"fact": "pool capacity >= population", "headroom": headroom}, headroom >= 1.0),
            (
                {
                    "fact": "every pool holds its residents and the year's new codes (births, code changes, entries)",
                    "tightest_unit": short,
                    "unused_codes_left": round(spare[short]),
                },
                spare[short] >= 0,
            ),
        ],
    )


def access_log_is_on(ctx: Context) -> Result:
    """C09 (mission document): the configuration keeps the access log on."""
    on = ctx.sc.policy.logging
    return checked_fact(ctx, "C09", "access_log_is_on", [({"fact": "policy.logging is true", "logging": on}, on)])


def disclosure_within_30_days(ctx: Context) -> Result:
    """C12 (Art. 30-38): a disclosure request is answered within 30 days."""
    days = ctx.sc.config.organisation.disclosure_days
    return checked_fact(
        ctx, "C12", "disclosure_within_30_days", [({"fact": "answered within 30 days", "disclosure_days": days}, days <= 30)]
    )


def disclosure_reaches_its_subject(ctx: Context) -> Result:
    """C12 (Art. 30-37), the delivery: what the governor (or the center) discloses reaches the resident who asked,
    readable: from every prefecture server (or, where the disclosure is the center's, from the center) the subject
    can come to hold every item of identity information as a disclosure, unsealed.  Computed with the plain
    search of model/law/flow.py over that node and the subject alone (links, schemas, sealing and the rules), so
    a disclosure addressed to another kind, sealed for it, or carrying fewer items is named."""
    started = time.perf_counter()
    f = ctx.flow
    disclose = f.policy.action_message.get("disclose", "")
    schema = f.policy.messages.get(disclose)
    src = schema.src if schema is not None else ""
    senders = [n for n in f.nodes if f.kinds[n] == src]
    want = tuple(sorted(f.identity))
    subjects: list[tuple[dict[str, Any], bool]] = []
    for n in senders if src == "prefecture" else senders[:1]:
        parent, _ = f.reach(items=want, sources=frozenset({n}), within=frozenset({n, SUBJECT}))
        got = {t.item for (h, t) in parent if h == (SUBJECT, NONE) and t.disclosed and not t.sealed}
        subjects.append(({"from": n, "problem": f"the subject cannot obtain {sorted(set(want) - got)}"}, got >= set(want)))
    if not subjects:
        subjects.append(({"message": disclose or "-", "problem": f"no node of the disclosure's sender kind {src!r}"}, False))
    return checked_fact(ctx, "C12", "disclosure_reaches_its_subject", subjects, started)


# The annex tables whose affairs a prefecture serves with its own residents' identity information, to its own bodies:
# table 2 (the municipal organs in the prefecture, Art. 30-7(4)) and table 5 (the governor's own use, Art. 30-8).
# Tables 3 and 4 are the other prefectures' bodies asking (Art. 30-7(5)(6)).
OWN_PLACE_TABLES = (2, 5)


def tables_2_and_5_serve_their_own_prefecture(ctx: Context) -> Result:
    """C02 (Art. 30-7(4), 30-8): a governor or municipal head holds, under a table 2 or 5 affair, only its own
    prefecture's residents.  What a prefecture server or a CS holds is its own prefecture's residents; the plain
    search of model/law/flow.py follows it from there by every permitted route that does not pass the center (the
    center holds every prefecture's residents and serves each prefecture's bodies for it: a token there has no place
    the model can read) and names a local body of another prefecture holding it in a table 2 or 5 compartment; a
    message addressed to a CS (a transfer notice, a wide-area copy) makes it the receiving municipality's.  A
    prefecture is searched only when such a body is reachable from it at all, link by link (none is, as designed)."""
    started = time.perf_counter()
    f = ctx.flow
    tables = {r.id: r.table for r in ctx.sc.config.statute.annex}
    place = {n: str(d["pref"]) for n, d in f.graph.nodes(data=True) if f.is_body(n) and "pref" in d}
    homes: dict[str, set[str]] = {}
    for n, d in f.graph.nodes(data=True):
        if f.kinds[n] in ("prefecture", "cs"):
            homes.setdefault(str(d["pref"]), set()).add(n)
    succ = f.graph.succ  # every link but those into or out of the center
    apart = {u: [v for v in succ[u] if f.kinds[v] != "center"] for u in f.graph if f.kinds[u] != "center"}
    subjects: list[tuple[dict[str, Any], bool]] = []
    for pp, sources in sorted(homes.items()):
        reached, stack = set(sources), list(sources)
        while stack:
            for v in apart[stack.pop()]:
                if v not in reached:
                    reached.add(v)
                    stack.append(v)
        if not any(place.get(n, pp) != pp for n in reached):
            continue

        def elsewhere(s: tuple[Holder, Token], pp: str = pp) -> bool:
            return place.get(s[0][0], pp) != pp and tables.get(s[0][1]) in OWN_PLACE_TABLES

        def moved_in(hop: Hop, pp: str = pp) -> bool:  # a message addressed to a CS (a transfer notice, a wide-area
            # copy) brings that municipality a person who moved in or asks at its counter: from there it is that
            # prefecture's resident, whose data the search from that prefecture follows
            node = hop.dst[0]
            return f.kinds[node] == "cs" and f.dst_kind(hop.message) == "cs" and f.graph.nodes[node]["pref"] != pp

        items = tuple(sorted(f.identity))
        within = frozenset(apart)
        parent, bad = f.reach(items=items, sources=frozenset(sources), within=within, until=elsewhere, skip=moved_in)
        fact: dict[str, Any] = {"from": f"prefecture {pp}", "searched": len(parent)}
        if bad:
            (node, affair), token = bad
            route = [hop_dict(h) for h in f.route(parent, bad)]
            fact |= {"holder": node, "affair": affair, "item": token.item, "route": route}
            fact["problem"] = (
                f"{node} (prefecture {place[node]}) holds prefecture {pp}'s residents' {token.item} "
                f"for the table {tables[affair]} affair {affair}"
            )
        subjects.append((fact, bad is None))
    if not subjects:
        subjects.append(({"fact": "no prefecture's server or CS reaches another prefecture's body but through the center"}, True))
    return checked_fact(ctx, "C02", "tables_2_and_5_serve_their_own_prefecture", subjects, started)


def changes_are_read_and_recorded(ctx: Context) -> Result:
    """C16 (Art. 30-5, 30-11), what the notified change becomes: the notification opens at the prefecture server
    and the forward at the center (neither sealed for another kind), and both stores keep every item of identity
    information (the prefecture records it, Art. 30-5; the designated organisation records it, Art. 30-11).  Per
    schema and store, so one value each (every CS's own route is the solver query every_change_reaches_the_center)."""
    p = ctx.sc.policy
    identity = ctx.flow.identity
    subjects: list[tuple[dict[str, Any], bool]] = []
    for action, reader in (("notify", "prefecture"), ("forward", "center")):
        m = p.action_message.get(action, "")
        schema = p.messages.get(m)
        opens = schema is not None and (not schema.sealed or schema.dst == reader)
        why = f"the {action} message {m!r} is " + ("missing" if schema is None else f"sealed for {schema.dst!r}")
        subjects.append(({"message": m, "reader": reader, "problem": why}, opens))
    for store in ("prefecture", "center"):
        lost = sorted(identity - set(p.stores.get(store, ())))
        subjects.append(({"store": store, "problem": f"does not keep {lost}"}, not lost))
    return checked_fact(ctx, "C16", "changes_are_read_and_recorded", subjects)


def _network_check(ctx: Context, check_id: str) -> Result:
    """One of `jukinet network`'s checks as a checked fact of the catalogue: the same function computes both."""
    c = ctx.structural[check_id]
    return checked_fact(ctx, c.constraint, f"network_{check_id}", [({"check": c.id, "detail": c.detail}, c.passed)])


def network_central_messages_identity_only(ctx: Context) -> Result:
    """C01 (Art. 30-5, 30-11): what the prefecture servers and the center send names identity information only."""
    return _network_check(ctx, "central_messages_identity_only")


def network_prefecture_servers_read_their_own_residents(ctx: Context) -> Result:
    """C01 (Art. 30-5(1), 30-6, 30-11): a prefecture server opens identity information from its own prefecture's CS
    only (queries and relayed answers aside); the center's file of every prefecture is not sent down to one."""
    return _network_check(ctx, "prefecture_servers_read_their_own_residents")


def network_cs_read_their_own_residents(ctx: Context) -> Result:
    """C02 (Art. 30-6, 30-7): a CS opens identity information of its own residents only (the sealed notices between
    municipalities and the answers to its own head aside): another municipality's head is no annex body."""
    return _network_check(ctx, "cs_read_their_own_residents")


def network_identity_information_leaves_only_as_addressed(ctx: Context) -> Result:
    """C02 (Art. 30-7, 30-10, 30-11): what a Juki-net node sends out of Juki-net, directly or through a carrier's relays,
    comes to rest at the kind of party its message addresses (a provision at a recipient), sent or not by the policy."""
    return _network_check(ctx, "identity_information_leaves_only_as_addressed")


def network_cs_answers_its_own_head_only(ctx: Context) -> Result:
    """C02 (Art. 30-7(3)-(6), 30-10): a CS hands answers to its own municipal head only."""
    return _network_check(ctx, "cs_answers_its_own_head_only")


def network_cs_via_own_prefecture(ctx: Context) -> Result:
    """C16 (Art. 30-5, 30-11): every connected CS reaches the center, and only through its own prefecture server."""
    return _network_check(ctx, "cs_via_own_prefecture")


def network_all_connected(ctx: Context) -> Result:
    """C16 (Art. 30-5; Tokyo High Court 2007): no register-keeping unit is left out of the network."""
    return _network_check(ctx, "all_connected")


def network_links_c13(ctx: Context) -> Result:
    """C13 (mission document): every link C13 governs meets it, as `jukinet network` reads the links."""
    return _network_check(ctx, "links_c13")


def network_one_way_provision(ctx: Context) -> Result:
    """C03 (mission document): a recipient's link carries only query keys, and never reaches another recipient."""
    return _network_check(ctx, "one_way_provision")

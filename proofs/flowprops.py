"""The flow constraints, each proved as an inductive invariant by one solver query, and the
network properties that are about links (C03's no link between bodies, C13, C16's route).

A VIOLATED flow property carries its route: every hop from an initial holding to the unlawful
one, each with its link, message, permitting rule and articles, found by the plain breadth-first
search of model/law/flow.py and re-checked hop by hop against it (`Flow.steps`).
"""

from __future__ import annotations

import time
from typing import Any

import networkx as nx
import z3

from jukinet.model.law.flow import SUBJECT, WHY_UNLAWFUL, Flow, Holder, Hop, Token
from jukinet.model.world.topology import apart_from_juki
from jukinet.proofs import runs
from jukinet.proofs.context import Context
from jukinet.proofs.engine import Result, run_property
from jukinet.proofs.facts import carried_home, checked_facts, conduit_links
from jukinet.proofs.flow import FlowEncoding, State
from jukinet.proofs.report import holder_str, hop_dict, token_dict

SHORT = 60_000  # holdings a short route search may reach before it gives up


def find_route(
    flow: Flow,
    cid: str,
    target: tuple[Holder, Token],
    step_from: tuple[Holder, Token] | None = None,
    searched: list[int] | None = None,
) -> list[Hop] | None:
    """The route to the first holding unlawful under `cid` that a search meets.  Short searches first, each
    given up after SHORT holdings: from the ends of the links a scenario adds; from the nodes next to them;
    toward the node of the solver's step (through the center, the prefectures, the subject and one CS only);
    from the center's store and the subject; from every initial holder but the CS plus one CS.  Then complete
    searches from every initial holding.  Each among the solver's items first, then among every item.
    Any route found is a real one; None only if the complete search reaches no unlawful holding."""
    first_cs = next((n for n in flow.nodes if flow.kinds[n] == "cs"), "")
    added = frozenset(end for a, b, d in flow.graph.edges(data=True) if "link_id" in d for end in (a, b))
    ends = {target[0][0], target[1].origin} | ({step_from[0][0], step_from[1].origin} if step_from else set())
    ends &= set(flow.kinds)  # the solver's holders and the bodies its tokens left (origin NONE is no node)
    hubs = frozenset(n for n in flow.nodes if flow.kinds[n] != "cs" and not flow.is_body(n)) | {SUBJECT, first_cs}
    toward = hubs | ends | added
    centre = frozenset(n for n in flow.nodes if flow.kinds[n] == "center") | {SUBJECT} | added
    few = frozenset(n for n in flow.nodes if flow.kinds[n] != "cs") | {first_cs} | ends | added
    solver_items = tuple(dict.fromkeys([target[1].item] + ([step_from[1].item] if step_from else [])))
    g = flow.graph
    near = added | frozenset(x for a in added for x in (*g.predecessors(a), *g.successors(a)) if x in flow.kinds)
    # a node next to an added link: the CS whose head an added link leaves, say
    stages: list[tuple[frozenset[str], frozenset[str] | None]] = [
        (added, toward | near),
        (added, None),
        (near, None),
        (toward, toward),
        (centre, None),
        (few, None),
    ]
    for items in (solver_items, ()):
        for sources, within in stages:  # short searches, each given up after SHORT holdings
            if sources:
                parent, bad = flow.reach(stop=(cid,), items=items, sources=sources, limit=SHORT, within=within)
                if bad is not None:
                    return flow.route(parent, bad)
    for items in (solver_items, ()):  # complete
        parent, bad = flow.reach(stop=(cid,), items=items)
        if bad is not None:
            return flow.route(parent, bad)
    if searched is not None:
        searched.append(len(parent))  # the complete search over every item reached no unlawful holding
    return None


def flow_query(fe: FlowEncoding, cid: str) -> tuple[z3.BoolRef, z3.BoolRef, State, State, z3.BoolRef]:
    """(premise, goal, a, b, initial): `premise and not goal` is unsat iff Lawful_C (with the well-formedness
    every step keeps) holds of every initial holding and survives every permitted step."""
    a, b = fe.state("from"), fe.state("to")
    initial = z3.Bool("initial_holding")
    hypothesis = z3.And(fe.well_formed(a), fe.lawful(cid, a), fe.strengthening(cid, a))
    premise = z3.And(fe.facts, fe.domain(a, b), z3.If(initial, fe.initial(b), z3.And(hypothesis, fe.step(a, b))))
    return premise, z3.And(fe.well_formed(b), fe.lawful(cid, b), fe.strengthening(cid, b)), a, b, initial


def flow_property(ctx: Context, cid: str, name: str) -> Result:
    """Lawful_C is an inductive invariant: no initial holding breaks it, no permitted step leaves it."""
    fe = ctx.fenc
    premise, goal, a, b, initial = flow_query(fe, cid)
    found: dict[str, Any] = {}

    def decode(model: z3.ModelRef, _general: set[str]) -> dict[str, Any]:
        target = fe.decode(model, b)
        out: dict[str, Any] = {
            "holder": holder_str(target[0]),
            "token": token_dict(target[1]),
            "why_unlawful": WHY_UNLAWFUL[cid],
        }
        if z3.is_true(model.eval(initial, model_completion=True)):
            out["route"] = []
            out["note"] = "an initial holding (a store or register the configuration sets up) is already unlawful"
            found["route"] = []
            return out
        source = fe.decode(model, a)
        out["step_found_by_the_solver"] = {"from": holder_str(source[0]), "held": token_dict(source[1])}
        started = time.perf_counter()
        searched: list[int] = []
        route = find_route(ctx.flow, cid, target, source, searched)
        found["searched"] = searched
        found["route"] = route
        out["route_search_seconds"] = round(time.perf_counter() - started, 3)
        if route is not None:
            # the route replaces the solver's step, whose source is any holding the invariant allows,
            # reached or not (kept only when no route is found, to say where the invariant fails)
            del out["step_found_by_the_solver"]
            last = route[-1].dst, route[-1].token
            out["holder"], out["token"] = holder_str(last[0]), token_dict(last[1])
            out["route"] = [hop_dict(h) for h in route]
        return out

    res = run_property(
        cid,
        name,
        ctx.articles(cid),
        ctx.statement(cid),
        premise,
        goal,
        decode,
        None,
        ctx.certificates,
        ctx.hashes,
    )
    if res.verdict == "VIOLATED" and found.get("route") is None:
        # The invariant is not inductive (a lawful holding no route reaches could pass the item on), and the
        # complete breadth-first search from every initial holding met no unlawful one: the finite state space
        # is exhausted, so the constraint holds, by search rather than by the solver (basis "full search").
        if found.get("searched"):
            return Result(
                **{
                    **res.__dict__,
                    "verdict": "PROVED",
                    "counterexample": None,
                    "certificate": None,
                    "basis": "full search",
                    "note": f"proved by the complete breadth-first search of model/law/flow.py: {found['searched'][0]:,} "
                    "reachable holdings, none unlawful (the solver found the lawful set not inductive: a lawful holding "
                    "no route reaches could pass the item on)",
                }
            )
        return Result(
            **{
                **res.__dict__,
                "verdict": "UNKNOWN",
                "note": "the lawful set is not inductive here and no complete search ran: not proved, not refuted",
            }
        )
    if res.verdict == "VIOLATED":
        rules = tuple(dict.fromkeys(h.rule for h in found["route"] if h.rule))
        res = Result(**{**res.__dict__, "rules": rules})
    notes = checked_facts(ctx.flow)  # what the verdict rests on that Python computed (proofs/facts.py)
    return Result(**{**res.__dict__, "note": "; ".join(x for x in (res.note, *notes) if x)}) if notes else res


def central_stores_hold_identity_information_only(ctx: Context) -> Result:
    """C01 (Art. 30-5, 30-11, 9(1), 12-2): whatever can reach or stay at a prefecture server or the
    center, relays included, is identity information (sealed CS-to-CS traffic aside); a CS away
    from home holds only what a transfer notice or a wide-area copy may carry."""
    return flow_property(ctx, "C01", "central_stores_hold_identity_information_only")


def identity_information_reaches_bodies_only_by_listed_provision(ctx: Context) -> Result:
    """C02 (Art. 30-7(3)-(6), 30-8, 30-30): by any route, a body holds identity information only in
    the compartment of an affair the annex lists for it, and nothing else of the record."""
    return flow_property(ctx, "C02", "identity_information_reaches_bodies_only_by_listed_provision")


def nothing_flows_back_from_recipients(ctx: Context) -> Result:
    """C03 (mission document): nothing that left a recipient reaches Juki-net or another body, by any
    number of hops."""
    return flow_property(ctx, "C03", "nothing_flows_back_from_recipients")


def no_flow_between_affair_compartments(ctx: Context) -> Result:
    """C04 (Art. 30-34): data provided for one affair never reaches another affair's compartment."""
    return flow_property(ctx, "C04", "no_flow_between_affair_compartments")


def identity_information_disclosed_only_to_its_subject(ctx: Context) -> Result:
    """C12 (Art. 30-37), both ways: by any route, a resident's record reaches no resident but its subject, and
    what a disclosure brings reaches nobody but its subject."""
    return flow_property(ctx, "C12", "identity_information_disclosed_only_to_its_subject")


def no_link_between_bodies(ctx: Context) -> Result:
    """C03 (mission document): recipients cannot query each other through the network: no link joins
    two different bodies, whatever it declares; each body is its own (one governor and another, one municipal
    head and another, are the organs of two local public bodies).  A node (a LAN, a line, a bank) in a part of the
    network no Juki-net node is in asks nothing and reaches nothing of it (two office LANs linked only to
    each other, or a bank and its card vendor): its links are no breach; a node joined to Juki-net by any path is no
    exception."""
    fe, g = ctx.fenc, ctx.sc.graph
    u, v = z3.Const("link_src", fe.NODE), z3.Const("link_dst", fe.NODE)
    premise = z3.And(fe.facts, fe.any_link(u, v))
    # checked over the graph (networkx), not by the solver: the nodes of a part of the graph no Juki-net node is
    # in (two office LANs, or a bank and its vendor, linked only to each other; the network check's own reading)
    apart = [fe.index[n] for n in sorted(apart_from_juki(g))]
    # and a link a relay cannot open (every message sealed for another kind): a carrier's line, no principal there
    lines = conduit_links(ctx.flow)
    carrier = runs.holds(runs.runs({(fe.index[a], fe.index[b]) for a, b in lines}), u, v)
    relay = z3.Or(runs.member(u, apart), runs.member(v, apart), carrier)
    goal = z3.Not(z3.And(fe.body(u), fe.body(v), u != v, z3.Not(relay)))
    res = _link_result(ctx, "C03", "no_link_between_bodies", premise, goal, u, v, with_attributes=False)
    notes = [f"{len(apart)} node(s) in a part of the graph with no Juki-net node"] if apart else []
    notes += [f"{len(lines)} link(s) a relay carries sealed and cannot open (conduit_links)"] if lines else []
    if not notes:
        return res
    note = f"rests on a checked fact computed in Python: {'; '.join(notes)}"
    return Result(**{**res.__dict__, "note": "; ".join(x for x in (res.note, note) if x)})


def links_meet_c13(ctx: Context) -> Result:
    """C13 (mission document): every link that declares a message able to carry an item of a record, and
    every link joining a node outside Juki-net to a Juki-net node (whatever it declares), is dedicated,
    mutually authenticated, encrypted, behind the center's firewall, watched, and speaks an allowed
    protocol (an allow-list: the system's own)."""
    fe = ctx.fenc
    u, v = z3.Const("link_src", fe.NODE), z3.Const("link_dst", fe.NODE)

    def carrying(msgs: list[str]) -> z3.BoolRef:
        return z3.BoolVal(any(ctx.flow.carried(m) for m in msgs))

    link = fe.link_with(u, v, carrying)
    boundary = fe.link_with(u, v, lambda _msgs: fe.inside(u) != fe.inside(v))
    premise = z3.And(fe.facts, z3.Or(link, boundary))
    return _link_result(ctx, "C13", "links_meet_c13", premise, fe.secure(ctx.sc.config.statute), u, v, with_attributes=True)


def _link_result(
    ctx: Context, cid: str, name: str, premise: z3.BoolRef, goal: z3.BoolRef, u: Any, v: Any, with_attributes: bool
) -> Result:
    fe = ctx.fenc
    g = ctx.sc.graph

    def decode(model: z3.ModelRef, _general: set[str]) -> dict[str, Any]:
        su, sv = fe.node_name(model, u), fe.node_name(model, v)
        want = {}
        if with_attributes:
            for k, x in fe.link_vars.items():
                val = model.eval(x, model_completion=True)
                want[k] = val.as_string() if k in ("firewall", "protocol") else z3.is_true(val)
        for a, b, d in g.edges(data=True):
            if a != su or b != sv:
                continue
            got = {k: (str(d.get(k, "")).lower() if k in ("firewall", "protocol") else bool(d.get(k))) for k in want}
            if got == want:
                break
        else:
            return {"from_signature": su, "to_signature": sv, "attributes": want}
        path = []
        for end in (a, b):
            if "center" in g and nx.has_path(g, end, "center"):
                path = nx.shortest_path(g, end, "center")
                break
        return {
            "link": str(d.get("link_id", f"{a} -> {b}")),
            "from": a,
            "to": b,
            "declares": list(d.get("messages", ())),
            "security": {k: d.get(k) for k in fe.ATTRS},
            "path_to_center": path,
        }

    return run_property(
        cid, name, ctx.articles(cid), ctx.statement(cid), premise, goal, decode, None, ctx.certificates, ctx.hashes
    )


def every_change_reaches_the_center(ctx: Context) -> Result:
    """C16 (Art. 30-5, 30-11; Tokyo High Court 2007): for every CS the configuration names, a register
    change reaches the center: the CS may notify it (operator authenticated and in scope, the
    notification's schema), withholding nobody, over a link to its OWN prefecture server (and to no other
    node), which may forward it to the center over its own link; the notification's and the forward's
    schemas both carry every identity item, the change information included."""
    e, fe, f = ctx.enc, ctx.fenc, ctx.flow
    g, p = ctx.sc.graph, ctx.sc.policy
    r = e.v["requester"]
    note_msg, fwd_msg = p.action_message.get("notify", ""), p.action_message.get("forward", "")

    def request(action: str, node: str, message: str, requester: Any) -> z3.BoolRef:
        # a notification is entered by an operator (IC card, in scope); the forward is a system process with none
        operator = z3.BoolVal(action != "forward")
        items = set(p.messages[message].items) if message in p.messages else set()
        return e.permit_for(
            requester=requester,
            action=e.act_const[action],
            node=e.node_const[node],
            affair=e.a_const["none"],
            provided_affair=e.a_const["none"],
            batch=z3.BoolVal(False),
            operator_authenticated=operator,
            operator_in_scope=operator,
            subject_is_requester=z3.BoolVal(False),
            keys={k: z3.BoolVal(False) for k in e.v["keys"]},
            items={i: z3.BoolVal(i in items) for i in e.v["items"]},
        )

    req = {n: e.r_const[f.requester_of(n)] for n in g.nodes if n != "center"}
    forwards: dict[str, z3.BoolRef] = {}
    for b, c, d in g.edges(data=True):
        if c == "center" and fwd_msg in d.get("messages", ()) and f.kinds[b] == "prefecture":
            forwards[b] = request("forward", "prefecture", fwd_msg, req[b])
    own = {n: f"pref:{g.nodes[n].get('pref')}" for n in g.nodes if f.kinds.get(n) == "cs"}
    routes = [
        z3.And(r == req[a], forwards[b])
        for a, b, d in g.edges(data=True)
        if f.kinds.get(a) == "cs" and b == own[a] and b in forwards and note_msg in d.get("messages", ())
    ]
    # a CS whose notifications also go elsewhere than its own prefecture server (Art. 30-5: to its own governor)
    off = [(a, b) for a, b, d in g.edges(data=True) if a in own and b != own[a] and note_msg in d.get("messages", ())]
    via = sorted(f"{a} -> {b}" for a, b in off if carried_home(f, note_msg, b, own[a]))  # sealed, through relays
    astray = sorted({a for a, b in off if f"{a} -> {b}" not in via})
    withheld = [req[f"cs:{lg}"] for lg in ctx.sc.config.organisation.withholding if f"cs:{lg}" in req]
    withheld += [req[a] for a in astray]
    carried = [
        fe.carries(fe.msg[x], fe.item[i]) if x in fe.msg else z3.BoolVal(False)
        for x in (note_msg, fwd_msg)
        for i in sorted(f.identity)
    ]
    css = [req[n] for n in g.nodes if f.kinds.get(n) == "cs"]
    premise = (
        z3.Or([r == x for x in css])
        if len(css) < 8
        else e.is_requester([f.requester_of(n) for n in g.nodes if f.kinds.get(n) == "cs"])
    )
    goal = z3.And(
        request("notify", "cs", note_msg, r),
        z3.Or(routes) if routes else z3.BoolVal(False),
        *[r != w for w in withheld],
        *carried,
    )

    def decode(model: z3.ModelRef, _general: set[str]) -> dict[str, Any]:
        got = model.eval(r, model_completion=True)
        cs = next(n for n, c in req.items() if z3.eq(c, got) and f.kinds.get(n) == "cs")
        lg = cs.split(":", 1)[1]
        ups = [b for _, b, d in g.out_edges(cs, data=True) if note_msg in d.get("messages", ())]
        if lg in ctx.sc.config.organisation.withholding:
            problem = "withholds residents from notification"
        elif cs in astray:
            problem = (
                f"sends its notifications to {sorted(set(ups) - {own[cs]})[0]}, not only to its own prefecture server {own[cs]}"
            )
        elif not ups:
            problem = "no link carries its notifications to a prefecture server"
        elif own[cs] not in ups:
            problem = f"no link carries its notifications to its own prefecture server {own[cs]}"
        elif not (own[cs] in forwards and z3.is_true(model.eval(forwards[own[cs]], model_completion=True))):
            problem = f"its prefecture server {own[cs]} has no link with a permitted forward to the center"
        elif not z3.is_true(model.eval(request("notify", "cs", note_msg, r), model_completion=True)):
            problem = "no rule permits its notification"
        elif not z3.is_true(model.eval(z3.And(carried[: len(f.identity)]), model_completion=True)):
            problem = "the notification does not carry every identity item"
        else:
            problem = "the prefecture server's forward does not carry every identity item"
        return {"municipality": lg, "cs": cs, "name": g.nodes[cs].get("name", ""), "problem": problem}

    res = run_property(
        "C16",
        "every_change_reaches_the_center",
        ctx.articles("C16"),
        ctx.statement("C16"),
        z3.And(e.domain(), premise),
        goal,
        decode,
        None,
        ctx.certificates,
        ctx.hashes,
    )
    fact = f"checked fact (carried_home): {len(via)} notification link(s) through relays that reach only the CS's own server"
    return (
        Result(**{**res.__dict__, "note": "; ".join(x for x in (res.note, f"{fact}: {', '.join(via[:3])}") if x)}) if via else res
    )

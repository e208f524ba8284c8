"""Rule properties, proved for every request by SMT over the compiled policy.

Each function is named after the rule of law it checks and returns a `Result`: PROVED, or
VIOLATED with a counterexample request (fields that do not matter shown as 'any') and the rules
that let it through, or UNKNOWN.
"""

from __future__ import annotations

import z3

from jukinet.proofs.context import Context
from jukinet.proofs.engine import Result, run_property


def _run(ctx: Context, cid: str, name: str, premise: z3.BoolRef, goal: z3.BoolRef, situation: z3.BoolRef | None = None) -> Result:
    """Every request in the domain: its requester is one the configuration names (or a stand-in for
    a name it does not, model/encode.py)."""
    return run_property(
        cid,
        name,
        ctx.articles(cid),
        ctx.statement(cid),
        z3.And(ctx.enc.domain(), premise),
        goal,
        ctx.decode_request,
        ctx.enc.fields(),
        ctx.certificates,
        ctx.hashes,
        ctx.rules_applying,
        situation,
    )


def _permitted(ctx: Context, cid: str, name: str, action: str, goal: z3.BoolRef, *more: str) -> Result:
    """`action is asked and permitted -> goal`; vacuity: the action can be asked."""
    situation = _action(ctx, action, *more)
    return _run(ctx, cid, name, z3.And(situation, ctx.permit), goal, situation)


def _action(ctx: Context, *actions: str) -> z3.BoolRef:
    v = ctx.enc.v
    return z3.Or([v["action"] == ctx.enc.act_const[a] for a in actions])


def provision_only_to_annex_bodies_for_listed_affairs(ctx: Context) -> Result:
    """C02 (Art. 30-7(3)-(6), 30-8, 30-30): a permitted provision goes to a body the annex tables
    list for that very affair, and carries only identity information."""
    e = ctx.enc
    statute = ctx.sc.config.statute
    goal = z3.And(e.is_pair(statute.listed), e.items_within(statute.identity_items))
    return _permitted(ctx, "C02", "provision_only_to_annex_bodies_for_listed_affairs", "provide", goal)


def recipients_use_data_only_for_its_affair(ctx: Context) -> Result:
    """C04 (Art. 30-34): a recipient may use what it received only for the affair it was provided for."""
    e = ctx.enc
    goal = z3.And(e.v["affair"] == e.v["provided_affair"], e.v["affair"] != e.a_const["none"])
    return _permitted(ctx, "C04", "recipients_use_data_only_for_its_affair", "use", goal)


def code_demanded_only_by_public_bodies_for_the_act(ctx: Context) -> Result:
    """C05 (Art. 30-42, 30-43(1)(2)): only a public body, for an affair under the Act, may demand a code; a
    resident asking for their own code demands nobody else's (30-43(2) bars demanding it of those outside one's
    household, about them or others)."""
    e = ctx.enc
    own = z3.And(e.v["subject_is_requester"], e.is_requester(_residents(ctx)))
    goal = z3.Or(e.is_pair(ctx.sc.config.statute.listed), own)
    return _permitted(ctx, "C05", "code_demanded_only_by_public_bodies_for_the_act", "demand_code", goal)


def no_code_database_for_others(ctx: Context) -> Result:
    """C06 (Art. 30-43(3)-(5), 44): nobody but a public body of the annex tables keeps a database of codes."""
    goal = ctx.enc.is_requester({b for r in ctx.sc.config.statute.annex for b in r.bodies})
    return _permitted(ctx, "C06", "no_code_database_for_others", "keep_code_db", goal)


def _residents(ctx: Context) -> list[str]:
    """Every resident requester of the domain (the flow model's two, and the stand-in for any other)."""
    return [r for r in ctx.enc.requesters if ctx.enc.kind(r) == "resident"]


def code_changes_only_on_the_holders_request(ctx: Context) -> Result:
    """C07 (Art. 30-3): for every requester, a code change is permitted only to the resident whose code it
    is, with an authenticated operator; and every resident who asks at the CS counter gets one."""
    e, v = ctx.enc, ctx.enc.v
    residents = e.is_requester(_residents(ctx))
    premise = _action(ctx, "change_code")
    goal = z3.And(
        z3.Implies(ctx.permit, z3.And(residents, v["subject_is_requester"], v["operator_authenticated"])),
        z3.Implies(
            z3.And(
                residents,
                v["node"] == e.node_const["cs"],
                v["subject_is_requester"],
                v["operator_authenticated"],
                v["operator_in_scope"],
            ),
            ctx.permit,
        ),
    )
    return _run(ctx, "C07", "code_changes_only_on_the_holders_request", premise, goal)


def every_operation_by_an_authenticated_operator_in_scope(ctx: Context) -> Result:
    """C08 (mission document): provision, notification, disclosure and code change need an operator
    authenticated by IC card and password, acting within their scope."""
    v = ctx.enc.v
    goal = z3.And(v["operator_authenticated"], v["operator_in_scope"])
    return _permitted(
        ctx, "C08", "every_operation_by_an_authenticated_operator_in_scope", "provide", goal, "notify", "disclose", "change_code"
    )


def nothing_is_permitted_unlogged(ctx: Context) -> Result:
    """C09 (mission document): no rule of a Juki-net node (center, prefecture server, CS) permits any
    request while the access log is off.  (A recipient's own use of what it received is not an access
    to Juki-net; C04 governs it.)"""
    e, v = ctx.enc, ctx.enc.v
    at_jukinet = z3.Or([v["node"] == e.node_const[k] for k in ("center", "prefecture", "cs")])
    premise = z3.And(e.domain(), at_jukinet, e.rules_permit())
    return _run(ctx, "C09", "nothing_is_permitted_unlogged", premise, v["logging_on"], z3.And(e.domain(), at_jukinet))


def lookups_only_by_code_or_allowed_items(ctx: Context) -> Result:
    """C10 (mission document): interactive lookups by the code or an allowed combination of the four
    items (or more keys than one: narrower), never a wildcard; batch matching only for the affairs served by
    scheduled batches."""
    e, v = ctx.enc, ctx.enc.v
    statute = ctx.sc.config.statute
    batch_rows = [r.id for r in statute.annex if r.batch]
    # Lookup.allows, compiled: the keys include an allowed combination (more keys only narrow the lookup), and no
    # wildcard (it widens whatever it is added to)
    include = [z3.And([v["keys"][k] for k in combo]) for combo in statute.lookup.keys if combo]
    interactive = z3.And(z3.Not(v["keys"]["wildcard"]), z3.Or(include) if include else z3.BoolVal(False))
    goal = z3.If(v["batch"], e.is_affair(batch_rows), interactive)
    return _permitted(ctx, "C10", "lookups_only_by_code_or_allowed_items", "provide", goal)


def residents_obtain_their_own_record(ctx: Context) -> Result:
    """C12 (Art. 30-37): every resident who asks the prefectural governor for their own identity information,
    with an authenticated operator in scope, gets it from the prefecture server (its flow to anyone else is
    C12's flow property)."""
    e, v = ctx.enc, ctx.enc.v
    identity = ctx.sc.config.statute.identity_items
    premise = z3.And(_action(ctx, "disclose"), v["node"] == e.node_const["prefecture"], e.is_requester(_residents(ctx)))
    goal = z3.Implies(
        z3.And(v["subject_is_requester"], v["operator_authenticated"], v["operator_in_scope"], e.items_within(identity)),
        ctx.permit,
    )
    return _run(ctx, "C12", "residents_obtain_their_own_record", premise, goal)


def disclosure_only_to_its_subject(ctx: Context) -> Result:
    """C12 (Art. 30-37), the other half: a permitted disclosure, at any node, is one a resident asked about
    themselves; no body and no other resident is ever disclosed a resident's identity information."""
    e, v = ctx.enc, ctx.enc.v
    premise = z3.And(_action(ctx, "disclose"), ctx.permit)
    goal = z3.And(v["subject_is_requester"], e.is_requester(_residents(ctx)))
    return _run(ctx, "C12", "disclosure_only_to_its_subject", premise, goal)


def notifications_carry_identity_information_only(ctx: Context) -> Result:
    """C01 (Art. 30-5, 30-11): a permitted notification or forward asks to send identity information only, so
    what reaches the prefecture servers and the center is bounded by the rule as well as by the schema."""
    e = ctx.enc
    premise = z3.And(_action(ctx, "notify", "forward"), ctx.permit)
    goal = e.items_within(ctx.sc.config.statute.identity_items)
    return _run(ctx, "C01", "notifications_carry_identity_information_only", premise, goal)

"""Rules that decide nothing: an auditor's report on the policy itself, beside the verdicts (not one of them).

A rule that matches no request the configuration can make (its node, action, requester kinds and conditions never
meet, the access log's state as configured) is dead: a forbid rule of that kind protects nothing, a permit rule of
it grants nothing, and either usually means the rule was written for a node, kind or condition that is not there.
A permit rule every one of whose requests some forbid rule also matches is shadowed: it grants nothing either.
Both are decided by z3 over the same symbolic request, domain and compiled conditions as the request properties
(proofs/encode.py); an UNKNOWN answer is reported as such, never as dead.
"""

from __future__ import annotations

from typing import Any

import z3

from jukinet.model.law.flow import Flow
from jukinet.proofs.context import Context


def dead_rules(ctx: Context) -> list[dict[str, Any]]:
    """One entry per rule that matches no request (`dead`) or whose every request a forbid rule takes (`shadowed`)."""
    e = ctx.enc
    logging = (e.v["logging_on"], z3.BoolVal(ctx.sc.policy.logging))
    applies = {r.id: z3.substitute(e.applies(r), logging) for r in ctx.sc.policy.rules}
    forbids = [r.id for r in ctx.sc.policy.rules if r.effect == "forbid"]
    out: list[dict[str, Any]] = []
    for rule in ctx.sc.policy.rules:
        s = z3.Solver()
        s.set("timeout", 10_000)
        s.add(e.domain(), applies[rule.id])
        first = s.check()
        if first != z3.sat:
            why = "it matches no request the configuration can make" if first == z3.unsat else "z3 gave no answer"
            out.append(
                {"rule": rule.id, "effect": rule.effect, "finding": "dead" if first == z3.unsat else "unknown", "why": why}
            )
            continue
        if rule.effect != "permit" or not forbids:
            continue
        overlapping = [f for f in forbids if _meet(e, applies[rule.id], applies[f])]
        s.add(z3.Not(z3.Or([applies[f] for f in forbids])))
        if s.check() == z3.unsat:
            why = f"every request it matches is forbidden by {', '.join(overlapping)}"
            out.append({"rule": rule.id, "effect": rule.effect, "finding": "shadowed", "why": why})
    return out


def _meet(e: Any, a: z3.BoolRef, b: z3.BoolRef) -> bool:
    s = z3.Solver()
    s.set("timeout", 10_000)
    s.add(e.domain(), a, b)
    return bool(s.check() == z3.sat)


def dead_links(flow: Flow) -> list[dict[str, Any]]:
    """One entry per message a link added by the scenario declares that the link can never carry: the message is bound
    to an action its sender (notify, forward) or receiver (provide, disclose) may never request, so the flow model (and
    the simulation) sends nothing over it.  Not a verdict: such a link is harmless as configured, but one rule widened
    would open it, and it is usually a mistake (round 9 of issue 26: a link from the center declared for `forward`)."""
    out: list[dict[str, Any]] = []
    for u, v, d in flow.graph.edges(data=True):
        if "link_id" not in d:
            continue  # the built network's own lines (an unregistered office's) are laid by the Act's structure
        for m in d.get("messages", ()):
            act = flow.message_action.get(m)
            if act is not None and not flow._landings(u, v, m):  # noqa: SLF001 - the flow model's own reading of a send
                who = "sender" if flow.policy.action_requester.get(act) == "sender" else "receiver"
                out.append({"link": d["link_id"], "message": m, "action": act, "why": f"its {who} may never request {act}"})
    return out


def dead_rule_lines(found: list[dict[str, Any]], links: list[dict[str, Any]] | None = None) -> list[str]:
    """The report's lines (none when every rule can decide something), and the links that carry nothing."""
    if not found:
        lines = ["Every rule of the policy matches some request the configuration can make (no dead or shadowed rule)."]
    else:
        lines = [f"{len(found)} rule(s) decide nothing (not a verdict: the policy's own hygiene; proofs/deadrules.py):"]
        lines += [f"  {f['rule']} ({f['effect']}): {f['finding']}: {f['why']}" for f in found]
    if links:
        lines.append(f"{len(links)} message(s) declared on added links can never be sent there (not a verdict: nothing flows):")
        lines += [f"  {x['link']}: {x['message']} ({x['action']}): {x['why']}" for x in links]
    return lines

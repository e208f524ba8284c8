"""`jukinet diff OLD NEW`: what an amendment newly permits and newly forbids.

Flows are computed exhaustively from each configuration: for every action of the rule language,
every (requester, affair, mode) for which some request is permitted (projected all-SAT over the
compiled policy: each model found is blocked and the search repeats until unsat), plus every
item each message carries, every item each central store keeps, every registered (body,
affair), the identifier each body receives (the common code or its own agency code; L01),
every CS that notifies every resident (none withheld; C16), and every link with the
messages and security attributes it has.
"""

from __future__ import annotations

from typing import Any

import z3

from jukinet.model.config.scenario import Scenario
from jukinet.proofs.context import Context
from jukinet.proofs.engine import solver

# The fields each action's flows are told apart by (the others do not make a different flow).
FLOW_ACTIONS = {
    "provide": ("requester", "affair", "mode"),
    "demand_code": ("requester", "affair"),
    "use": ("requester", "affair"),
    "keep_code_db": ("requester",),
    "disclose": ("requester",),
    "change_code": ("requester",),
    "notify": ("requester",),
    "forward": ("requester",),
}


def permitted_flows(sc: Scenario) -> set[tuple[str, ...]]:
    ctx = Context(sc)
    e, v = ctx.enc, ctx.enc.v
    out: set[tuple[str, ...]] = set()
    r_names = {str(c): n for n, c in e.r_const.items()}
    a_names = {str(c): n for n, c in e.a_const.items()}
    var = {"requester": v["requester"], "affair": v["affair"], "mode": v["batch"]}
    for action, fields in FLOW_ACTIONS.items():
        s = solver()
        s.add(ctx.permit, v["action"] == e.act_const[action])
        while s.check() == z3.sat:
            m = s.model()
            got = {f: m.eval(var[f], model_completion=True) for f in fields}
            r = r_names[str(got["requester"])]
            a = a_names[str(got["affair"])] if "affair" in got else "-"
            mode = ("batch" if z3.is_true(got["mode"]) else "interactive") if "mode" in got else "-"
            out.add(("permit", action, r, a, mode))
            s.add(z3.Not(z3.And([var[f] == got[f] for f in fields])))
    return out


def structure(sc: Scenario) -> set[tuple[str, ...]]:
    p = sc.policy
    out: set[tuple[str, ...]] = set()
    out |= {("message item", m.id, i) for m in p.messages.values() for i in m.items}
    out |= {("store item", k, i) for k, items in p.stores.items() for i in items}
    out |= {("registered", b.id, a) for b in p.bodies.values() for a in b.affairs}
    ids = sc.config.identifiers  # L01: which identifier each body receives with a provision
    out |= {
        ("receives", b, "common code" if ids.scheme == "common_code" or b in ids.common_code_bodies else "its own agency code")
        for b in p.bodies
    }
    withholding = set(sc.config.organisation.withholding)  # C16: these send only some residents' changes
    out |= {("notifies", f"cs:{m.lgcode}", "every resident") for m in sc.municipalities if m.lgcode not in withholding}
    keys = ("dedicated", "mutual_auth", "encrypted", "intrusion_detection", "firewall", "protocol")
    for a, b, d in sc.graph.edges(data=True):
        out.add(("link", a, b, ",".join(d["messages"]), ";".join(f"{k}={d.get(k)}" for k in keys)))
    return out


def diff(old: Scenario, new: Scenario) -> dict[str, Any]:
    before = permitted_flows(old) | structure(old)
    after = permitted_flows(new) | structure(new)

    def rows(s: set[tuple[str, ...]]) -> list[dict[str, str]]:
        out = []
        for t in sorted(s):
            if t[0] == "permit":
                out.append({"kind": "flow", "action": t[1], "requester": t[2], "affair": t[3], "mode": t[4]})
            elif t[0] == "link":
                out.append({"kind": "link", "src": t[1], "dst": t[2], "messages": t[3], "security": t[4]})
            else:
                out.append({"kind": t[0], "subject": t[1], "item": t[2]})
        return out

    return {"old": old.source, "new": new.source, "newly_permits": rows(after - before), "newly_forbids": rows(before - after)}


def render(d: dict[str, Any]) -> str:
    lines = [f"jukinet diff — {d['old']} -> {d['new']}"]
    for key, title in (("newly_permits", "newly permits"), ("newly_forbids", "newly forbids")):
        lines.append(f"  {title}: {len(d[key])}")
        for r in d[key]:
            if r["kind"] == "flow":
                lines.append(f"    flow      {r['action']:<12} {r['requester']:<22} {r['affair']:<10} {r['mode']}")
            elif r["kind"] == "link":
                lines.append(f"    link      {r['src']} -> {r['dst']} [{r['messages']}] {r['security']}")
            else:
                lines.append(f"    {r['kind']:<13} {r['subject']}: {r['item']}")
    return "\n".join(lines)

"""Linkage (名寄せ): who can join whose records by the common resident code.

The Supreme Court (2008-03-06) held Juki-net constitutional on the premise, among others, that no
body can aggregate the data.  This report reads the flow model (model/law/flow.py): for each body, the
affair compartments in which it can come to hold the resident code by any permitted route; a body is
a node, so each municipal head and each governor counts as the separate body it is.  Two
compartments that both hold the code can be joined by it the moment C04 is broken; two bodies that
both hold it can join their records without Juki-net; and the center, which logs every provision
with the code, the requester and the affair (C09), holds an index of them all.
"""

from __future__ import annotations

from typing import Any

from jukinet.model.law.flow import NONE, Flow


def linkage(flow: Flow, item: str = "code") -> dict[str, Any]:
    parent, _ = flow.reach(items=(item,))
    by_body: dict[str, set[str]] = {}
    provided_by_center: set[tuple[str, str]] = set()
    for (h, _t), hop in parent.items():
        if flow.is_body(h[0]) and h[1] != NONE:
            body = h[0]  # every body its own principal: each municipal head, each governor (issue 26)
            by_body.setdefault(body, set()).add(h[1])
            if hop is not None and hop.src[0] == "center":
                provided_by_center.add((body, h[1]))
    n = len(by_body)
    within = {b: len(a) * (len(a) - 1) // 2 for b, a in by_body.items()}
    return {
        "item": item,
        "bodies_holding_it": n,
        "compartments_holding_it": sum(len(a) for a in by_body.values()),
        "pairs_of_bodies_that_can_join_by_it": n * (n - 1) // 2,
        "pairs_of_compartments_joinable_within_a_body": sum(within.values()),
        "center_provision_log_joins": len(provided_by_center),
        "by_body": {b: sorted(a) for b, a in sorted(by_body.items())},
        "reading": (
            f"{n} bodies can come to hold the {item} by a permitted route, in {sum(len(a) for a in by_body.values())} "
            f"affair compartments; any two of them can join their records by it without Juki-net, and a body can join "
            f"its own compartments by it as soon as C04 is broken. The center logs every provision with the {item}, "
            f"the requester and the affair: its provision log joins the {len(provided_by_center)} (body, affair) "
            "compartments it provides to directly."
        ),
    }

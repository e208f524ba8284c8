"""The law side a scenario is held to: what `[statute]` a scenario may change, and the floor it may not go below.

The constraints are read against the Act (model/data/statute.toml): a scenario amends the annex tables, their bodies
and the articles' texts freely, and may make the rest stricter, never looser.  Every problem is one `UserError`
naming the file and the key.
"""

from __future__ import annotations

from jukinet.model.core.errors import UserError
from jukinet.model.law.statute import Statute

# What a scenario may amend in [statute]: the annex tables, their bodies and the articles' one-line meanings (an
# amendment of the Act, proved against as such), and new items that are not identity information.  The rest is the
# law side the constraints are read against (the six identity items of Art. 30-5, C13's requirements, the lookup keys
# of C10, who may hold what, the duties and penalties of C11, the catalogue itself): a scenario may make it stricter,
# never looser, or a configuration could prove itself lawful by rewriting the law it is held to.
FREE = frozenset({"annex", "body", "article"})  # amended freely; anything else (items included) is checked
LOOSER = "loosens the law side the constraints are read against (the Act's: model/data/statute.toml)"


def law_side_checks(st: Statute, act: Statute, source: str) -> None:
    """`st` (a scenario's statute) holds the configuration to at least the Act's law side `act`."""

    def refuse(key: str, what: str, allowed: str) -> None:
        raise UserError(source, f"statute.{key}", f"{what}: that {LOOSER}; allowed: {allowed}")

    if st.identity_items != act.identity_items:
        refuse(
            "item",
            f"identity items {sorted(st.identity_items ^ act.identity_items)} changed",
            "the six of Art. 30-5, and new items with identity = false",
        )
    if st.constraint != act.constraint:
        refuse("constraint", "a changed catalogue", "the catalogue C01-C16 as it stands")
    c13, a13 = st.c13, act.c13
    if not set(a13.required) <= set(c13.required) or c13.firewall != a13.firewall:
        refuse(
            "c13",
            "fewer required link attributes or another firewall",
            f"at least {list(a13.required)}, firewall {a13.firewall!r}",
        )
    if not set(c13.allowed_protocols) <= set(a13.allowed_protocols):
        refuse(
            "c13.allowed_protocols",
            f"{sorted(set(c13.allowed_protocols) - set(a13.allowed_protocols))} allowed",
            f"a subset of {list(a13.allowed_protocols)}",
        )
    keys, akeys = {frozenset(k) for k in st.lookup.keys}, {frozenset(k) for k in act.lookup.keys}
    if not keys <= akeys:
        refuse("lookup.keys", f"{sorted(sorted(k) for k in keys - akeys)} allowed", "a subset of the Act's combinations")
    if not set(st.lawful.other_cs_items) <= set(act.lawful.other_cs_items):
        refuse(
            "lawful.other_cs_items",
            f"{sorted(set(st.lawful.other_cs_items) - set(act.lawful.other_cs_items))} added",
            f"a subset of {list(act.lawful.other_cs_items)}",
        )
    grants = {g.kind: set(g.items) for g in act.lawful.holder}
    for g in st.lawful.holder:
        if not set(g.items) <= grants.get(g.kind, set()):
            refuse(
                "lawful.holder",
                f"a grant to {g.kind!r} of {sorted(set(g.items) - grants.get(g.kind, set()))}",
                "the Act's grants or fewer",
            )
    for holder, article in act.confidentiality.items():
        if st.confidentiality.get(holder) != article:
            refuse(f"confidentiality.{holder}", "a duty removed or moved", f"{article!r}")
    for name, pen in act.penalty.items():
        mine = st.penalty.get(name)
        if mine is None or mine.prison_years < pen.prison_years or mine.fine_yen < pen.fine_yen:
            refuse(f"penalty.{name}", "a lighter or missing penalty", f"at least {pen.prison_years} years / {pen.fine_yen:,} yen")


def law_side_touched(layer: dict[str, object]) -> bool:
    """Whether a layer's `[statute]` reaches past what a scenario amends freely (then law_side_checks runs)."""
    own = layer.get("statute")
    return isinstance(own, dict) and bool(set(own) - FREE)

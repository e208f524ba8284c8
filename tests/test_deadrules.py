"""Rules that decide nothing (proofs/deadrules.py): dead and shadowed rules named, none in the embedded policy."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from jukinet.model.config.scenario import load

DEAD_AND_SHADOWED = """
[scenario]
name = "dead_and_shadowed"
[[policy.rules]]
id = "center.provide.private.permit"
effect = "permit"
node = "center"
action = "provide"
requester = ["private"]
articles = ["30-7(3)"]
[[policy.rules]]
id = "center.provide.residents.registered"
effect = "forbid"
node = "center"
action = "provide"
requester = ["resident"]
when = ["registered"]
articles = ["30-7(3)"]
"""


def test_rules_that_decide_nothing_are_named(scenario_file: Callable[[str], Path]) -> None:
    """A permit every request of which a forbid rule takes (private parties at the center, Art. 30-30) is shadowed; a
    forbid on residents who are registered recipients matches no request (a resident is never registered): dead.
    The embedded policy has neither, so the report is no constant."""
    from jukinet.proofs.context import Context
    from jukinet.proofs.deadrules import dead_rules

    found = {f["rule"]: f for f in dead_rules(Context(load(scenario_file(DEAD_AND_SHADOWED))))}
    assert set(found) == {"center.provide.private.permit", "center.provide.residents.registered"}, found
    assert found["center.provide.private.permit"]["finding"] == "shadowed"
    assert "center.provide.private.forbid" in found["center.provide.private.permit"]["why"]
    assert found["center.provide.residents.registered"]["finding"] == "dead"
    assert dead_rules(Context(load(None))) == []


DEAD_LINK = """
[scenario]
name = "dead_and_live_links"
[[network.node]]
id = "dc:backup"
kind = "relay"
[[network.link]]
id = "center-to-dc"
src = "center"
dst = "dc:backup"
messages = ["forward", "transfer_notice"]
[[network.link]]
id = "pref13-to-governor14"
src = "pref:13"
dst = "governor:14"
messages = ["provision"]
"""


def test_links_that_carry_nothing_are_named(scenario_file: Callable[[str], Path]) -> None:
    """The center declared for `forward` (the prefecture's action, Art. 30-11) sends nothing on that link: named as a
    link that carries nothing, not a verdict.  The same link's transfer notices (bound to no action) and a provision
    line to a registered governor do flow, so they are not named; the embedded network adds no link at all."""
    from jukinet.proofs.context import Context
    from jukinet.proofs.deadrules import dead_links, dead_rule_lines

    found = dead_links(Context(load(scenario_file(DEAD_LINK))).flow)
    assert [(x["link"], x["message"]) for x in found] == [("center-to-dc", "forward")], found
    assert "sender may never request forward" in found[0]["why"]
    assert any("center-to-dc: forward" in line for line in dead_rule_lines([], found))
    assert dead_links(Context(load(None)).flow) == []

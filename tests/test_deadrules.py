"""Rules that decide nothing (proofs/deadrules.py): dead and shadowed rules named, none in the embedded policy."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from model.config.scenario import load

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
    from proofs.context import Context
    from proofs.deadrules import dead_rules

    found = {f["rule"]: f for f in dead_rules(Context(load(scenario_file(DEAD_AND_SHADOWED))))}
    assert set(found) == {"center.provide.private.permit", "center.provide.residents.registered"}, found
    assert found["center.provide.private.permit"]["finding"] == "shadowed"
    assert "center.provide.private.forbid" in found["center.provide.private.permit"]["why"]
    assert found["center.provide.residents.registered"]["finding"] == "dead"
    assert dead_rules(Context(load(None))) == []

"""Answers carried over a carrier's relays (red-team round 12): a body that asks the center may have the center's
answers brought back over a carrier's line that its queries never travel; what a relay passes on is judged by the
nodes behind it (model/law/relays.py `senders_behind`), in the prover and in the reference alike.  An answer that a
node the body never asks sends into the relays is still another's (provision only on request, Art. 30-7(3))."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jukinet.model.config.scenario import Scenario
from jukinet.model.law import flow as law_flow
from jukinet.proofs import facts
from jukinet.proofs.catalogue import prove, verdict_of
from jukinet.proofs.edits import Edit, load_edit
from jukinet.proofs.reference import reduced, reference_verdicts

SECURE = {
    "dedicated": True,
    "mutual_auth": True,
    "encrypted": True,
    "intrusion_detection": True,
    "firewall": "center-managed",
    "protocol": "juki-app",
}


def _scenario(tmp_path: Path, feeders: list[str], also: tuple[str, ...] = ()) -> Scenario:
    """MHLW's answers brought over a carrier's line `relay:line`, which the given nodes feed with provisions and which
    passes them on to the bodies `also` as well."""
    links: list[dict[str, Any]] = [
        {"id": f"{u}-line", "src": u, "dst": "relay:line", "messages": ["provision"], "security": SECURE} for u in feeders
    ]
    for v in ("nat:mhlw", *also):
        links.append({"id": f"line-{v}", "src": "relay:line", "dst": v, "messages": ["provision"], "security": SECURE})
    layer = {
        "policy": {"messages": [{"id": "provision", "sealed": True}]},
        "network": {"node": [{"id": "relay:line", "kind": "relay", "name": "a carrier's line"}], "link": links},
    }
    return reduced(load_edit(Edit("t", "test", "test", layer), tmp_path))


def _c02(sc: Scenario) -> tuple[str, bool]:
    return verdict_of(prove(sc, only=("C02",)), "C02"), reference_verdicts(sc)["C02"].violated


def test_the_centers_answers_over_a_carrier_line_are_lawful(tmp_path: Path) -> None:
    sc = _scenario(tmp_path, ["center"])
    assert _c02(sc) == ("PROVED", False)
    assert reference_verdicts(sc)["C03"].violated is False


@pytest.mark.parametrize("feeders", [["pref:27"], ["center", "pref:27"]])
def test_answers_from_a_server_the_body_never_asks_are_anothers(tmp_path: Path, feeders: list[str]) -> None:
    """Osaka's prefecture server feeding the line (alone, or beside the center): MHLW's queries never reach it."""
    assert _c02(_scenario(tmp_path, feeders)) == ("VIOLATED", True)


def test_a_line_that_passes_answers_to_two_bodies_hands_each_the_others(tmp_path: Path) -> None:
    """The line also ends at MOJ, which asks the center too: what the center answers MHLW, MOJ receives (mutant
    c02_sealed_provisions_opened_by_another_ministry), and the other way round."""
    assert _c02(_scenario(tmp_path, ["center"], also=("nat:moj",))) == ("VIOLATED", True)


def test_a_relay_blind_reading_flags_the_lawful_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check can fail for the reason it exists: read per hop (the relay as the sender, the reading before round
    12), the center's answers over the carrier's line are taken for another's."""

    def per_hop(graph: Any, asked: frozenset[str], src: str, node: str, message: str) -> bool:
        return src not in asked

    monkeypatch.setattr(law_flow, "answer_unasked", per_hop)
    monkeypatch.setattr(facts, "unasked", per_hop)
    assert verdict_of(prove(_scenario(tmp_path, ["center"]), only=("C02",)), "C02") == "VIOLATED"

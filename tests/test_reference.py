"""The independent reference semantics of the flow constraints (proofs/reference.py) and its agreement with
the prover over single edits of the reduced as-designed network (proofs/edits.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jukinet.model.config.scenario import Scenario, load
from jukinet.proofs import reflinks
from jukinet.proofs.edits import AS_DESIGNED, Edit, enumerate_edits, load_edit, run, sample
from jukinet.proofs.reference import (
    REFERENCE_IDS,
    Verdict,
    World,
    c03_links,
    collapsed_principal,
    reduced,
    reference_verdicts,
    search,
)


def _scenario(tmp_path: Path, layer: dict[str, Any]) -> Scenario:
    return reduced(load_edit(Edit("t", "test", "test", layer), tmp_path))


def _violated(v: dict[str, Verdict]) -> set[str]:
    return {cid for cid, x in v.items() if x.violated}


def _link(lid: str, src: str, dst: str, *messages: str) -> dict[str, Any]:
    return {"id": lid, "src": src, "dst": dst, "messages": list(messages)}


GOVERNOR_LEAK = {"network": {"link": [_link("gov-gov", "governor:13", "governor:27", "provision")]}}


@pytest.fixture(scope="module")
def as_designed() -> Scenario:
    return reduced(load(AS_DESIGNED))


def test_as_designed_breaks_nothing(as_designed: Scenario) -> None:
    """C01-C04, C12, C13, C16: the design as the Act has it breaks none of the flow constraints."""
    v = reference_verdicts(as_designed)
    assert set(v) == set(REFERENCE_IDS)
    assert _violated(v) == set(), {c: x.witness for c, x in v.items() if x.violated}


def test_reduced_network_keeps_the_named_nodes(as_designed: Scenario) -> None:
    g = as_designed.graph
    assert {"center", "jpki", "pref:13", "pref:27", "governor:13", "nat:mhlw", "nat:moj", "nat:mofa"} <= set(g)
    assert len([n for n in g if n.startswith("cs:")]) == 4
    assert not [n for n in g if n.startswith("nat:") and n not in ("nat:mhlw", "nat:moj", "nat:mofa")]


def test_governor_to_governor_provision_breaks_c03(tmp_path: Path) -> None:
    """C03: governor:13 and governor:27 are different bodies; a provision link between them feeds one from the other."""
    v = reference_verdicts(_scenario(tmp_path, GOVERNOR_LEAK))
    assert v["C03"].violated
    assert "governor:27" in v["C03"].witness and "origin=governor:13" in v["C03"].witness
    # and C02: governor:27 never asked governor:13 (its queries go to Osaka's server), so what it gets there is no
    # provision on its own request (Art. 30-7(3), asks_through): identity information by no listed provision
    assert v["C02"].violated and "governor:27" in v["C02"].witness


def test_collapsed_bodies_miss_the_governor_leak(tmp_path: Path) -> None:
    """A mutant of the reference that merges all governors into one principal misses the leak: the test above
    fails for the reason it exists."""
    sc = _scenario(tmp_path, GOVERNOR_LEAK)
    assert "C03" in search(World(sc)).witnesses  # the flow: governor:27 holds what left governor:13
    assert "C03" not in search(World(sc, collapsed_principal), stop_early=False).witnesses
    # the link rule "no link joins two bodies" is blind to the same merge (the one-way rule still sees the data)
    assert any("joins two bodies" in x for x in c03_links(World(sc)))
    assert not any("joins two bodies" in x for x in c03_links(World(sc, collapsed_principal)))


def test_cs_query_link_to_a_broker_breaks_c02(tmp_path: Path) -> None:
    """C02: a private broker receiving a CS's lookup keys holds identity items with no annex basis; C03: the CS
    passes on its municipal head's queries too, so the head's keys reach the broker (another body); and C04: those
    keys were asked for an affair (A2-1) and the broker holds them outside it."""
    layer = {
        "network": {
            "node": [{"id": "broker:1", "kind": "private"}],
            "link": [_link("cs-broker", "cs:131016", "broker:1", "provision_request")],
        }
    }
    v = reference_verdicts(_scenario(tmp_path, layer))
    assert _violated(v) == {"C02", "C03", "C04"}, {c: x.witness for c, x in v.items()}
    assert "broker:1" in v["C02"].witness and "origin=municipal_head:131016" in v["C03"].witness


def test_relay_pair_linked_to_each_other_breaks_nothing(tmp_path: Path) -> None:
    """Two added relays joined only to each other carry nothing anywhere: no constraint is broken."""
    layer = {
        "network": {
            "node": [{"id": "relay:a", "kind": "relay"}, {"id": "relay:b", "kind": "relay"}],
            "link": [_link("ab", "relay:a", "relay:b", "provision"), _link("ba", "relay:b", "relay:a", "notification")],
        }
    }
    v = reference_verdicts(_scenario(tmp_path, layer))
    assert _violated(v) == set(), {c: x.witness for c, x in v.items() if x.violated}


def test_a_query_passed_on_by_juki_net_carries_its_askers_keys(tmp_path: Path) -> None:
    """C03: a CS relays its municipal head's queries towards the center; a link that passes them on to the governor
    (another body) hands the head's lookup keys to it.  At a Juki-net node a query's keys are answered, not kept:
    they travel on only as a query, so the design's own relays (CS -> prefecture -> center) stay lawful."""
    head, cs = "municipal_head:131016", "cs:131016"
    layer = {"network": {"link": [_link("cs-gov", cs, "governor:13", "provision_request")]}}
    v = reference_verdicts(_scenario(tmp_path, layer))
    assert v["C03"].violated and f"origin={head}" in v["C03"].witness, v["C03"].witness


def test_a_lookalike_recipient_that_cannot_ask_receives_anothers_answer(tmp_path: Path) -> None:
    """C02: a node declared a national recipient that no registry entry stands for never asks; provisions sent to it are
    someone else's answers, held in no affair's compartment (its declared kind is not trusted)."""
    layer = {
        "network": {
            "node": [{"id": "nat_mhlw", "kind": "recipient", "level": "national", "name": "MHLW"}],
            "link": [_link("center-lookalike", "center", "nat_mhlw", "provision")],
        }
    }
    v = reference_verdicts(_scenario(tmp_path, layer))
    assert _violated(v) == {"C02"}, {c: x.witness for c, x in v.items()}
    assert "nat_mhlw" in v["C02"].witness


def test_a_disclosure_passed_to_another_prefecture_server_breaks_c12(tmp_path: Path) -> None:
    """C12: a prefecture server asks for no disclosure; one reaching it is another's, and it is not the subject."""
    layer = {"network": {"link": [_link("p13-p27", "pref:13", "pref:27", "disclosure")]}}
    v = reference_verdicts(_scenario(tmp_path, layer))
    assert v["C12"].violated and "pref:27" in v["C12"].witness, {c: x.witness for c, x in v.items()}


NEIGHBOUR_LEAK = {"network": {"link": [_link("p27-p13", "pref:27", "pref:13", "provision")]}}


def test_another_prefectures_residents_in_a_table_5_compartment_break_c02(tmp_path: Path) -> None:
    """C02 (Art. 30-8): Osaka's server passes what it holds to Tokyo's, so Tokyo's governor can hold Osaka's residents
    for an annex table 5 affair (the prefecture's own use of its own residents); the prover names it too."""
    from jukinet.proofs.edits import compare

    sc = _scenario(tmp_path, NEIGHBOUR_LEAK)
    v = reference_verdicts(sc)
    assert _violated(v) == {"C02"}, {c: x.witness for c, x in v.items()}
    assert "governor:13" in v["C02"].witness and "place=27" in v["C02"].witness, v["C02"].witness
    assert compare(sc) == []


def test_a_wide_area_copy_through_another_prefecture_breaks_nothing(tmp_path: Path) -> None:
    """A message addressed to a CS (a wide-area copy, a transfer notice) makes the person the receiving municipality's:
    Chiyoda's copies relayed by Osaka's server to an Osaka CS are no table 2 data of another prefecture there."""
    from jukinet.proofs.edits import compare

    sc = _scenario(tmp_path, {"network": {"link": [_link("cs-p27", "cs:131016", "pref:27", "wide_area_copy")]}})
    v = reference_verdicts(sc)
    assert _violated(v) == set(), {c: x.witness for c, x in v.items() if x.violated}
    assert compare(sc) == []


def test_a_reference_blind_to_places_misses_the_neighbour_leak(tmp_path: Path) -> None:
    """The mutant of the reference with no table served by place: the test above fails for the reason it exists."""
    w = World(_scenario(tmp_path, NEIGHBOUR_LEAK))
    w.__dict__["own_place_rows"] = frozenset()  # the cached property, emptied
    assert "C02" not in search(w, stop_early=False).witnesses


NATIONAL_MIRROR = {
    "id": "national_mirror",
    "src": "center",
    "dst": "prefecture",
    "items": ["name", "address", "dob", "sex", "code", "change_info"],
}
MIRROR_DIRECT = {
    "policy": {"messages": [NATIONAL_MIRROR]},
    "network": {"link": [_link("center-p27", "center", "pref:27", "national_mirror")]},
}
MIRROR_RELAYED = {
    "policy": {"messages": [NATIONAL_MIRROR]},
    "network": {
        "node": [{"id": "relay:m", "kind": "relay"}],
        "link": [
            _link("center-relay", "center", "relay:m", "national_mirror"),
            _link("relay-p27", "relay:m", "pref:27", "national_mirror"),
        ],
    },
}


def test_the_center_mirroring_to_a_prefecture_server_breaks_c01(tmp_path: Path) -> None:
    """C01 (Art. 30-5(1), 30-6, 30-11): a prefecture server opens identity information only as notified by a CS of its
    own prefecture; the center's own message of every prefecture's residents is not that."""
    v = reference_verdicts(_scenario(tmp_path, MIRROR_DIRECT))
    assert v["C01"].violated and "pref:27 opens national_mirror from center" in v["C01"].witness, v["C01"].witness


def test_the_center_mirroring_through_a_relay_breaks_c01(tmp_path: Path) -> None:
    """C01: a carrier's relay in between changes nothing: the sender behind the relay is still the center."""
    v = reference_verdicts(_scenario(tmp_path, MIRROR_RELAYED))
    assert v["C01"].violated and "pref:27 opens national_mirror from center" in v["C01"].witness, v["C01"].witness


def test_a_relay_blind_reference_misses_the_relayed_mirror(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Mutants of the reference blind to relays: one that lets a relay's links carry nothing misses the mirror, one
    that takes the last hop for the sender blames the relay, not the center; the test above fails for the reason it
    exists."""
    sc = _scenario(tmp_path, MIRROR_RELAYED)
    assert reflinks.c01_prefecture_reads(World(sc)) == ["pref:27 opens national_mirror from center"]
    monkeypatch.setattr(reflinks, "_senders", lambda w, u, m: set() if u in w.relays else {u})
    assert not reference_verdicts(sc)["C01"].violated
    monkeypatch.setattr(reflinks, "_senders", lambda w, u, m: {u})
    v = reference_verdicts(sc)
    assert v["C01"].witness == "pref:27 opens national_mirror from relay:m", v["C01"].witness


def test_another_prefectures_cs_notifying_breaks_c01(tmp_path: Path) -> None:
    """C01: Chiyoda's CS (prefecture 13) notifying Osaka's server hands it residents of another prefecture."""
    v = reference_verdicts(_scenario(tmp_path, {"network": {"link": [_link("cs-p27", "cs:131016", "pref:27", "notification")]}}))
    assert v["C01"].violated and "pref:27 opens notification from cs:131016" in v["C01"].witness, v["C01"].witness


def test_a_dead_notification_link_from_the_center_breaks_nothing(tmp_path: Path) -> None:
    """C01: no rule lets the center notify, so a link center -> pref:27 declaring only the notification carries nothing."""
    sc = _scenario(tmp_path, {"network": {"link": [_link("center-p27", "center", "pref:27", "notification")]}})
    assert reflinks.c01_prefecture_reads(World(sc)) == []
    v = reference_verdicts(sc)
    assert _violated(v) == set(), {c: x.witness for c, x in v.items() if x.violated}


CS_TO_CS = {"network": {"link": [_link("cs-cs", "cs:131016", "cs:131024", "notification")]}}
CS_TO_CS_RELAYED = {
    "network": {
        "node": [{"id": "relay:n", "kind": "relay"}],
        "link": [
            _link("cs-relay", "cs:131016", "relay:n", "notification"),
            _link("relay-cs", "relay:n", "cs:131024", "notification"),
        ],
    }
}


def test_the_as_designed_css_open_nothing_of_another_municipality(as_designed: Scenario) -> None:
    """C02 (Art. 30-6, 30-7): in the design a CS receives only its head's queries and, from its prefecture server, the
    answers relayed to that head and the sealed CS-to-CS notices: it opens no other municipality's residents."""
    assert reflinks.c02_cs_reads(World(as_designed)) == []


def test_a_cs_notifying_another_cs_breaks_c02(tmp_path: Path) -> None:
    """C02: Chiyoda's CS notifying Chuo's CS hands Chuo's register residents it has no annex basis to open."""
    v = reference_verdicts(_scenario(tmp_path, CS_TO_CS))
    assert v["C02"].violated and v["C02"].witness == "cs:131024 opens notification from cs:131016", v["C02"].witness


def test_a_cs_notifying_another_cs_through_a_relay_names_the_cs(tmp_path: Path) -> None:
    """C02: a carrier's relay in between changes nothing: the sender behind the relay is Chiyoda's CS, not the relay."""
    sc = _scenario(tmp_path, CS_TO_CS_RELAYED)
    assert reflinks.c02_cs_reads(World(sc)) == ["cs:131024 opens notification from cs:131016"]
    assert reference_verdicts(sc)["C02"].violated


def test_a_prefecture_server_forwarding_to_a_cs_breaks_c02(tmp_path: Path) -> None:
    """C02: Tokyo's server passing its forward (every change it was notified of) down to Chuo's CS opens other
    municipalities' residents there."""
    v = reference_verdicts(_scenario(tmp_path, {"network": {"link": [_link("p13-cs", "pref:13", "cs:131024", "forward")]}}))
    assert v["C02"].violated and "cs:131024 opens forward from pref:13" in v["C02"].witness, v["C02"].witness


def test_a_transfer_notice_between_css_breaks_nothing(tmp_path: Path) -> None:
    """C02: a transfer notice is sealed for a CS, made and opened by CSs only (Art. 9(1)): a direct link between two
    CSs declaring it is no read of another municipality's register."""
    sc = _scenario(tmp_path, {"network": {"link": [_link("cs-cs", "cs:131016", "cs:131024", "transfer_notice")]}})
    assert reflinks.c02_cs_reads(World(sc)) == []
    v = reference_verdicts(sc)
    assert _violated(v) == set(), {c: x.witness for c, x in v.items() if x.violated}


SEALED_MIRROR = {
    "policy": {
        "messages": [
            {"id": "cs_mirror", "src": "center", "dst": "cs", "sealed": True, "items": ["name", "address", "dob", "sex", "code"]}
        ]
    },
    "network": {"link": [_link("center-cs", "center", "cs:131024", "cs_mirror")]},
}


def test_a_message_the_center_seals_for_a_cs_is_read_there(tmp_path: Path) -> None:
    """C02: sealing a message for CSs exempts only what a CS makes (the CS-to-CS notices): the center's file sealed
    for Chuo's CS is opened there, by the reference and by the check `network` and `prove` share alike (the mutant
    reading of either, every message sealed for a CS exempt, misses it)."""
    from jukinet.model.law.permits import Permits
    from jukinet.model.world.central import cs_own_residents

    sc = _scenario(tmp_path, SEALED_MIRROR)
    assert reflinks.c02_cs_reads(World(sc)) == ["cs:131024 opens cs_mirror from center"]
    check = cs_own_residents(sc.graph, sc.policy, sc.config.statute, Permits(sc.policy, sc.config.statute))
    assert not check.passed and "cs:131024 reads cs_mirror from center" in check.detail, check.detail


def test_a_relay_blind_reference_misses_the_relayed_notification(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Mutants of the reference blind to relays miss Chiyoda's CS behind the relay: one that lets a relay's links carry
    nothing finds no sender, one that takes the last hop for the sender finds the relay, which may notify nothing;
    the test above fails for the reason it exists."""
    sc = _scenario(tmp_path, CS_TO_CS_RELAYED)
    assert reflinks.c02_cs_reads(World(sc)) == ["cs:131024 opens notification from cs:131016"]
    monkeypatch.setattr(reflinks, "_senders", lambda w, u, m: set() if u in w.relays else {u})
    assert reflinks.c02_cs_reads(World(sc)) == []
    monkeypatch.setattr(reflinks, "_senders", lambda w, u, m: {u})
    assert reflinks.c02_cs_reads(World(sc)) == []  # the relay: no request lets it notify, so its link looks dead


DR_SITE = {"id": "juki-center-dr", "kind": "private"}
DR_DIRECT = {"network": {"node": [DR_SITE], "link": [_link("center-dr", "center", "juki-center-dr", "forward")]}}
DR_RELAYED = {
    "network": {
        "node": [DR_SITE, {"id": "relayX", "kind": "relay"}],
        "link": [
            _link("center-relay", "center", "relayX", "forward"),
            _link("relay-dr", "relayX", "juki-center-dr", "forward"),
        ],
    }
}
DR_LEAK = "center->juki-center-dr: forward comes to rest at juki-center-dr (kind private)"
DR_RELAYED_LEAK = "center->relayX: forward comes to rest at juki-center-dr (kind private)"
PROVISION_RELAYED = {
    "network": {
        "node": [{"id": "relay:p", "kind": "relay"}],
        "link": [
            _link("center-relay", "center", "relay:p", "provision"),
            _link("relay-mhlw", "relay:p", "nat:mhlw", "provision"),
        ],
    }
}


def test_the_as_designed_network_sends_out_only_to_the_acts_parties(as_designed: Scenario) -> None:
    """C02 (Art. 30-7, 30-10, 30-11): in the design identity information leaves Juki-net only as provisions to
    recipients (from the center, the prefecture servers and the CSs) and as the revocation notice to the JPKI."""
    assert reflinks.c02_sent_out(World(as_designed)) == []


def test_a_provision_through_a_relay_comes_to_rest_at_its_recipient(tmp_path: Path) -> None:
    """C02: a carrier's line between the center and a ministry is no resting place: the provision rests at a recipient."""
    assert reflinks.c02_sent_out(World(_scenario(tmp_path, PROVISION_RELAYED))) == []


def test_a_dr_site_link_from_the_center_breaks_c02(tmp_path: Path) -> None:
    """C02: the center's link to a private disaster-recovery site declaring the forward (the prefecture-to-center
    message, dst "center") sends identity information to a private party; no rule letting the center forward is
    asked for (a declared link is a leak one rule away)."""
    sc = _scenario(tmp_path, DR_DIRECT)
    assert reflinks.c02_sent_out(World(sc)) == [DR_LEAK]
    v = reference_verdicts(sc)
    assert v["C02"].violated and DR_LEAK in v["C02"].witness, v["C02"].witness


def test_a_dr_site_behind_a_relay_breaks_c02(tmp_path: Path) -> None:
    """C02: a carrier's relay in between changes nothing: the forward comes to rest at the private site, not the relay."""
    sc = _scenario(tmp_path, DR_RELAYED)
    assert reflinks.c02_sent_out(World(sc)) == [DR_RELAYED_LEAK]
    v = reference_verdicts(sc)
    assert v["C02"].violated and DR_RELAYED_LEAK in v["C02"].witness, v["C02"].witness


def test_a_forward_to_a_ministry_breaks_c02(tmp_path: Path) -> None:
    """C02: a ministry is a recipient, but the forward is addressed to the center: a recipient is no resting place for it."""
    sc = _scenario(tmp_path, {"network": {"link": [_link("center-moj", "center", "nat:moj", "provision", "forward")]}})
    assert reflinks.c02_sent_out(World(sc)) == ["center->nat:moj: forward comes to rest at nat:moj (kind recipient)"]


def test_a_message_without_a_schema_to_an_outsider_breaks_c02(tmp_path: Path) -> None:
    """C02: a message declared without a schema carries every item; outside Juki-net it may rest nowhere, not even at
    a recipient.  (The loader refuses a link's unknown message, so the links are put on the loaded graph.)"""
    sc = _scenario(tmp_path, {"network": {"node": [{"id": "stats_bureau", "kind": "private"}]}})
    sc.graph.add_edge("pref:13", "stats_bureau", messages=("stats_dump",))
    sc.graph.edges["center", "nat:mhlw"]["messages"] = ("provision", "stats_dump")
    w = World(sc)
    assert "stats_dump" not in w.schemas
    assert reflinks.c02_sent_out(w) == [
        "center->nat:mhlw: stats_dump comes to rest at nat:mhlw (kind recipient)",
        "pref:13->stats_bureau: stats_dump comes to rest at stats_bureau (kind private)",
    ]


def test_a_relay_blind_reference_misses_the_relayed_dr_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Mutants of the check blind to relays: one that takes a relay for a carrier that keeps nothing misses the DR site
    behind it; one that stops at the relay blames the relay, not the site, and flags the lawful provision carried to a
    ministry; the tests above fail for the reason they exist."""
    relayed, provision = _scenario(tmp_path, DR_RELAYED), _scenario(tmp_path, PROVISION_RELAYED)
    monkeypatch.setattr(reflinks, "_resting_places", lambda w, v, m: set() if v in w.relays else {v})
    assert reflinks.c02_sent_out(World(relayed)) == []
    monkeypatch.setattr(reflinks, "_resting_places", lambda w, v, m: {v})
    assert reflinks.c02_sent_out(World(relayed)) == ["center->relayX: forward comes to rest at relayX (kind relay)"]
    assert reflinks.c02_sent_out(World(provision)) == ["center->relay:p: provision comes to rest at relay:p (kind relay)"]


def test_insecure_link_breaks_c13(tmp_path: Path) -> None:
    link = _link("weak", "pref:13", "governor:13", "provision") | {"security": {"protocol": "HTTP"}}
    v = reference_verdicts(_scenario(tmp_path, {"network": {"link": [link]}}))
    assert v["C13"].violated and "protocol=HTTP" in v["C13"].witness


def test_withholding_unit_breaks_c16(tmp_path: Path) -> None:
    v = reference_verdicts(_scenario(tmp_path, {"organisation": {"withholding": ["131016"]}}))
    assert _violated(v) == {"C16"}


def test_edit_families_are_all_enumerated() -> None:
    edits = enumerate_edits(load(AS_DESIGNED))
    assert {e.family for e in edits} == {"link", "item", "rule", "flip", "bind", "node"}
    assert len({e.id for e in edits}) == len(edits) > 2000
    drawn = sample(edits, 12, seed=1)
    assert drawn == sample(edits, 12, seed=1) and {e.family for e in drawn} == {e.family for e in edits}


def _disagreements(limit: int | None, seed: int) -> list[str]:
    out = []
    for o in run(limit=limit, seed=seed):
        if o.error:
            out.append(f"{o.edit.id} [{o.edit.label}] {o.error}")
        for d in o.disagreements:
            ref = "violated" if d.reference_violated else "holds"
            prv = "violated" if d.prover_violated else "holds"
            out.append(f"{o.edit.id} [{o.edit.label}] {d.constraint}: reference {ref} / prover {prv} ({d.prover})")
    return out


def test_prover_agrees_with_the_reference_on_a_sample() -> None:
    """A seeded sample of single edits: the prover and the reference agree on every flow constraint."""
    bad = _disagreements(limit=24, seed=2006)
    assert not bad, "\n".join(bad)


@pytest.mark.slow
def test_prover_agrees_with_the_reference_on_every_edit() -> None:
    """Every single edit (about 2,900; roughly 3 s each)."""
    bad = _disagreements(limit=None, seed=0)
    assert not bad, "\n".join(bad)

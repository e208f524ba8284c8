"""Incident and what-if scenarios (scenarios/incidents, issue 11 item 5): each shows what its header says."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from jukinet.model.config.scenario import load
from jukinet.model.report.run import execute
from jukinet.proofs.catalogue import prove

INCIDENTS = Path(__file__).resolve().parent.parent / "scenarios" / "incidents"
MERGERS = [str(c.date) for c, _ in load(None).timeline if "network.merged" in c.keys]  # the year's merger dates


def _jukinet(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jukinet", *args], capture_output=True, text=True, check=False)


def test_kunitachi_reconnecting_leaves_c16_broken_all_year_by_yamatsuri() -> None:
    path = str(INCIDENTS / "kunitachi_reconnects.toml")
    sc = load(path)
    # Yokohama's change and the mergers are the defaults' timeline; Kunitachi reconnects on 2006-10-02
    assert [str(a) for a, _, _, _ in sc.periods()] == sorted(["2006-04-01", "2006-09-01", "2006-10-02", *MERGERS])
    for a, _, day, _ in sc.periods():
        (r,) = [r for r in prove(day, only=("C16",)) if r.id == "C16"][:1]
        assert r.verdict == "VIOLATED"  # every day of the year (the CLI's per-date table: test_timeline)
        if str(a) >= "2006-10-02":
            assert r.counterexample["municipality"] in {"074829", "131156"}  # Yamatsuri or Suginami, once Kunitachi is back
    diff = json.loads(_jukinet("diff", path, "--from", "2006-10-01", "--to", "2006-10-02", "--json").stdout)
    assert {(r["src"], r["dst"]) for r in diff["newly_permits"]} == {("cs:132152", "pref:13"), ("pref:13", "cs:132152")}
    assert diff["newly_forbids"] == []


def test_municipal_contractors_unbound_break_c11() -> None:
    sc = load(INCIDENTS / "municipal_contractors_unbound.toml")
    (r,) = [r for r in prove(sc, only=("C11",)) if r.id == "C11"]
    assert r.verdict == "VIOLATED" and "local_contractor" in str(r.counterexample) and "30-31(2)" in str(r.counterexample)
    assert [x.verdict for x in prove(load(None), only=("C11",)) if x.id == "C11"] == ["CHECKED"]


def test_osaka_high_court_remedy_stops_minoos_plaintiff_from_the_date() -> None:
    """Minoo (272205) deletes its plaintiff's code on 2006-12-15 (hypothetical; Osaka High Court 2006-11-30):
    from that day its CS no longer notifies every resident (C16, Art. 30-5), and the diff says so."""
    path = INCIDENTS / "osaka_high_court_2006.toml"
    sc = load(path)
    assert [str(c.date) for c, _ in sc.timeline] == sorted(["2006-09-01", "2006-12-15", *MERGERS])
    assert sc.on(dt.date(2006, 12, 14)).config.organisation.withholding == ()
    after = sc.on(dt.date(2006, 12, 15)).config.organisation
    assert after.withholding == ("272205",) and after.withholding_share["272205"] == 0.00001
    diff = json.loads(_jukinet("diff", str(path), "--from", "2006-12-14", "--to", "2006-12-15", "--json").stdout)
    assert diff["newly_permits"] == []
    assert diff["newly_forbids"] == [{"kind": "notifies", "subject": "cs:272205", "item": "every resident"}]
    (c16,) = [r for r in prove(sc.on(dt.date(2006, 12, 15)), only=("C16",)) if r.name == "every_change_reaches_the_center"]
    assert c16.verdict == "VIOLATED" and len(sc.periods()) == 3 + len(MERGERS)


def test_nagano_office_lan_is_found_by_the_proof_the_network_check_and_the_audit(tmp_path: Path) -> None:
    """The 2003 Nagano paths (Shimosuwa's register LAN joined to its CS, reachable over wireless; Achi's office LAN
    joined to its CS and terminal, the testers' PC on it asking as the terminal asks): C02, C03 and C13 VIOLATED
    with the links named, the links_c13 check FAILs naming both towns' office links, and the audit of a run names
    each of them."""
    from jukinet.model.audit.checks import audit

    path = INCIDENTS / "nagano_office_lan_2003.toml"
    sc = load(path)
    results = prove(sc, only=("C02", "C03", "C13"))
    bad = {r.name: r.counterexample for r in results if r.verdict == "VIOLATED" and r.basis == "solver query"}
    net_facts = {r.name for r in results if r.verdict == "VIOLATED" and r.basis == "checked fact"}
    # the network checks of the links, in the catalogue: C13, and Achi's CS handing answers to its office LAN (C02)
    # and what Achi's CS sends on to the testers' PC, a party no provision addresses (C02)
    assert net_facts == {
        "network_links_c13",
        "network_cs_answers_its_own_head_only",
        "network_identity_information_leaves_only_as_addressed",
    }
    achi = {"achi-tester-in", "achi-tester-out", "achi-lan-cs-in", "achi-lan-cs-out"}
    assert bad["links_meet_c13"]["link"] in achi | {"shimosuwa-register-lan"}
    assert bad["links_meet_c13"]["path_to_center"][-1] == "center"
    assert bad["no_link_between_bodies"]["link"] in {"shimosuwa-wireless", "achi-tester-in", "achi-tester-out"}
    assert bad["identity_information_reaches_bodies_only_by_listed_provision"]["holder"] in {"lan:204072", "tester:204072"}
    assert bad["nothing_flows_back_from_recipients"]["holder"] in {"lan:204072", "tester:204072"}
    office = {"lan:203611->cs:203611", "lan:204072->cs:204072", "cs:204072->lan:204072"}
    office |= {"lan:204072->tester:204072", "tester:204072->lan:204072"}
    net = json.loads(_jukinet("network", str(path), "--json").stdout)
    c13 = next(c for c in net["checks"] if c["id"] == "links_c13")
    assert not c13["passed"] and all(x in c13["detail"] for x in office)
    execute(sc, 0.0005, 1, tmp_path / "r")
    found = [f for f in audit(tmp_path / "r")["findings"] if f["constraint"] != "C16"]
    assert {(f["constraint"], f["table"]) for f in found} == {("C13", "links")}
    named = {str(f["problem"]).split(" lacks ")[0].replace(" -> ", "->") for f in found}
    assert named == office


SHIPPED = sorted([*INCIDENTS.parent.glob("*.toml"), *INCIDENTS.glob("*.toml")])


@pytest.mark.slow
@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_scenario_runs(path: Path, tmp_path: Path) -> None:
    """Every scenario for the analyst (scenarios/*.toml and scenarios/incidents/*.toml) runs end to end at a
    small scale; what its network leaves out is counted, and nothing sent is lost (mutants, lawful changes and
    faults have their own tests)."""
    sc = load(path)
    s = execute(sc, 0.001, 2006, tmp_path / "r")
    assert (tmp_path / "r" / "report.md").is_file() and s["reconciliation"]["lost"] == 0
    if not sc.config.network.disconnected and not sc.timeline:
        assert s["figures"]["notifications_not_sent_disconnected"]["value"] == 0


def _rows(out: Path, table: str) -> list[dict[str, Any]]:
    return pq.read_table(out / "records" / f"{table}.parquet").to_pylist()


def test_card_defects_bring_exchanges_to_the_counters_in_their_windows(tmp_path: Path) -> None:
    """Toshiba's cards (announced 2006-01-20, exchanged over 120 days) come back to the seven units' counters
    before 2006-05-20 only; NTT Com's (2007-03-08) from then to the year's end: each exchange is a counter visit
    and a cards record, and no more cards are exchanged than carried a defect."""
    path = INCIDENTS / "jpki_card_defects.toml"
    sc = load(path)
    toshiba = set(sc.config.cards.defect[0].units)
    s = execute(sc, 0.002, 3, tmp_path / "r")
    f = s["figures"]
    visits = [r for r in _rows(tmp_path / "r", "counter_visits") if r["kind"] == "card_exchange"]
    exchanges = [r for r in _rows(tmp_path / "r", "cards") if r["event"] == "exchange"]
    assert 0 < f["cards_exchanged"]["value"] == sum(r["count"] for r in visits) == len(exchanges)
    assert f["cards_exchanged"]["value"] <= f["cards_defective"]["value"]
    ntt_day = (dt.date(2007, 3, 8) - dt.date(2006, 4, 1)).days
    toshiba_end = (dt.date(2006, 1, 20) + dt.timedelta(days=120) - dt.date(2006, 4, 1)).days
    assert all(r["day"] >= ntt_day or (r["day"] <= toshiba_end and r["cs"] in toshiba) for r in visits)
    assert any(r["day"] >= ntt_day for r in visits)
    assert "toshiba_2006, ntt_com_2007" in f["cards_defective"]["source"]
    # the defaults have no defect: tests/test_sim.py test_cards_lapse_when_their_holder_moves_away_or_dies


def test_a_defect_that_always_signs_wrong_spoils_every_signature_of_its_cards(
    scenario_file: Callable[[str], Path], tmp_path: Path
) -> None:
    """Mutant of the rate: every card held at the start defective, one signature in 1 wrong, never exchanged in
    the year: each of their signatures fails the body's real check, and is counted as the defect's."""
    sc = load(
        scenario_file(
            '[[cards.defect]]\nname = "all"\nunit_count = 1800\ncards = 2000000\nfail_every = 1\n'
            'announced = 2007-03-31\nexchange_days = 1000\nsource = "test"\n'
        )
    )
    s = execute(sc, 0.001, 5, tmp_path / "r")
    f = s["figures"]
    spoiled = [r for r in _rows(tmp_path / "r", "cards") if r["event"] == "verify_fail" and "(defect all)" in r["detail"]]
    assert f["cards_defective"]["value"] > 0 and f["signatures_defective"]["value"] == len(spoiled) > 0
    assert f["signatures_rejected"]["value"] >= len(spoiled)


@pytest.mark.parametrize(
    ("entry", "key"),
    [
        ('units = ["131024"]\nunit_count = 3', "cards.defect[d].units"),
        ('units = ["999999"]', "cards.defect[d].units"),
        ("unit_count = 3\nannounced = 2007-04-01", "cards.defect[d].announced"),
    ],
)
def test_a_bad_card_defect_is_refused_naming_its_key(scenario_file: Callable[[str], Path], entry: str, key: str) -> None:
    text = f'[[cards.defect]]\nname = "d"\n{entry}\ncards = 10\nfail_every = 2\nexchange_days = 5\nsource = "test"\n'
    if "announced" not in entry:
        text += "announced = 2006-06-01\n"
    path = scenario_file(text)
    r = _jukinet("check", str(path))
    assert r.returncode == 2 and f"{path}: {key}:" in r.stderr and "Traceback" not in r.stderr

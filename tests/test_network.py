"""The whole FY2006 network and its soundness checks, and mutants that must fail them (C03, C13, C16)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from jukinet.model.cli.network import network_summary
from jukinet.model.config.scenario import load

REPO = Path(__file__).resolve().parent.parent
# the mutants below change the network the Act designed (every unit connected), not FY2006 as it ran
DESIGN = f'[scenario]\nname = "network_mutant"\nextends = "{(REPO / "scenarios" / "fy2006_as_designed.toml").as_posix()}"\n'


def test_network_json_counts_add_up() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "jukinet", "network", str(REPO / "scenarios" / "fy2006_baseline.toml"), "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr  # a soundness check fails: the units that stayed out (C16)
    s = json.loads(proc.stdout)
    c = s["counts"]
    assert c["prefectures"] == 47 == len(s["prefectures"])
    assert c["municipalities"] == 1843 == sum(p["municipalities"] for p in s["prefectures"])  # in being on 2006-04-01
    assert c["population"] == 127_055_025 == sum(p["population"] for p in s["prefectures"])  # the register, 2006-03-31
    assert sum(s["population_sources"].values()) == 127_055_025
    assert sum(p["designated_cities"] for p in s["prefectures"]) == 15
    failed = {ch["id"]: ch["detail"] for ch in s["checks"] if not ch["passed"]}
    assert failed == {"all_connected": "3 municipalities disconnected: cs:074829, cs:131156, cs:132152"}, failed
    assert {ch["id"] for ch in s["checks"]} >= {"cs_via_own_prefecture", "links_c13", "one_way_provision"}
    tokyo = next(p for p in s["prefectures"] if p["code"] == "13")
    assert tokyo["municipalities"] == 62  # 39 municipalities + 23 special wards


def test_every_prefecture_matches_its_register_population(baseline) -> None:  # type: ignore[no-untyped-def]
    """The register's population by prefecture on 2006-03-31 (calibration.toml [resident_register.prefecture]:
    MIC's per-prefecture table, issue 29): each prefecture its own figure, the whole the register total. Three
    figures restated from the table itself (e-Stat 00200241, column E), not from the data file."""
    sourced = baseline.config.population.resident_register.prefecture
    assert len(sourced) == 47
    for p in baseline.prefectures:
        assert p.population == sourced[p.code] and p.population_source == "register 2006-03-31"
    pops = {p.code: p.population for p in baseline.prefectures}
    assert (pops["01"], pops["31"], pops["47"]) == (5_629_970, 610_434, 1_381_820)  # Hokkaido, Tottori, Okinawa
    assert sum(p.population for p in baseline.prefectures) == 127_055_025 == baseline.population
    by_pref: dict[str, int] = {}
    for m in baseline.municipalities:
        by_pref[m.pref] = by_pref.get(m.pref, 0) + m.population
    assert by_pref == {p.code: p.population for p in baseline.prefectures}


def test_every_national_body_of_annex_1_is_a_node(baseline) -> None:  # type: ignore[no-untyped-def]
    rows = [r for r in baseline.config.statute.annex if r.table == 1 and r.in_force_fy2006]
    for r in rows:
        for b in r.bodies:
            assert baseline.graph.nodes[f"nat:{b}"]["kind"] == "recipient"


def _failed(path: Path) -> dict[str, str]:
    s = network_summary(str(path))
    return {c["id"]: c["detail"] for c in s["checks"] if not c["passed"]}  # type: ignore[union-attr]


def test_mutant_http_link_fails_c13(scenario_file: Callable[[str], Path]) -> None:
    failed = _failed(
        scenario_file(
            DESIGN
            + """
[[network.link]]
id = "wlan"
src = "cs:202011"
dst = "pref:20"
messages = ["notification"]
[network.link.security]
protocol = "http"
encrypted = false
"""
        )
    )
    assert failed.keys() == {"links_c13"}
    assert "cs:202011->pref:20 (encrypted, protocol=http)" in failed["links_c13"]


def test_mutant_unencrypted_defaults_fail_c13(scenario_file: Callable[[str], Path]) -> None:
    failed = _failed(scenario_file(DESIGN + "[network.link_security]\nencrypted = false\n"))
    assert "links_c13" in failed


def test_mutant_bypass_link_fails_own_prefecture_check(scenario_file: Callable[[str], Path]) -> None:
    failed = _failed(
        scenario_file(
            DESIGN
            + """
[[network.link]]
id = "bypass"
src = "cs:131016"
dst = "center"
messages = ["notification"]
"""
        )
    )
    assert failed.keys() == {"cs_via_own_prefecture"}
    assert "cs:131016" in failed["cs_via_own_prefecture"]


def test_mutant_agency_to_agency_link_fails_one_way(scenario_file: Callable[[str], Path]) -> None:
    failed = _failed(
        scenario_file(
            DESIGN
            + """
[[network.link]]
id = "agency-share"
src = "nat:mhlw"
dst = "nat:moj"
messages = ["provision"]
"""
        )
    )
    assert failed.keys() == {"one_way_provision"}


def test_kunitachi_disconnected_is_reported(scenario_file: Callable[[str], Path]) -> None:
    failed = _failed(scenario_file(DESIGN + "[network]\ndisconnected = ['132152']\n"))
    assert failed == {"all_connected": "1 municipalities disconnected: cs:132152"}


def test_network_table_output_names_every_prefecture() -> None:
    proc = subprocess.run([sys.executable, "-m", "jukinet", "network"], capture_output=True, text=True)
    assert proc.returncode == 1  # FY2006 as it ran: Kunitachi and Yamatsuri out
    assert proc.stdout.count("[PASS]") == 12 and proc.stdout.count("[FAIL]") == 1 and "all_connected" in proc.stdout
    assert "1843 community servers as the year starts" in proc.stdout and "1827 units in being at the year's end" in proc.stdout
    for name in ("Hokkaido", "Tokyo", "Okinawa"):
        assert name in proc.stdout


def test_the_center_is_linked_from_every_prefecture_and_every_national_body_only() -> None:
    sc = load(None)
    g = sc.graph
    national = {b for b, body in sc.policy.bodies.items() if body.level == "national"}
    sources = {str(g.nodes[u].get("body", u)) if g.nodes[u].get("kind") != "prefecture" else u for u, _ in g.in_edges("center")}
    assert sources == {f"pref:{p.code}" for p in sc.prefectures} | national
    assert len(national) > 20


def test_a_register_without_prefectures_takes_census_shares(tmp_path: Path) -> None:
    """A scenario that clears the per-prefecture figures has every prefecture take its 2005 census share of the
    register total, each labelled an assumption, summing exactly to the total."""
    p = tmp_path / "shares.toml"
    p.write_text('[scenario]\nname = "shares"\n[population.resident_register]\nprefecture = {}\n', encoding="utf-8")
    sc = load(p)
    assert all("ASSUMPTION" in q.population_source for q in sc.prefectures)
    assert sum(q.population for q in sc.prefectures) == 127_055_025
    assert {q.code: q.population for q in sc.prefectures} != {q.code: q.population for q in load(None).prefectures}

"""Proofs of the catalogue: the baseline is PROVED and certified; every mutant is caught on its
constraint and replays; the SMT encoding agrees with the evaluator; the amendment diff is exact."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
import z3
from hypothesis import event, given
from hypothesis import strategies as st

from jukinet.model.config.scenario import load
from jukinet.model.law.policy import ACTIONS, CONDITIONS, NODE_KINDS, QUERY_KEYS, Policy, Request, Rule, decide
from jukinet.model.world.topology import STRUCTURAL, structural_checks
from jukinet.proofs.catalogue import CATALOGUE, DESIGN, prove, verdict_of
from jukinet.proofs.encode import Encoding
from jukinet.proofs.engine import cvc5_check, query_smt2, run_property
from jukinet.proofs.mutation import mutants_dir, run_mutants

AS_DESIGNED = mutants_dir().parent / "fy2006_as_designed.toml"
BASE = load(AS_DESIGNED)  # the network as the Act designed it; the mutants and lawful changes extend it
MUTANTS = sorted(mutants_dir().glob("*.toml"))


def test_baseline_every_query_proved_and_rechecked_by_cvc5_every_fact_checked(tmp_path: Path) -> None:
    results = prove(BASE, tmp_path)
    assert [r.id for r in results] == [cid for cid, ps in {**CATALOGUE, **DESIGN}.items() for _ in ps]
    assert {verdict_of(results, cid) for cid in CATALOGUE} <= {"PROVED", "CHECKED"}
    for r in results:
        if r.id in DESIGN:  # FY2006's common code: L01 false, shown and not counted; its certificate agrees (sat)
            assert (r.verdict, r.binding, r.certificate["cvc5"] if r.certificate else None) == ("VIOLATED", False, "sat")
            continue
        if r.basis == "checked fact":
            assert r.verdict == "CHECKED" and r.certificate is None and "not a solver proof" in r.note
            continue
        assert r.verdict == "PROVED", (r.id, r.name, r.note, r.counterexample)
        assert r.certificate is not None and r.certificate["cvc5"] == "unsat" and r.certificate["agrees"]
        assert Path(r.certificate["file"]).is_file()
        assert r.hashes["configuration"] == BASE.hash and r.hashes["z3"] and r.hashes["cvc5"]


def test_fy2006_as_it_ran_breaks_c16_alone_and_its_units_are_named() -> None:
    """The embedded defaults (FY2006 as it ran, issue 11): Kunitachi and Yamatsuri out, Yokohama withholding
    until 2006-09-01, the year's mergers.  The configurations of the year's start, of Yokohama's change and of its
    end (the year's others: test_timeline, in the slow tier) prove every constraint but C16 (Art. 30-5, 30-11), which is VIOLATED
    in each, naming a unit that is out or withholds on that day."""
    sc = load(None)
    periods = sc.periods()
    merged = [str(c.date) for c, _ in sc.timeline if "network.merged" in c.keys]  # each merger date begins one
    assert [str(a) for a, _, _, _ in periods] == sorted(["2006-04-01", "2006-09-01", *merged])
    for _, _, day, _ in [periods[0], *[p for p in periods if str(p[0]) == "2006-09-01"], periods[-1]]:
        results = prove(day)
        assert {cid for cid in CATALOGUE if verdict_of(results, cid) not in ("PROVED", "CHECKED")} == {"C16"}
        (c16,) = [r for r in results if r.id == "C16" and r.verdict == "VIOLATED"][:1]
        out = set(day.config.network.disconnected) | set(day.config.organisation.withholding)
        assert c16.counterexample["municipality"] in out, c16.counterexample


def test_a_mutant_or_lawful_change_extends_the_design_not_its_history() -> None:
    """A mutant breaks the design: it must not inherit C16's breach from the history (else every C16 mutant
    would be caught whatever it changed), so each extends scenarios/fy2006_as_designed.toml; a mutant of the
    design property L01 extends the design that claims it, scenarios/my_number_pseudonyms.toml."""
    for path in [*MUTANTS, *sorted((mutants_dir().parent / "lawful").glob("*.toml"))]:
        head = path.read_text(encoding="utf-8")
        design = "my_number_pseudonyms" if path.name.startswith("l01_") else "fy2006_as_designed"
        assert f'extends = "../{design}.toml"' in head, path.name
        if design == "fy2006_as_designed":  # L01 does not read the network: its mutants may keep FY2006's history
            own = tomllib.loads(head)  # the design connects every unit: only the file itself could put them out again
            outs = [own.get("network", {}).get("disconnected")] + [
                e.get("network", {}).get("disconnected") for e in own.get("timeline", [])
            ]
            history = ({"132152", "074829"}, {"132152", "074829", "131156"})  # FY2006 as it ran (one unit out is a mutant)
            assert not any(set(o or ()) in history for o in outs), path.name


def test_flow_constraints_are_solver_queries_and_only_non_flow_facts_are_checked_facts() -> None:
    """C01-C04, C12, C13, C16 are proved by the solver; C11, C14, C15 are checked facts (issue 9, item 4)."""
    results = prove(BASE)
    basis = {(r.id, r.basis) for r in results}
    for cid in ("C01", "C02", "C03", "C04", "C05", "C06", "C07", "C08", "C09", "C10", "C12", "C13", "C16"):
        assert (cid, "solver query") in basis, cid
    for cid in ("C11", "C14", "C15"):
        assert {b for i, b in basis if i == cid} == {"checked fact"}, cid


def test_exported_query_is_exactly_as_strong_as_the_query() -> None:
    """The certificate must say what the query says: parsed back, it is equivalent to it."""
    from jukinet.proofs.context import Context
    from jukinet.proofs.rules import _action

    ctx = Context(BASE)
    premise = z3.And(_action(ctx, "provide"), ctx.permit)
    goal = ctx.enc.is_pair(BASE.config.statute.listed)
    query = z3.And(premise, z3.Not(goal))
    parsed = z3.And(z3.parse_smt2_string(query_smt2(premise, goal).removeprefix("(set-logic ALL)\n")))
    s = z3.Solver()
    s.add(parsed != query)
    assert s.check() == z3.unsat


def test_why_certificates_use_plain_asserts() -> None:
    """z3's to_smt2 drops assert_and_track assumptions: such an export is weaker (cvc5 answers sat)."""
    x = z3.Bool("x")
    tracked = z3.Solver()
    tracked.assert_and_track(x, "p")
    tracked.add(z3.Not(x))
    assert tracked.check() == z3.unsat
    assert cvc5_check("(set-logic ALL)\n" + tracked.to_smt2()) == "sat"
    assert cvc5_check(query_smt2(x, x)) == "unsat"


def test_vacuous_premise_is_unknown_not_proved() -> None:
    r = run_property("C02", "vacuous", ("x",), "s", z3.BoolVal(False), z3.BoolVal(True), lambda m, g: {})
    assert r.verdict == "UNKNOWN" and "vacuous" in r.note


def test_every_structural_check_of_network_is_a_catalogue_property() -> None:
    """`jukinet network`'s checks that bear on a constraint are the catalogue's `network_*` properties (one
    function computes both), and the log audit's link checks read the same C13 and C03 definitions."""
    names = {p.__name__: cid for cid, ps in CATALOGUE.items() for p in ps}
    checks = structural_checks(BASE.graph, BASE.policy, BASE.config.statute)
    assert [c.id for c in checks] == list(STRUCTURAL)
    for c in checks:
        assert names.get(f"network_{c.id}") == c.constraint == STRUCTURAL[c.id]
    import inspect

    import jukinet.model.audit.checks as audit

    src = inspect.getsource(audit)
    assert "c13_governs(" in src and "c13_missing(" in src and "one_way_problem(" in src


def _own_scenario(path: Path) -> dict[str, str]:
    """A mutant's own [scenario] table, as its file writes it (each mutant is loaded and proved in test_mutants.py)."""
    table: dict[str, str] = tomllib.loads(path.read_text(encoding="utf-8"))["scenario"]
    return table


def test_mutants_cover_every_constraint() -> None:
    assert {_own_scenario(p)["mutant_of"] for p in MUTANTS} == set(CATALOGUE) | set(DESIGN)


def test_mutation_suite_is_large_and_mostly_beyond_the_provide_action() -> None:
    """Issue 26, item 8 (issue 9, item 7 before it): at least 80 mutants, two per flow constraint, half of them
    routes other than `provide`; at least 25 lawful changes."""
    by = [_own_scenario(p) for p in MUTANTS]
    assert len(by) >= 80 and len(LAWFUL) >= 25
    for cid in ("C01", "C02", "C03", "C04", "C05", "C06", "C07", "C12", "C13", "C16"):
        assert sum(m["mutant_of"] == cid for m in by) >= 2, cid
    assert sum(m.get("route", "") != "provide" for m in by) >= len(by) / 2


LAWFUL = sorted((mutants_dir().parent / "lawful").glob("*.toml"))


REFUSED = sorted((mutants_dir().parent / "refused").glob("*.toml"))


@pytest.mark.parametrize("path", REFUSED, ids=[p.stem for p in REFUSED])
def test_a_configuration_only_one_semantics_would_read_is_refused(path: Path) -> None:
    """Issue 26, item 4: a binding the simulation does not read, an added node claiming a Juki-net kind, an id
    shadowing a real node: refused at load, in one line naming the file and the key (never proved on)."""
    from jukinet.model.core.errors import UserError

    with pytest.raises(UserError) as err:
        load(path)
    msg = str(err.value)
    assert path.name in msg and "\n" not in msg and ("allowed" in msg or "should be" in msg), msg


def test_refused_configurations_exist_for_each_hidden_key() -> None:
    keys = {p.read_text() for p in REFUSED}
    assert len(REFUSED) >= 5
    for word in ("action_message", "action_requester", 'kind = "cs"'):
        assert any(word in k for k in keys), word


@pytest.mark.parametrize(
    "name",
    [
        "c02_recipient_outside_annex",
        "c08_unauthenticated_operator",
        "c16_withholding",
        "c12_disclosure_to_anyone",  # a route: the audit names the route_hops record
        "c01_center_store_holds_tax",  # an initial holding: the audit names the store
    ],
)
def test_counterexample_replays_in_evaluator_and_simulation(name: str) -> None:
    res = run_mutants([mutants_dir() / f"{name}.toml"])
    (outcome,) = res["mutants"]
    assert outcome.replay is not None and outcome.replay.ok, outcome.replay
    assert outcome.replay.simulation == "shows it", outcome.replay
    assert res["score"] == 1.0


@pytest.mark.slow
def test_mutation_score_is_100_percent_with_every_replay() -> None:
    res = run_mutants()
    assert res["score"] == 1.0, [(o.file, o.replay, o.audit_only) for o in res["mutants"] if not o.ok]


def test_counterexample_generalises_fields_that_do_not_matter() -> None:
    sc = load(mutants_dir() / "c05_private_demands_code.toml")
    cex = prove(sc, only=("C05",))[0].counterexample
    # the requester matters (a public body may demand for a listed affair): a private party, registered or not
    assert cex is not None and cex["requester"] in ("bank", "private:outside") and cex["affair"] == "any"
    assert cex["operator_authenticated"] == "any"


# -- differential testing: the SMT encoding and the evaluator agree ----------------------------------
BODIES = sorted(BASE.policy.bodies)[:6] + ["resident:subject", "resident:1", "cs:131016", "cs:999999", "pref:13", "stranger"]
ROWS = sorted(BASE.config.statute.rows)[:8] + ["A1-74", "A1-41"]

rules_st = st.builds(
    Rule,
    id=st.text("abcdefgh", min_size=3, max_size=6),
    effect=st.sampled_from(["permit", "forbid"]),
    node=st.sampled_from(NODE_KINDS),
    action=st.sampled_from(ACTIONS),
    requester=st.lists(
        st.sampled_from(["national", "local", "private", "resident", "municipality", "prefecture", "unknown"]),
        min_size=1,
        max_size=3,
        unique=True,
    ).map(tuple),
    when=st.lists(st.sampled_from(list(CONDITIONS) + [f"not:{c}" for c in CONDITIONS]), max_size=4).map(tuple),
    articles=st.just(("30-7(3)",)),
)
request_st = st.builds(
    Request,
    requester=st.sampled_from(BODIES),
    action=st.sampled_from(ACTIONS),
    node=st.sampled_from(NODE_KINDS),
    affair=st.one_of(st.none(), st.sampled_from(ROWS)),
    provided_affair=st.one_of(st.none(), st.sampled_from(ROWS)),
    keys=st.frozensets(st.sampled_from(QUERY_KEYS), max_size=4),
    items=st.frozensets(st.sampled_from(sorted(BASE.config.statute.item_ids)), max_size=6),
    mode=st.sampled_from(["interactive", "batch"]),
    operator_authenticated=st.booleans(),
    operator_in_scope=st.booleans(),
    subject_is_requester=st.booleans(),
)


@given(
    st.lists(rules_st, min_size=1, max_size=6, unique_by=lambda r: r.id),
    st.booleans(),
    st.lists(request_st, min_size=1, max_size=8),
)
def test_smt_encoding_and_evaluator_agree(rules: list[Rule], logging: bool, requests: list[Request]) -> None:
    cfg = BASE.config
    pol = cfg.policy.model_copy(update={"rules": tuple(rules), "logging": logging})
    policy = Policy.build(pol, cfg.registry, cfg.statute)
    enc = Encoding.build(policy, cfg.statute)
    for r in requests:
        allowed = decide(policy, r).allowed
        event("a request permitted" if allowed else "a request refused")
        assert enc.decides(r) == allowed, r


def test_smt_and_evaluator_agree_on_the_baseline_for_every_annex_row() -> None:
    enc = Encoding.build(BASE.policy, BASE.config.statute)
    for row in BASE.config.statute.annex[::7]:
        for body in row.bodies:
            r = Request(
                requester=body,
                action="provide",
                node="center",
                affair=row.id,
                keys=frozenset({"code"}),
                items=frozenset({"name"}),
            )
            assert enc.decides(r) == decide(BASE.policy, r).allowed


# -- the amendment diff ---------------------------------------------------------------------------------
def test_diff_of_an_added_annex_1_row_lists_exactly_its_flows(scenario_file: Callable[[str], Path]) -> None:
    from jukinet.proofs.diff import diff

    new = load(
        scenario_file(f"""
[scenario]
extends = "{AS_DESIGNED.as_posix()}"
[[statute.annex]]
id = "A1-999"
table = 1
row = "999"
bodies = ["mofa"]
law_en = "Hypothetical Consular Registration Act"
gloss = "Hypothetical Consular Registration Act: registrations"
citation = "hypothetical amendment"
""")
    )
    d = diff(BASE, new)
    assert d["newly_forbids"] == []
    assert d["newly_permits"] == [
        {"kind": "flow", "action": "demand_code", "requester": "mofa", "affair": "A1-999", "mode": "-"},
        {"kind": "flow", "action": "provide", "requester": "mofa", "affair": "A1-999", "mode": "interactive"},
        {"kind": "flow", "action": "use", "requester": "mofa", "affair": "A1-999", "mode": "-"},
        {"kind": "registered", "subject": "mofa", "item": "A1-999"},
    ]


def test_prove_command_json_and_exit_codes(tmp_path: Path) -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "jukinet", "prove", str(AS_DESIGNED), "--on", "2006-04-01", "--json"],
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0
    out = json.loads(ok.stdout)["periods"][0]  # the configuration of that day (the year's: test_timeline)
    rows = out["results"]
    assert {r["id"] for r in rows} == set(CATALOGUE) | set(DESIGN)
    assert all({"id", "basis", "verdict", "counterexample"} <= set(r) for r in rows)
    assert out["linkage"]["bodies_holding_it"] > 10 and out["linkage"]["center_provision_log_joins"] > 0
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "jukinet",
            "prove",
            str(mutants_dir() / "c15_code_on_card_face.toml"),
            "--on",
            "2006-04-01",
            "--report",
            str(tmp_path / "r"),
        ],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 1 and "checked fact VIOLATED" in bad.stdout and "code_stays_in_the_chip" in bad.stdout
    assert "## C15 — code_stays_in_the_chip — VIOLATED" in (tmp_path / "r" / "report.md").read_text()


def test_prove_report_draws_the_route_of_a_flow_violation(tmp_path: Path) -> None:
    report = tmp_path / "leak"
    mutant = mutants_dir() / "c12_disclosure_to_anyone.toml"
    done = subprocess.run(
        [sys.executable, "-m", "jukinet", "prove", str(mutant), "--on", "2006-04-01", "--report", str(report)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1 and "route:" in done.stdout and "resident:other" in done.stdout
    text = (report / "report.md").read_text()
    png = report / "C12_identity_information_disclosed_only_to_its_subject.png"
    assert f"]({png.name})" in text and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _amended(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(f'[scenario]\nname = "{name}"\nextends = "{AS_DESIGNED}"\n{body}', encoding="utf-8")
    return path


REVOCATION_WITH_HOUSEHOLD = """[[policy.messages]]
id = "jpki_revocation"
src = "center"
dst = "jpki"
items = ["name", "address", "dob", "sex", "change_info", "household_head"]
"""


def test_a_flow_invariant_that_is_not_inductive_is_decided_by_the_complete_search(tmp_path: Path) -> None:
    """Issue 26: the revocation notice may carry the household head, which the center never holds: C02's lawful
    set is not inductive (a center that held it could pass it to the JPKI body), so the solver's answer is no
    verdict; the complete search of every reachable holding is, and the row says so (basis "full search").
    The same schema with the item in the center's store is a real leak, VIOLATED with its route."""
    sc = load(_amended(tmp_path, "revocation_household", REVOCATION_WITH_HOUSEHOLD))
    (flow_c02,) = [r for r in prove(sc, only=("C02",)) if r.name.startswith("identity_information_reaches")]
    assert (flow_c02.verdict, flow_c02.basis) == ("PROVED", "full search") and "reachable holdings" in flow_c02.note
    store = '[policy.stores]\ncenter = ["name", "address", "dob", "sex", "code", "change_info", "household_head"]\n'
    leak = load(_amended(tmp_path, "revocation_household_kept", REVOCATION_WITH_HOUSEHOLD + store))
    (c02,) = [r for r in prove(leak, only=("C02",)) if r.name.startswith("identity_information_reaches")]
    assert c02.verdict == "VIOLATED" and c02.basis == "solver query"
    assert c02.counterexample and c02.counterexample["holder"] == "jpki"


def test_a_carriers_line_keeps_c03_and_c04_inductive_and_a_wrong_hint_costs_no_verdict(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A relay reached only by carriers' lines (sealed CS-to-CS traffic) holds only sealed tokens that left no body and
    carry no affair: with that lemma C03 and C04 are proved by the solver, not by the complete search (which took
    about 20 s each).  The lemma's nodes are a hint the solver checks: told that a relay carrying MHLW's unsealed queries
    to MOJ is such a line, the prover still finds the leak (C03)."""
    from jukinet.proofs import flow as proofs_flow

    lawful = load(mutants_dir().parent / "lawful" / "sealed_cs_traffic_over_a_carrier_relay.toml")
    bases = {r.id: r.basis for r in prove(lawful, only=("C03", "C04")) if r.name.startswith(("nothing_flows", "no_flow"))}
    assert bases == {"C03": "solver query", "C04": "solver query"}, bases
    relay = "kasumigaseki_wan"
    monkeypatch.setattr(proofs_flow, "pure_carriers", lambda f: ([relay], [relay]))
    leak = load(mutants_dir() / "c03_query_relay_between_ministries.toml")
    assert verdict_of(prove(leak, only=("C03",)), "C03") == "VIOLATED"

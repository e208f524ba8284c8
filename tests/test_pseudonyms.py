"""The identifier design (L01): the hub, the linkage measure, the proof, the run and the audit agree."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from jukinet.model.audit.checks import audit
from jukinet.model.config.scenario import load
from jukinet.model.law.linkage import design_linkage, record_linkage
from jukinet.model.report.run import execute
from jukinet.model.sim.hub import BITS, Hub, permute
from jukinet.proofs.catalogue import counts, prove

SC = Path(__file__).resolve().parent.parent / "scenarios"
MY_NUMBER = SC / "my_number_pseudonyms.toml"
MUTANT = SC / "mutants" / "l01_pension_bodies_keep_the_code.toml"


def test_the_hub_gives_each_body_its_own_codes_one_to_one_and_never_a_resident_code() -> None:
    cfg = load(MY_NUMBER).config.identifiers
    hub = Hub(cfg, ["a", "b", "c"], np.random.default_rng(1))
    codes = np.arange(10**10, 10**10 + 50_000, dtype=np.int64)
    got = {i: hub.translate(np.full(len(codes), i), codes) for i in range(3)}
    for ids in got.values():
        assert len(np.unique(ids)) == len(codes)  # one-to-one: a body can still keep its own records
        assert (ids >= 1 << BITS).all() and not np.isin(ids, codes).any()  # never a resident code
    assert not np.intersect1d(got[0], got[1]).size and not np.intersect1d(got[1], got[2]).size
    x = np.arange(1 << 16, dtype=np.uint64)
    assert len(np.unique(permute(x, np.uint64(7)))) == len(x)


def test_the_common_code_scheme_passes_the_code_through() -> None:
    cfg = load(SC / "fy2006_baseline.toml").config.identifiers
    hub = Hub(cfg, ["a", "b"], np.random.default_rng(1))
    codes = np.array([12345678901, 22345678901])
    assert (hub.translate(np.array([0, 1]), codes) == codes).all() and hub.keys is None


def test_record_linkage_counts_pairs_of_bodies_and_joinable_records() -> None:
    out = record_linkage(np.array([0, 1, 2, 0, 1, 1]), np.array([5, 5, 5, 7, 8, 8]))
    assert out == {"records_received": 5, "pairs_of_bodies_joined": 3, "records_joinable": 1, "bodies_with_joinable_records": 3}
    assert record_linkage(np.array([0, 1]), np.array([5, 6]))["pairs_of_bodies_joined"] == 0


def _linkage_by_sets(req: list[int], ident: list[int]) -> dict[str, int]:
    """record_linkage's measure by Python sets, for comparison."""
    holders: dict[int, set[int]] = {}
    for b, i in zip(req, ident, strict=True):
        holders.setdefault(i, set()).add(b)
    shared = [h for h in holders.values() if len(h) >= 2]
    pairs = {(a, b) for h in shared for a in h for b in h if a < b}
    return {
        "records_received": sum(len(h) for h in holders.values()),
        "pairs_of_bodies_joined": len(pairs),
        "records_joinable": len(shared),
        "bodies_with_joinable_records": len(set().union(*shared)) if shared else 0,
    }


@given(
    st.lists(st.tuples(st.integers(0, 5), st.integers(0, 6)), min_size=1, max_size=40),
    st.sampled_from([0, 10**11, (1 << 40) * 3, -(1 << 62)]),
    st.sampled_from([1, 1 << 58]),
)
def test_record_linkage_agrees_with_sets(rows: list[tuple[int, int]], base: int, stride: int) -> None:
    """Both ways of finding the distinct (identifier, body) pairs (a combined 1-D key; a lexicographic sort
    where identifiers span more than 63 bits less the body's) agree with a count by sets."""
    req = [b for b, _ in rows]
    ident = [base + i * stride for _, i in rows]
    assert record_linkage(np.array(req), np.array(ident)) == _linkage_by_sets(req, ident)


def test_the_design_measure_and_the_proof_agree_on_every_design() -> None:
    """L01 is false for FY2006's common code (not counted: not claimed), PROVED for agency codes, and
    VIOLATED for the mutant, naming exactly the two bodies that keep the code."""
    for path, verdict, binding, pairs in (
        (SC / "fy2006_as_designed.toml", "VIOLATED", False, None),
        (MY_NUMBER, "PROVED", True, 0),
        (MUTANT, "VIOLATED", True, 1),
    ):
        sc = load(path)
        (r,) = prove(sc, only=("L01",))
        assert (r.verdict, r.binding, counts(r)) == (verdict, binding, verdict == "PROVED" or not binding), path.name
        k = design_linkage(sc.config.identifiers, sc.policy.bodies)
        if pairs is not None:
            assert k["pairs_of_bodies_joinable_by_design"] == pairs
        else:
            assert k["pairs_of_bodies_joinable_by_design"] == len(sc.policy.bodies) * (len(sc.policy.bodies) - 1) // 2
    (r,) = prove(load(MUTANT), only=("L01",))
    # each body its own node; the successor associations are several corporations under one id (several = true)
    keeping = {"nat:kkr", "nat:pension_successor", "pension_successor@one", "pension_successor@another"}
    assert len(set(r.counterexample["bodies"])) == 2 and set(r.counterexample["bodies"]) <= keeping


@pytest.mark.parametrize(
    ("path", "joined"),
    [(SC / "fy2006_as_designed.toml", "many"), (MY_NUMBER, 0), (MUTANT, 1)],
    ids=["fy2006", "my_number", "mutant"],
)
def test_the_run_and_its_audit_show_what_the_proof_says(tmp_path: Path, path: Path, joined: object) -> None:
    out = tmp_path / "run"
    summary = execute(load(path), 0.0005, 3, out)
    k = summary["linkage"]
    if joined == "many":
        assert k["pairs_of_bodies_joined"] > 100 and k["records_joinable"] > 1000
    else:
        assert k["pairs_of_bodies_joined"] == joined
    l01 = [f for f in audit(out)["findings"] if f["constraint"] == "L01"]
    assert bool(l01) == (path == MUTANT)  # the audit checks L01 only where the design claims it
    if l01:
        assert all("kkr" in f["problem"] and "pension_successor" in f["problem"] for f in l01)
    if path == MY_NUMBER:
        assert summary["center_queue"]["note"] and "L01" in (out / "report.md").read_text(encoding="utf-8")


def test_an_unknown_body_keeping_the_code_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        f'[scenario]\nname = "bad"\nextends = "{MY_NUMBER.as_posix()}"\n[identifiers]\ncommon_code_bodies = ["nobody"]\n',
        encoding="utf-8",
    )
    p = subprocess.run([sys.executable, "-m", "jukinet", "check", str(bad)], capture_output=True, text=True)
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "identifiers.common_code_bodies" in p.stderr, p.stderr

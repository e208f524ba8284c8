"""The runs of proofs/runs.py are the relation itself: an exact cover of the pairs, and formulas that hold on
exactly those pairs (the flow proofs' links and requesters rest on it; issue 26)."""

from __future__ import annotations

import z3
from hypothesis import given
from hypothesis import strategies as st

from jukinet.proofs import runs

N = 24  # nodes 0..23, in 5 bits
pairs = st.sets(st.tuples(st.integers(0, N - 1), st.integers(0, N - 1)), max_size=60)
diagonal = st.builds(
    lambda lo, n, c: {(u, u + c) for u in range(lo, min(lo + n, N - c))},
    st.integers(0, 10),
    st.integers(0, 12),
    st.integers(0, 8),
)


def _solutions(f: z3.BoolRef, u: z3.BitVecRef, v: z3.BitVecRef) -> set[tuple[int, int]]:
    s = z3.Solver()
    s.add(f, z3.ULT(u, N), z3.ULT(v, N))
    out = set()
    while s.check() == z3.sat:
        m = s.model()
        a, b = m.eval(u).as_long(), m.eval(v).as_long()
        out.add((a, b))
        s.add(z3.Or(u != a, v != b))
    return out


@given(st.one_of(pairs, st.builds(set.union, pairs, diagonal)))
def test_the_runs_cover_the_pairs_exactly_and_their_formula_holds_on_them_alone(ps: set[tuple[int, int]]) -> None:
    rs = runs.runs(ps)
    covered = [p for r in rs for p in r.pairs()]
    assert sorted(covered) == sorted(ps)  # every pair once, nothing else
    u, v = z3.BitVec("u", 5), z3.BitVec("v", 5)
    assert _solutions(runs.holds(rs, u, v), u, v) == ps


def test_a_diagonal_a_fan_in_and_a_fan_out_are_one_run_each() -> None:
    ps = {(u, u + 10) for u in range(3)} | {(u, 20) for u in range(4, 9)} | {(21, v) for v in range(12, 16)}
    assert sorted(r.shape for r in runs.runs(ps)) == ["diagonal", "fan-in", "fan-out"]


def test_a_mutant_of_the_cover_that_drops_a_run_is_caught() -> None:
    """The exactness check can fail: a formula missing one run's pairs is not the relation."""
    ps = {(u, u + 1) for u in range(5)} | {(7, 2)}
    u, v = z3.BitVec("u", 5), z3.BitVec("v", 5)
    assert _solutions(runs.holds(runs.runs(ps)[:-1], u, v), u, v) != ps


@given(st.lists(st.integers(0, 40), min_size=1, max_size=N))
def test_a_function_written_as_runs_gives_each_node_its_value(values: list[int]) -> None:
    x = z3.BitVec("x", 5)
    f = runs.function(values, x, 7)
    for i, want in enumerate(values):
        assert z3.simplify(z3.substitute(f, (x, z3.BitVecVal(i, 5)))).as_long() == want


@given(st.lists(st.integers(0, N - 1), max_size=N))
def test_member_is_the_set(idx: list[int]) -> None:
    x = z3.BitVec("x", 5)
    f = runs.member(x, idx)
    assert {i for i in range(N) if z3.is_true(z3.simplify(z3.substitute(f, (x, z3.BitVecVal(i, 5)))))} == set(idx)

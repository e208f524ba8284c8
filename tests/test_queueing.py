"""The center's queue: both engines against Erlang C, against each other, and degenerate cases."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from jukinet.model.queueing import fast, reference
from jukinet.model.queueing.erlang import erlang_c, mean_wait, wait_quantile
from jukinet.model.queueing.stationary import mmc_waits

POINTS = [(0.7, 1.0, 1), (3.0, 1.0, 4), (16.0, 2.0, 10), (40.0, 10.0, 5)]


def test_erlang_c_known_values() -> None:
    assert erlang_c(1, 0.5) == pytest.approx(0.5)  # M/M/1: P(wait) = rho
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert mean_wait(0.5, 1.0, 1) == pytest.approx(1.0)  # rho / (mu - lambda)
    assert wait_quantile(0.99, 0.5, 1.0, 1) == pytest.approx(np.log(0.5 / 0.01) / 0.5)


def _ci(values: list[float], level: float = 0.99) -> tuple[float, float]:
    x = np.asarray(values)
    half = stats.t.ppf(0.5 + level / 2, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x))
    return float(x.mean() - half), float(x.mean() + half)


@pytest.mark.parametrize(("lam", "mu", "c"), POINTS)
def test_fast_engine_agrees_with_erlang_c(lam: float, mu: float, c: int) -> None:
    rng = np.random.default_rng([2006, c])
    runs = [mmc_waits(lam, mu, c, 200_000, rng) for _ in range(10)]
    lo, hi = _ci([float(w.mean()) for w in runs])
    assert lo <= mean_wait(lam, mu, c) <= hi
    lo, hi = _ci([float((w > 0).mean()) for w in runs])
    assert lo <= erlang_c(c, lam / mu) <= hi


@pytest.mark.parametrize(("lam", "mu", "c"), POINTS[1:3])
def test_simpy_reference_agrees_with_erlang_c(lam: float, mu: float, c: int) -> None:
    rng = np.random.default_rng([2007, c])
    runs = [mmc_waits(lam, mu, c, 20_000, rng, engine="simpy") for _ in range(8)]
    lo, hi = _ci([float(w.mean()) for w in runs])
    assert lo <= mean_wait(lam, mu, c) <= hi


arrays = st.integers(0, 2**32 - 1).flatmap(
    lambda seed: st.tuples(st.just(seed), st.integers(0, 300), st.integers(0, 300), st.integers(1, 6), st.booleans())
)


@given(arrays)
def test_engines_give_identical_starts_on_a_shared_stream(args: tuple[int, int, int, int, bool]) -> None:
    seed, n0, n1, c, with_outage = args
    rng = np.random.default_rng(seed)
    a0, a1 = np.sort(rng.uniform(0, 100, n0)), np.sort(rng.uniform(0, 100, n1))
    s0, s1 = rng.exponential(0.8, n0), rng.exponential(0.3, n1)
    outage = (30.0, 45.0) if with_outage else None
    f0, f1 = fast.serve(a0, s0, a1, s1, np.zeros(c), outage=outage or (np.inf, np.inf))
    r0, r1 = reference.serve(a0, s0, a1, s1, c, outage)
    np.testing.assert_allclose(f0, r0, rtol=0, atol=1e-9)
    np.testing.assert_allclose(f1, r1, rtol=0, atol=1e-9)
    # priority: no batch request starts while an interactive one that arrived earlier still waits
    for j in range(len(f1)):
        assert not np.any((a0 < f1[j]) & (f0 > f1[j]))
    if outage:
        allstarts = np.concatenate([f0, f1])
        assert not np.any((allstarts >= 30.0) & (allstarts < 45.0)), "a service started during the outage"


def test_no_arrivals_no_waits() -> None:
    e = np.empty(0)
    s0, s1 = fast.serve(e, e, e, e, np.zeros(3))
    assert len(s0) == len(s1) == 0


def test_very_many_servers_means_no_queueing() -> None:
    w = mmc_waits(50.0, 1.0, 400, 20_000, np.random.default_rng(1))
    assert np.all(w == 0.0)


def test_chunked_run_equals_one_run() -> None:
    """The year runs day by day with the queue carried over midnight: same starts as one call."""
    rng = np.random.default_rng(3)
    a0, a1 = np.sort(rng.uniform(0, 200, 3000)), np.sort(rng.uniform(0, 200, 1000))
    s0, s1 = rng.exponential(0.25, 3000), rng.exponential(0.1, 1000)
    whole = fast.serve(a0, s0, a1, s1, np.zeros(2))
    free = np.zeros(2)
    got0, got1 = [], []
    p0, p1 = 0, 0
    for t_end in (50.0, 100.0, 150.0, np.inf):
        m0, m1 = np.searchsorted(a0, t_end), np.searchsorted(a1, t_end)
        st0, st1 = fast.serve(a0[p0:m0], s0[p0:m0], a1[p1:m1], s1[p1:m1], free, t_end)
        got0.append(st0)
        got1.append(st1)
        p0, p1 = p0 + len(st0), p1 + len(st1)
    np.testing.assert_array_equal(np.concatenate(got0), whole[0])
    np.testing.assert_array_equal(np.concatenate(got1), whole[1])

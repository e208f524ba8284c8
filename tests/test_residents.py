"""Drawing residents: uniform among the rows a mask selects, whether they are common, rare or absent."""

from __future__ import annotations

import numpy as np
import pytest

from jukinet.model.sim.residents import Residents


def _table(n: int) -> Residents:
    z = np.zeros(n)
    return Residents(
        z.astype(np.int64),
        z.astype(np.int32),
        z,
        z.astype(np.int8),
        np.ones(n, bool),
        z.astype(np.int32),
        z.astype(np.int32),
        np.zeros(n, bool),
        np.zeros(n, bool),
        n,
    )


@pytest.mark.parametrize("share", [0.5, 0.01, 0.0001])
def test_sample_is_uniform_among_the_selected_rows(share: float) -> None:
    res = _table(200_000)
    rng = np.random.default_rng(3)
    chosen = rng.choice(res.n, max(1, int(share * res.n)), replace=False)
    res.card[chosen] = True
    res.alive[chosen[: len(chosen) // 2]] = False
    rows = res.sample(rng, 20_000, res.card, res.alive)
    assert len(rows) == 20_000
    assert res.card[rows].all() and res.alive[rows].all()
    eligible = np.flatnonzero(res.card & res.alive)
    counts = np.bincount(np.searchsorted(eligible, rows), minlength=len(eligible))
    expected = 20_000 / len(eligible)
    chi2 = ((counts - expected) ** 2 / expected).sum()  # about len(eligible) - 1 if uniform
    dof = len(eligible) - 1
    assert abs(chi2 - dof) < 5 * (2 * dof) ** 0.5 + 5


def test_sample_of_no_rows_is_empty() -> None:
    res = _table(1_000)
    assert len(res.sample(np.random.default_rng(1), 5, res.card)) == 0
    assert len(res.sample(np.random.default_rng(1), 0, res.alive)) == 0


def test_sample_born_by_draws_only_those_old_enough() -> None:
    res = _table(50_000)
    res.dob[:] = np.linspace(-100.0, 100.0, res.n)
    half = res.sample(np.random.default_rng(2), 5_000, res.alive, born_by=0.0)
    assert len(half) == 5_000 and (res.dob[half] <= 0.0).all()
    few = res.sample(np.random.default_rng(2), 5_000, res.alive, born_by=-99.99)  # 3 rows: found by the scan
    assert len(few) == 5_000 and set(few.tolist()) == set(np.flatnonzero(res.dob <= -99.99).tolist())

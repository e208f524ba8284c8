"""No false alarm: every lawful change of scenarios/lawful stays all PROVED (a file of its own, so that the test
workers prove the lawful changes and the mutants of tests/test_proofs.py side by side)."""

from __future__ import annotations

from pathlib import Path

import pytest

from model.config.scenario import load
from proofs.catalogue import counts, prove
from proofs.mutation import mutants_dir

LAWFUL = sorted((mutants_dir().parent / "lawful").glob("*.toml"))


# Every lawful change in the slow tier; in the fast one, every second
LAWFUL_PARAMS = [pytest.param(p, id=p.stem, marks=() if i % 2 == 0 else pytest.mark.slow) for i, p in enumerate(LAWFUL)]


@pytest.mark.parametrize("path", LAWFUL_PARAMS)
def test_lawful_change_stays_all_proved(path: Path) -> None:
    """Every query PROVED (by the solver or the complete search) and every fact CHECKED, on every day."""
    sc = load(path)
    for _, _, day, _ in sc.periods():
        results = prove(day)
        assert all(counts(r) for r in results), [(r.id, r.name, r.verdict, r.counterexample) for r in results if not counts(r)]

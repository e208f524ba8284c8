"""No false alarm: every lawful change of scenarios/lawful stays all PROVED (a file of its own, so that the test
workers prove the lawful changes and the mutants of tests/test_mutants.py side by side)."""

from __future__ import annotations

from pathlib import Path

import pytest

from jukinet.model.config.scenario import load
from jukinet.proofs.catalogue import counts, prove
from jukinet.proofs.mutation import mutants_dir, own_periods

LAWFUL = sorted((mutants_dir().parent / "lawful").glob("*.toml"))


# Every lawful change in both tiers: in the fast one on the days its own changes begin (proofs.mutation.own_periods),
# in the slow one on every day of the year
LAWFUL_PARAMS = [pytest.param(p, False, id=p.stem) for p in LAWFUL] + [
    pytest.param(p, True, id=f"{p.stem}-every-day", marks=pytest.mark.slow) for p in LAWFUL
]


@pytest.mark.parametrize(("path", "every_day"), LAWFUL_PARAMS)
def test_lawful_change_stays_all_proved(path: Path, every_day: bool) -> None:
    """Every query PROVED (by the solver or the complete search) and every fact CHECKED, on every day."""
    sc = load(path)
    for _, _, day, _ in sc.periods() if every_day else own_periods(sc):
        results = prove(day)
        assert all(counts(r) for r in results), [(r.id, r.name, r.verdict, r.counterexample) for r in results if not counts(r)]

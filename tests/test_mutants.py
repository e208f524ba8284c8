"""Every mutant of scenarios/mutants is VIOLATED on its constraint (a file of its own, so that the test workers prove
the mutants, the lawful changes of tests/test_lawful.py and the rest of tests/test_proofs.py side by side)."""

from __future__ import annotations

from pathlib import Path

import pytest

from jukinet.model.cli.main import main
from jukinet.model.config.scenario import load
from jukinet.model.world.topology import structural_checks
from jukinet.proofs.catalogue import prove, verdict_of
from jukinet.proofs.mutation import mutants_dir, own_periods
from jukinet.proofs.replay import route_replays

MUTANTS = sorted(mutants_dir().glob("*.toml"))


# Every mutant in both tiers: in the fast one on the days its own changes begin (proofs.mutation.own_periods), in
# the slow one on every day of the year (CI's wheel check runs `jukinet mutants` on one of each constraint)
MUTANT_PARAMS = [pytest.param(p, False, id=p.stem) for p in MUTANTS] + [
    pytest.param(p, True, id=f"{p.stem}-every-day", marks=pytest.mark.slow) for p in MUTANTS
]


@pytest.mark.parametrize(("path", "every_day"), MUTANT_PARAMS)
def test_every_mutant_is_violated_on_its_constraint(path: Path, every_day: bool) -> None:
    """Caught on its constraint, with a counterexample that replays; and `jukinet network` names no violation
    that `jukinet prove` does not (issue 26: one verdict; its structural checks are catalogue properties)."""
    whole = load(path)
    cid = whole.config.scenario.mutant_of
    caught = False
    for _, _, sc, _ in whole.periods() if every_day else own_periods(whole):  # a change may open the leak from its day
        flagged = {c.constraint for c in structural_checks(sc.graph, sc.policy, sc.config.statute) if not c.passed}
        results = prove(sc, only=tuple(sorted({cid} | flagged)))
        caught = caught or verdict_of(results, cid) == "VIOLATED"
        assert all(verdict_of(results, c) == "VIOLATED" for c in flagged), flagged
        bad = [r for r in results if r.verdict == "VIOLATED"]
        assert all(r.counterexample for r in bad)
        for r in bad:
            if "route" in r.counterexample:
                assert route_replays(sc, r.counterexample["route"]), r.counterexample
    assert caught, cid


def test_mutants_command_proves_the_files_it_is_given(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`jukinet mutants PATH ...` proves only those; a path that is no mutant file or folder exits 2 naming it."""
    assert main(["mutants", "--no-replay", str(MUTANTS[0])]) == 0
    assert "mutation score 1/1" in capsys.readouterr().out
    empty, plain = tmp_path / "empty", tmp_path / "plain.toml"
    empty.mkdir()
    plain.write_text('[scenario]\nname = "plain"\n', encoding="utf-8")
    for bad, key in ((tmp_path / "missing.toml", "PATH"), (empty, "PATH"), (plain, "scenario.mutant_of")):
        assert main(["mutants", str(bad)]) == 2
        err = capsys.readouterr().err
        assert f"{bad}: {key}:" in err and "Traceback" not in err

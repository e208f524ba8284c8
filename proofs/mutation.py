"""The mutation suite: every mutant configuration in scenarios/mutants must be VIOLATED on the
constraint it names (`[scenario] mutant_of`), and its counterexample must replay.  The mutation
score is the share of mutants caught."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from model.config.scenario import load
from proofs.catalogue import prove
from proofs.replay import Replay, replay


@dataclass(frozen=True)
class MutantOutcome:
    file: str
    constraint: str
    verdict: str
    caught: bool
    counterexample: dict[str, Any] | None
    replay: Replay | None


def mutants_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "scenarios" / "mutants"


def run_mutants(files: list[Path] | None = None, with_replay: bool = True) -> dict[str, Any]:
    outcomes = []
    for f in files or sorted(mutants_dir().glob("*.toml")):
        whole = load(f)
        cid = whole.config.scenario.mutant_of
        sc, res = whole, None
        for _, _, day, _ in whole.periods():  # a dated change may open the leak only from its day
            mine = [r for r in prove(day, only=(cid,)) if r.id == cid]
            violated = [r for r in mine if r.verdict == "VIOLATED"]
            sc, res = day, violated[0] if violated else mine[0]
            if violated:
                break
        assert res is not None
        caught = res.verdict == "VIOLATED"
        rep = replay(sc, res) if caught and with_replay else None
        outcomes.append(MutantOutcome(f.name, cid, res.verdict, caught, res.counterexample, rep))
    n_caught = sum(o.caught and (o.replay is None or o.replay.ok) for o in outcomes)
    return {
        "mutants": outcomes,
        "caught": n_caught,
        "shown_in_simulation": sum(o.replay is not None and o.replay.simulation == "shows it" for o in outcomes),
        "total": len(outcomes),
        "score": n_caught / len(outcomes) if outcomes else 0.0,
    }

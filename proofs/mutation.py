"""The mutation suite: every mutant configuration in scenarios/mutants must be VIOLATED on the
constraint it names (`[scenario] mutant_of`), and its counterexample must replay.  The mutation
score is the share of mutants caught."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jukinet.model.config.scenario import Scenario, load
from jukinet.model.core.errors import UserError
from jukinet.proofs.catalogue import PASSING, prove
from jukinet.proofs.replay import Replay, replay


@dataclass(frozen=True)
class MutantOutcome:
    file: str
    constraint: str
    verdict: str
    caught: bool
    counterexample: dict[str, Any] | None
    replay: Replay | None
    # constraints the replay's audit names a record on that `jukinet prove` proves of the same configuration (one
    # verdict: the audit, the network's checks and the proof must not disagree); empty when they agree
    audit_only: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.caught and (self.replay is None or self.replay.ok) and not self.audit_only


def mutants_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "scenarios" / "mutants"


@cache
def _default_changes() -> frozenset[tuple[dt.date, str]]:
    return frozenset((ch.date, json.dumps(ch.patch, sort_keys=True, default=str)) for ch, _ in load(None).timeline)


def own_periods(sc: Scenario) -> list[tuple[dt.date, dt.date, Scenario, Any]]:
    """The periods of `sc` that its own changes begin: the year's first, and each one whose dated change is not
    the defaults' (the year's mergers and Yokohama's, which the year's own tests prove on every day).  The fast
    tier proves a mutant or a lawful change on these; the slow tier and `jukinet mutants` on every period."""
    base = _default_changes()
    ps = sc.periods()
    return ps[:1] + [p for p in ps[1:] if p[3] is None or (p[0], json.dumps(p[3].patch, sort_keys=True, default=str)) not in base]


def run_mutants(files: list[Path] | None = None, with_replay: bool = True) -> dict[str, Any]:
    outcomes = []
    for f in files or sorted(mutants_dir().glob("*.toml")):
        whole = load(f)
        cid = whole.config.scenario.mutant_of
        if not cid:
            raise UserError(str(f), "scenario.mutant_of", "missing; allowed: the constraint the mutant breaks, C01 .. C16 or L01")
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
        named = [c for c in rep.audit_named if c != cid] if rep is not None else []
        audit_only = tuple(c for c in named if all(r.verdict in PASSING for r in prove(sc, only=(c,))))
        outcomes.append(MutantOutcome(f.name, cid, res.verdict, caught, res.counterexample, rep, audit_only))
    n_caught = sum(o.ok for o in outcomes)
    return {
        "mutants": outcomes,
        "caught": n_caught,
        "shown_in_simulation": sum(o.replay is not None and o.replay.simulation == "shows it" for o in outcomes),
        "total": len(outcomes),
        "score": n_caught / len(outcomes) if outcomes else 0.0,
    }

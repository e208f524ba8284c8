"""Running one property: the SMT query under a budget, the vacuity check, the counterexample and
its generalisation, the SMT-LIB certificate and its re-check by a second solver (cvc5).

A property is `premise -> goal` over the symbolic request (or over a finite table of facts for
structural properties).  The query asks for `premise and not goal`: unsat is PROVED, sat is
VIOLATED with the model as counterexample, anything else is UNKNOWN and never a pass.  Before
that, `premise` alone must be satisfiable, or the property would hold vacuously (UNKNOWN).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import z3

TIMEOUT_MS = 10_000
RLIMIT = 50_000_000


@dataclass(frozen=True)
class Result:
    """The verdict on one property of the catalogue."""

    id: str  # C01 .. C16
    name: str  # the property, named after the rule of law it checks
    articles: tuple[str, ...]
    statement: str
    verdict: str  # PROVED | VIOLATED | UNKNOWN
    counterexample: dict[str, Any] | None
    rules: tuple[str, ...] = ()
    seconds: float = 0.0
    certificate: dict[str, Any] | None = None
    note: str = ""
    hashes: dict[str, str] = field(default_factory=dict)
    basis: str = "solver query"  # "solver query" (PROVED / VIOLATED / UNKNOWN) or "checked fact" (CHECKED / VIOLATED)
    binding: bool = True  # False: a design property (L01) this configuration does not claim; shown, never counted


def solver() -> z3.Solver:
    s = z3.Solver()
    s.set("timeout", TIMEOUT_MS)
    s.set("rlimit", RLIMIT)
    return s


def check(*formulas: z3.BoolRef) -> tuple[z3.CheckSatResult, z3.ModelRef | None]:
    s = solver()
    s.add(*formulas)
    r = s.check()
    return r, (s.model() if r == z3.sat else None)


def query_smt2(premise: z3.BoolRef, goal: z3.BoolRef) -> str:
    """The query as SMT-LIB2, with plain asserts (no tracked assumptions, which to_smt2 would drop)."""
    s = z3.Solver()
    s.add(premise, z3.Not(goal))
    return "(set-logic ALL)\n" + str(s.to_smt2())


def cvc5_check(smt2: str) -> str:
    """The second solver's answer on an exported query: sat, unsat or unknown."""
    import cvc5

    tm = cvc5.TermManager()
    slv = cvc5.Solver(tm)
    slv.setOption("tlimit-per", str(TIMEOUT_MS))
    # cvc5's own bit-blaster: the nodes are bit-vectors compared by ranges (proofs/runs.py); the default
    # bit-vector solver took 8.6 s on C03's link query, this one 0.13 s, with the same answer on every query
    slv.setOption("bv-solver", "bitblast-internal")
    parser = cvc5.InputParser(slv)
    parser.setStringInput(cvc5.InputLanguage.SMT_LIB_2_6, smt2, "certificate")
    sm = parser.getSymbolManager()
    answer = "unknown"
    while True:
        cmd = parser.nextCommand()
        if cmd.isNull():
            break
        out = str(cmd.invoke(slv, sm)).strip()
        if out in ("sat", "unsat", "unknown"):
            answer = out
    return answer


def versions() -> dict[str, str]:
    import cvc5

    return {"z3": str(z3.get_version_string()), "cvc5": str(getattr(cvc5, "__version__", "?"))}


def run_property(
    pid: str,
    name: str,
    articles: tuple[str, ...],
    statement: str,
    premise: z3.BoolRef,
    goal: z3.BoolRef,
    decode: Any,
    fields: dict[str, Any] | None = None,
    certificates: Path | None = None,
    hashes: dict[str, str] | None = None,
    rules_of: Any = None,
    situation: z3.BoolRef | None = None,
) -> Result:
    """Decide `premise -> goal`; decode a counterexample with `decode(model, generalised)`.

    The vacuity check asks that the `situation` the law speaks of (default: the premise) can arise
    at all; a property such as "no private party keeps a code database" is then PROVED when no
    rule permits it, but not when no such request could even be asked.
    """
    t = time.perf_counter()
    hashes = dict(hashes or {})
    vac, _ = check(premise if situation is None else situation)
    if vac != z3.sat:
        return Result(
            pid,
            name,
            articles,
            statement,
            "UNKNOWN",
            None,
            seconds=time.perf_counter() - t,
            note="vacuous: no request or fact satisfies the premises" if vac == z3.unsat else f"vacuity check {vac}",
            hashes=hashes,
        )
    res, model = check(premise, z3.Not(goal))
    verdict = "PROVED" if res == z3.unsat else "VIOLATED" if res == z3.sat else "UNKNOWN"
    cex = None
    rules: tuple[str, ...] = ()
    if model is not None:
        general = generalise(premise, goal, model, fields or {})
        cex = decode(model, general)
        rules = tuple(rules_of(model)) if rules_of else ()
    cert = None
    if certificates is not None and verdict in ("PROVED", "VIOLATED"):
        smt2 = query_smt2(premise, goal)
        certificates.mkdir(parents=True, exist_ok=True)
        path = certificates / f"{pid}_{name}.smt2"
        path.write_text(smt2, encoding="utf-8")
        second = cvc5_check(smt2)
        cert = {
            "file": str(path),
            "sha256": hashlib.sha256(smt2.encode()).hexdigest(),
            "cvc5": second,
            "agrees": second == ("unsat" if verdict == "PROVED" else "sat"),
        }
        if not cert["agrees"]:
            verdict = "UNKNOWN"
    hashes.update(versions())
    note = "" if verdict != "UNKNOWN" or res != z3.unknown else "solver gave up (timeout or resource limit)"
    return Result(pid, name, articles, statement, verdict, cex, rules, time.perf_counter() - t, cert, note, hashes)


def generalise(premise: z3.BoolRef, goal: z3.BoolRef, model: z3.ModelRef, fields: dict[str, Any]) -> set[str]:
    """Fields that do not matter: with every other field fixed, another value still breaks the property, and no value
    the premise admits keeps it (shown as "any": whatever the field, the request is a breach)."""
    free = set()
    fixed = {k: model.eval(x, model_completion=True) for k, x in fields.items()}
    for k, x in fields.items():
        others = [fields[j] == fixed[j] for j in fields if j != k]
        r, _ = check(premise, z3.Not(goal), *others, x != fixed[k])
        if r == z3.sat and check(premise, goal, *others)[0] == z3.unsat:
            free.add(k)
    return free

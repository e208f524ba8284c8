"""L01, a design property: no two bodies hold a common identifier of a resident (名寄せ without the hub).

Not a constraint of the Act (C01-C16): FY2006's Act gives every recipient the same resident code
(Art. 30-7, 30-30), so the property is false there by design, and `jukinet prove` shows it false with two
bodies as the counterexample.  The My Number design (番号法, 機関別符号; `[identifiers] scheme =
"agency_codes"`) claims it, and there it binds: a VIOLATED L01 then fails the proof.

The query quantifies over every body the configuration names, each its own principal (every node outside
Juki-net, so each municipal head and each governor, and every registered body no node stands for: one
bit-vector value each) and over residents (an uninterpreted sort); `common_code_bodies` names registry
bodies, so it hands the code to every office of one (1,800 municipal heads share it, and can join by it).
What body b receives for resident r is

    ident(b, r) = code(r)       if b receives the common code (the scheme, or `common_code_bodies`)
                  agency(b, r)  otherwise,

and the hub is specified, not computed: identifiers are a datatype whose `agency` constructor is one-to-one
(an agency code names its body and its resident) and distinct from `code` (no agency code is a resident
code).  The query is quantifier-free, so both solvers decide it (cvc5 re-checks the certificate).
model/sim/hub.py realises exactly this; the run's linkage measure (model/law/linkage.py) counts the joins it allows.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

import z3

from jukinet.proofs import runs
from jukinet.proofs.context import Context
from jukinet.proofs.engine import Result, run_property

ARTICLES = ("Art. 30-7", "Art. 30-30", "My Number Act Art. 2(8)")
_FRESH = itertools.count()  # z3 declares sorts once per process: each query gets its own names
STATEMENT = (
    "no two distinct bodies receive the same identifier for a resident, so none can join its records with "
    "another's without the hub (the Supreme Court's premise of 2008-03-06 that no body can aggregate the data)"
)


def no_common_identifier_outside_the_hub(ctx: Context) -> Result:
    t = time.perf_counter()
    cfg = ctx.sc.config.identifiers
    flow = ctx.flow
    # every body its own principal (each municipal head and each governor is the organ of its own local public
    # body), and every registered body no node stands for; grouped by registry body, so each group is an interval
    of = {n: flow.requester_of(n) for n in flow.bodies}
    statute = ctx.sc.config.statute
    designated, rows = {x.id for x in statute.body if x.designated}, statute.rows
    several = {x.id for x in statute.body if x.several}
    stood_for = set(of.values())
    for b, body in ctx.sc.policy.bodies.items():
        # a class of designated corporations is one per Act that designates it (a checked fact: the laws of its
        # rows), whether or not a node stands for the class: two of them stand for them all
        laws = sorted({rows[a].law_en for a in body.affairs if a in rows}) if b in designated else []
        if len(laws) > 1:
            of |= {f"{b}@{law}": b for law in laws[:2]}
            continue
        if b in several:  # several corporations under one id (a checked fact: statute.body several): two stand for all
            of |= {f"{b}@one": b, f"{b}@another": b}
            continue
        if b in stood_for:
            continue
        # a registered body no node stands for: a local body is one per prefecture or municipality (an election
        # board of each city), and two of its offices stand for them all; a national or private body is one
        places = ("one place", "another place") if body.level == "local" else ("",)
        of |= {f"{b}@{p}" if p else b: b for p in places}
    names = sorted(of, key=lambda x: (of[x], x))
    if len(names) < 2:
        return Result(
            "L01",
            "no_common_identifier_outside_the_hub",
            ARTICLES,
            STATEMENT,
            "UNKNOWN",
            None,
            note="fewer than two bodies: nothing to join",
            binding=cfg.scheme != "common_code",
        )
    n = next(_FRESH)
    body = z3.BitVecSort(max(1, (len(names) - 1).bit_length()))
    resident = z3.DeclareSort(f"Resident{n}")
    # the hub's specification as a datatype: an agency code names its body and its resident (its
    # constructor is one-to-one) and is never a resident code (another constructor)
    dt = z3.Datatype(f"Identifier{n}")
    dt.declare("code", ("resident_of_code", resident))
    dt.declare("agency", ("body_of", body), ("resident_of", resident))
    ident_sort = dt.create()
    code, agency = ident_sort.code, ident_sort.agency
    common_set = set(of.values()) if cfg.scheme == "common_code" else set(cfg.common_code_bodies)
    common_idx = [i for i, x in enumerate(names) if of[x] in common_set]

    def common(x: z3.ExprRef) -> z3.BoolRef:  # the configuration's data, compiled: which bodies get the code
        return runs.member(x, common_idx)

    def ident(x: z3.ExprRef, y: z3.ExprRef) -> z3.ExprRef:
        return z3.If(common(x), code(y), agency(x, y))

    b1, b2, who = z3.Const("b1", body), z3.Const("b2", body), z3.Const("who", resident)
    premise = z3.And(b1 != b2, runs.member(b1, list(range(len(names)))), runs.member(b2, list(range(len(names)))))
    goal = ident(b1, who) != ident(b2, who)

    def decode(model: z3.ModelRef, _general: Any) -> dict[str, Any]:
        a, c = (names[model.eval(x, model_completion=True).as_long()] for x in (b1, b2))
        return {"bodies": [a, c], "why": f"{a} and {c} both receive the common resident code: they can join their records by it"}

    res = run_property(
        "L01",
        "no_common_identifier_outside_the_hub",
        ARTICLES,
        STATEMENT,
        premise,
        goal,
        decode,
        None,
        ctx.certificates,
        ctx.hashes,
    )
    claimed = cfg.scheme != "common_code"
    note = "" if claimed else "a design property FY2006's common code does not claim (Art. 30-7, 30-30): shown, not counted"
    return Result(**{**res.__dict__, "binding": claimed, "note": res.note or note, "seconds": time.perf_counter() - t})

"""Benchmark of `jukinet prove` on the FY2006 baseline (target: the whole catalogue with cvc5
certificates in <= 10 s; a counterexample route adds <= 1 s), with and without the SMT-LIB export
and cvc5 re-check of every certificate, and the cost of a counterexample route on flow mutants.

    python bench/proofs_bench.py

Prints the time per property and the totals, measured in this process after loading the scenario.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from model.scenario import load
from proofs.catalogue import PASSING, prove
from proofs.mutation import mutants_dir

ROUTE_MUTANTS = ("c03_agency_to_agency_link", "c04_cross_affair_use", "c12_disclosure_to_anyone", "c01_transfer_notice_unsealed")


def main() -> None:
    sc = load(None)
    _ = sc.graph, sc.municipalities  # build the network first: it is the scenario's, not the proof's
    t = time.perf_counter()
    plain = prove(sc)
    t_plain = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter()
        certified = prove(sc, Path(d))
        t_cert = time.perf_counter() - t
    print(f"{'id':<5} {'property':<62} {'basis':<12} {'verdict':<9} {'z3 only':>9} {'+ cvc5':>9}")
    for a, b in zip(plain, certified, strict=True):
        print(f"{a.id:<5} {a.name:<62} {a.basis:<12} {b.verdict:<9} {a.seconds:8.3f}s {b.seconds:8.3f}s")
    print(f"total: {t_plain:.2f} s (z3 only), {t_cert:.2f} s with certificates re-checked by cvc5; target <= 10 s")
    print(f"every query PROVED and every fact CHECKED: {all(r.verdict in PASSING for r in certified)}")
    print("\ncounterexample routes (the flow property of the mutant's constraint; the route is the breadth-first")
    print("search of model/flow.py after the solver's VIOLATED):")
    for name in ROUTE_MUTANTS:
        m = load(mutants_dir() / f"{name}.toml")
        _ = m.graph
        cid = m.config.scenario.mutant_of
        t = time.perf_counter()
        res = [r for r in prove(m, only=(cid,)) if r.verdict == "VIOLATED" and "route" in (r.counterexample or {})]
        took = time.perf_counter() - t
        base = sum(r.seconds for r in plain if r.id == cid) + sum(r.seconds for r in plain if r.id == "LEMMA")
        hops = len(res[0].counterexample["route"]) if res else 0
        print(f"  {name:<40} {cid}: {took:6.2f} s with the route ({hops} hops) vs {base:5.2f} s proving it on the baseline")


if __name__ == "__main__":
    main()

"""Benchmark of `jukinet prove` on the FY2006 baseline (target: the whole catalogue with cvc5
certificates in <= 10 s over every node as its own principal; the year's configurations in <= 30 s; a
counterexample route adds <= 1 s), with and without the SMT-LIB export and cvc5 re-check of every
certificate, and the cost of a counterexample route on every flow mutant.

    python bench/proofs_bench.py
    python bench/proofs_bench.py --reference [--sample N --seed S] [--jobs N]   # every single edit, or a sample

Prints the time per property and the totals, measured in this process after loading the scenario.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from jukinet.model.config.scenario import load
from jukinet.proofs.catalogue import PASSING, prove
from jukinet.proofs.mutation import mutants_dir


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--reference",
        action="store_true",
        help="compare the independent reference with the prover on every single edit of the reduced network "
        "(issue 26); the other options go to proofs.edits (--sample N --seed S --family F --jobs N --count)",
    )
    args, rest = ap.parse_known_args()
    if args.reference:
        from jukinet.proofs.edits import main as edits

        sys.exit(edits(rest or ["--jobs", "2"]))
    if rest:
        ap.error(f"unknown arguments {' '.join(rest)} (they are read with --reference only)")
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
    nodes = len(sc.graph) + 2
    print(f"over {nodes:,} nodes, each its own element and principal (the two residents included); nothing merged")
    periods = sc.periods()
    t = time.perf_counter()
    for _, _, day, _ in periods:
        prove(day)
    t_year = time.perf_counter() - t
    each = t_year / len(periods)
    print(f"the year: {len(periods)} configurations proved in {t_year:.2f} s (z3 only; {each:.2f} s each); target <= 30 s")
    print("\ncounterexample routes: every mutant of a flow constraint (C01-C04, C12); the time the route search adds")
    print("after the solver's VIOLATED (the breadth-first search of model/law/flow.py), and the whole property for scale:")
    extra = []
    for path in sorted(mutants_dir().glob("*.toml")):
        m = load(path)
        _ = m.graph
        cid = m.config.scenario.mutant_of
        if cid not in ("C01", "C02", "C03", "C04", "C12"):
            continue
        for r in prove(m, only=(cid,)):
            cex = r.counterexample or {}
            if r.verdict == "VIOLATED" and "route_search_seconds" in cex:
                extra.append(cex["route_search_seconds"])
                print(
                    f"  {path.stem:<42} {cid}: route of {len(cex['route'])} hops found in {cex['route_search_seconds']:5.2f} s "
                    f"(the property took {r.seconds:5.2f} s)"
                )
    print(f"a route adds at most {max(extra):.2f} s (median {sorted(extra)[len(extra) // 2]:.2f} s); target <= 1 s")


if __name__ == "__main__":
    main()

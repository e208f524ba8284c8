"""Benchmark of `jukinet prove` on the FY2006 baseline (target: the whole catalogue in <= 10 s),
with and without the SMT-LIB export and cvc5 re-check of every certificate.

    python bench/proofs_bench.py

Prints the time per constraint and the total, measured in this process after loading the scenario.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from model.scenario import load
from proofs.catalogue import prove


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
    print(f"{'id':<4} {'verdict':<9} {'z3 only':>9} {'z3 + cvc5 certificate':>22}")
    for a, b in zip(plain, certified, strict=True):
        print(f"{a.id:<4} {b.verdict:<9} {a.seconds:8.3f}s {b.seconds:21.3f}s")
    print(f"total: {t_plain:.2f} s (z3 only), {t_cert:.2f} s with certificates re-checked by cvc5; target <= 10 s")
    print(f"all PROVED: {all(r.verdict == 'PROVED' for r in certified)}")


if __name__ == "__main__":
    main()

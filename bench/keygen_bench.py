"""Seconds per chip key by `[cards].signature_algorithm` (model/sim/card.py), which model/config/estimate.py
uses to estimate a run's time: python bench/keygen_bench.py [N]"""

from __future__ import annotations

import sys
import time

from jukinet.model.sim.card import KEYS, new_key


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    base = None
    for algorithm in KEYS:
        t = time.perf_counter()
        for _ in range(n):
            new_key(algorithm)
        per = (time.perf_counter() - t) / n
        base = base or per
        print(f"{algorithm:<11} {per * 1000:9.3f} ms a key  ({per / base:8.1f} x {KEYS[0]})  over {n} keys")


if __name__ == "__main__":
    main()

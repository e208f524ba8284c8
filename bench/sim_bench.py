"""Benchmark of the fiscal-year simulation (targets on a 2-core machine: a 1/100-scale year in
<= 60 s; a full-scale year in <= 30 minutes within 16 GB).

    python bench/sim_bench.py [--scales 0.01 0.1]

Each scale runs in its own child process (`jukinet run`), so its wall time and peak resident
memory are its own.  Prints events per second (resident events + notifications + provision
requests + access-log records), wall time, peak memory, and a linear projection to scale 1
from the two scales.  The projection is only a guide: larger arrays make the full-scale run
slower than linear; measure it with `/usr/bin/time -v jukinet run --scale 1` (about 13 GB).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run_scale(scale: float, out: Path) -> dict[str, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "model.cli", "run", "--scale", str(scale), "--seed", "2006", "--out", str(out), "--json"],
        check=True,
        capture_output=True,
    )
    wall = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    s = json.loads((out / "summary.json").read_text())
    f = s["figures"]
    events = (
        sum(f[k]["value"] for k in ("births", "deaths", "moves_between", "moves_within", "name_changes", "code_changes"))
        + f["notifications"]["value"]
        + f["provisions_national"]["value"]
        + f["provisions_local"]["value"]
        + f["refusals"]["value"]
        + s["log_head"]["count"]
    )
    return {
        "scale": scale,
        "wall": wall,
        "peak_mb": max(peak, before) / 1024,
        "events": events,
        "residents": s["residents_start"],
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scales", type=float, nargs="+", default=[0.01, 0.1])
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for scale in args.scales:
            r = run_scale(scale, Path(d) / f"s{scale}")
            rows.append(r)
            print(
                f"scale {scale:<6} residents {r['residents']:>12,.0f}  wall {r['wall']:7.1f} s  "
                f"events {r['events']:>13,.0f}  {r['events'] / r['wall']:>10,.0f} events/s  peak RSS {r['peak_mb']:8,.0f} MB"
            )
    big = max(rows, key=lambda r: r["scale"])
    small = min(rows, key=lambda r: r["scale"])
    if big is not small:
        slope_t = (big["wall"] - small["wall"]) / (big["scale"] - small["scale"])
        slope_m = (big["peak_mb"] - small["peak_mb"]) / (big["scale"] - small["scale"])
        print(
            f"projection to scale 1 (linear through scales {small['scale']} and {big['scale']}): "
            f"wall {small['wall'] + slope_t * (1 - small['scale']):,.0f} s (target <= 1800 s), "
            f"peak RSS {small['peak_mb'] + slope_m * (1 - small['scale']):,.0f} MB (target <= 16384 MB)"
        )
    print(f"target at scale 0.01: <= 60 s; measured {next((r['wall'] for r in rows if r['scale'] == 0.01), float('nan')):.1f} s")


if __name__ == "__main__":
    main()

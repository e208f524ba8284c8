"""Benchmark of `jukinet sweep` on Dask (target on a 2-core machine: two workers take at most 0.6 of one
worker's time, and the table is identical).

    python bench/sweep_bench.py                       # card uptake 1 %, 10 %, 30 %, 60 % x 3 at scale 0.001
    python bench/sweep_bench.py --scale 0.002 --replications 2

Runs the same seeded grid twice in this process, on a local Dask cluster of one worker and then of two
(each single-threaded worker its own process, cluster start-up included), and prints each wall time,
the ratio, and whether the two tidy tables are equal value for value.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from jukinet.model.workbench.grid import Point, run_tasks, tasks_of, tidy  # noqa: E402

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "fy2006_baseline.toml"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=0.001)
    ap.add_argument("--replications", type=int, default=3)
    ap.add_argument("--uptake", default="0.01,0.1,0.3,0.6")
    a = ap.parse_args()
    points = [Point(f"cards.uptake={u}", str(SCENARIO), (("cards.uptake", float(u)),)) for u in a.uptake.split(",")]
    tasks = tasks_of(points, a.replications, 2006)
    tables, times = {}, {}
    for workers in (1, 2):
        t = time.perf_counter()
        if workers > 1:
            results = run_tasks(points, tasks, a.scale, workers=workers)
        else:  # one worker: a Dask cluster too, so both sides pay the same start-up
            from dask.distributed import LocalCluster

            with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
                results = run_tasks(points, tasks, a.scale, workers=1, scheduler=cluster.scheduler_address)
        times[workers] = time.perf_counter() - t
        tables[workers] = tidy(points, tasks, results)
        print(f"{workers} worker(s): {len(tasks)} runs at scale {a.scale} in {times[workers]:.1f} s", flush=True)
    ratio = times[2] / times[1]
    same = tables[1].equals(tables[2])
    print(f"two workers / one worker: {ratio:.3f} (target <= 0.6: {'met' if ratio <= 0.6 else 'NOT met'})")
    print(f"tables identical: {same} ({tables[1].num_rows} rows)")
    return 0 if same and ratio <= 0.6 else 1


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark of the load test (issue: a whole FY2006 year in <= 30 s and <= 2 GB with the fast engine;
the simpy reference at least 30x slower per request on a shared sample; identical waits).

    python bench/loadtest_bench.py [--sample-day busiest]

Prints: the year's wall time and requests per second (fast engine, one replication, in a child
process so that its peak resident memory is measured alone), the simpy reference's time on
the busiest day with the speed ratio against the fast engine on the same arrays, and the
identical-waits check.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time

CHILD = """
import json, time
from jukinet.model.config.scenario import load
from jukinet.model.queueing.loadtest import spec_for
from jukinet.model.queueing.year import run_year
t = time.perf_counter()
spec = spec_for(load(None))
out = run_year(spec, seed=2006)
print(json.dumps({"wall": time.perf_counter() - t, "requests": out["requests"]["total"],
                  "p99": out["by_class"]["interactive"]["response"]["p99"]}))
"""


def main() -> None:
    # Warm the numba cache so the child measures the run, not the compilation.
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from model.queueing import fast; import numpy as np; e=np.empty(0); fast.serve(e,e,e,e,np.zeros(1))",
        ],
        check=True,
    )
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, check=True)
    total_wall = time.perf_counter() - t
    year = json.loads(proc.stdout)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print("FY2006 year, fast engine, 1 replication")
    print(f"  requests            {year['requests']:,}")
    print(f"  wall time (run)     {year['wall']:.1f} s   (process incl. start-up {total_wall:.1f} s)   target <= 30 s")
    print(f"  throughput          {year['requests'] / year['wall'] / 1e6:.2f} M requests/s")
    print(f"  peak memory (RSS)   {peak_mb:,.0f} MB   target <= 2048 MB")
    print(f"  interactive p99     {year['p99']:.3f} s")

    from jukinet.model.config.scenario import load
    from jukinet.model.queueing.loadtest import spec_for
    from jukinet.model.queueing.year import focus_day, identical_waits

    sc = load(None)
    spec = spec_for(sc)
    day = focus_day(spec.workload, sc.config.center)
    cmp = identical_waits(spec, seed=2006, day=day)
    ratio = cmp["simpy_seconds"] / cmp["fast_seconds"]
    print(f"\nshared-stream sample: the busiest day ({spec.workload.cal.days[day]}), {cmp['requests']:,} requests")
    print(f"  simpy reference     {cmp['simpy_seconds']:.2f} s  ({cmp['requests'] / cmp['simpy_seconds']:,.0f} requests/s)")
    print(f"  fast engine         {cmp['fast_seconds']:.4f} s  ({cmp['requests'] / cmp['fast_seconds']:,.0f} requests/s)")
    print(f"  speed ratio         {ratio:,.0f}x   target >= 30x")
    print(f"  identical waits     {cmp['identical']} (max |difference| {cmp['max_abs_difference_s']:.3g} s)")
    year_ratio = (cmp["simpy_seconds"] / cmp["requests"]) / (year["wall"] / year["requests"])
    print(f"  simpy per request vs the whole fast year per request (incl. workload and statistics): {year_ratio:,.0f}x")


if __name__ == "__main__":
    main()

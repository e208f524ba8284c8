"""Benchmark of `jukinet audit` (issue 12, item 5; targets on this 2-core machine: the audit of a 1/10-scale run
within 60 s and 2 GB, of the full-scale run within 10 minutes and 4 GB).

    python bench/audit_bench.py                      # a 1/10-scale run made for it (about 5 min), then its audit
    python bench/audit_bench.py --scales 0.01 0.1 1  # and the full-scale run (about 90 min and 16.5 GB to make)
    python bench/audit_bench.py --run DIR            # audit a run folder already written (jukinet run --out DIR)
    python bench/audit_bench.py --scales 1 --keep D  # keep the run folders in D

Each run is made by `jukinet run --no-prove` in a child process; then, each in a child process of its own so
its time and memory are its own: the reference, a pass that only reads every record table batch by batch with
its page checksums verified (what the audit cannot do less than), and `jukinet audit RUN --json`.  Prints the
log's records, the wall time and peak resident memory (the child's ru_maxrss) of both, and the audit's ratio
to the reference.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

READ_ONLY = """
import sys
from pathlib import Path
import pyarrow.parquet as pq
rows = 0
for path in sorted(Path(sys.argv[1], "records").glob("*.parquet")):
    for b in pq.ParquetFile(path, page_checksum_verification=True, pre_buffer=False).iter_batches(batch_size=1 << 17):
        rows += b.num_rows
print(rows)
"""

TARGETS = {0.1: (60.0, 2048.0), 1.0: (600.0, 4096.0)}  # scale: (seconds, MB)


def measured(cmd: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak resident MB (ru_maxrss of the child) and standard output."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode not in (0, 1):  # the audit exits 1 when it has findings
            raise SystemExit(f"{' '.join(cmd[:4])} failed: {err.read().decode()[-2000:]}")
        return wall, usage.ru_maxrss / 1024, out.read().decode()


def make_run(scale: float, out: Path) -> None:
    cmd = [sys.executable, "-m", "model.cli.main", "run", "--scale", str(scale), "--out", str(out), "--no-prove", "--force"]
    print(f"making a run at scale {scale} into {out} ...", flush=True)
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print(f"  made in {time.perf_counter() - t:,.0f} s", flush=True)


def bench(run: Path) -> None:
    summary = json.loads((run / "summary.json").read_text())
    scale, records = float(summary["scale"]), int(summary["log_head"]["count"])
    ref_wall, ref_mb, rows = measured([sys.executable, "-c", READ_ONLY, str(run)])
    wall, mb, out = measured([sys.executable, "-m", "model.cli.main", "audit", str(run), "--json"])
    res = json.loads(out)
    findings = sum(res["counts"].values())
    print(
        f"scale {scale:<6} log records {records:>12,}  all rows {int(rows):>12,}\n"
        f"  reference (read every table, checksums verified): {ref_wall:7.1f} s  peak {ref_mb:7,.0f} MB\n"
        f"  jukinet audit:                                    {wall:7.1f} s  peak {mb:7,.0f} MB  "
        f"({wall / ref_wall:.2f} x the reference's time; {findings:,} findings, clean: {res['clean']})",
        flush=True,
    )
    if scale in TARGETS:
        s, m = TARGETS[scale]
        ok = wall <= s and mb <= m
        print(f"  target at scale {scale}: <= {s:.0f} s within {m:,.0f} MB: {'met' if ok else 'NOT met'}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scales", type=float, nargs="+", default=[0.1])
    ap.add_argument("--run", type=Path, nargs="+", help="audit these run folders instead of making runs")
    ap.add_argument("--keep", type=Path, help="make the runs here and keep them (default: a temporary folder)")
    args = ap.parse_args()
    if args.run:
        for run in args.run:
            bench(run)
        return
    with tempfile.TemporaryDirectory() as d:
        for scale in args.scales:
            run = (args.keep or Path(d)) / f"scale_{scale}"
            make_run(scale, run)
            bench(run)


if __name__ == "__main__":
    main()

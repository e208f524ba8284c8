"""Benchmark of `jukinet audit` (issue 12, item 5; targets on this 2-core machine: the audit of a 1/10-scale run
within 60 s and 2 GB, of the full-scale run within 10 minutes and 4 GB).

    python bench/audit_bench.py                      # a signed 1/10-scale run made for it (about 10 min), then its audits
    python bench/audit_bench.py --scales 0.01 0.1 1  # and the full-scale run (about 2 h and 18.3 GB to make)
    python bench/audit_bench.py --run DIR            # audit a run folder already written (jukinet run --out DIR)
    python bench/audit_bench.py --run DIR --trust K  # and, for a signed run, its audit against the keys K/public
    python bench/audit_bench.py --run DIR --sign K   # sign an unsigned run folder first (below), then audit both ways
    python bench/audit_bench.py --scales 1 --keep D  # keep the run folders in D
    python bench/audit_bench.py --run DIR --trust K --index   # and `jukinet audit --trust --index` (no target)

Each run is made by `jukinet run --no-prove --sign KEYS` (fresh keys from `jukinet keys`) in a child process;
its wall time and peak memory are printed.  Then, each in a child process of its own so its time and memory
are its own: the reference, a pass that only reads every record table batch by batch with its page checksums
verified (what the audit cannot do less than); `jukinet audit RUN --json` (internal consistency); and
`jukinet audit RUN --trust KEYS/public --json` (also every table against the signed heads).  Prints the log's
records, the wall time and peak resident memory (the child's ru_maxrss) of each, and each audit's ratio to
the reference.

`--sign K` signs a run folder written without `--sign` (a full-scale run takes 90 min to make, and 2 h
signed): in a child process, the same model.report.signing.signed_heads a signed run calls at its end, with the
day heads taken from the log itself (the hash of each simulated day's last record, where the run takes them
as it flushes each day); the folder gets heads.json, digests/ and index/ as a signed run has them.  The
signing's wall time and peak memory are printed; a folder that already has heads.json is refused.
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


SIGN_AFTER = """
import json, sys
from pathlib import Path
import numpy as np
import pyarrow.parquet as pq
from jukinet.model.audit.trust import load_private
from jukinet.model.core.output import write_json
from jukinet.model.report.signing import signed_heads
run, keys = Path(sys.argv[1]), load_private(Path(sys.argv[2]))
summary = json.loads((run / "summary.json").read_text())
days = np.zeros(0, np.int64)
hashes = {}
f = pq.ParquetFile(run / "records" / "access_log.parquet", pre_buffer=False)
at, last_day, last_hash = 0, None, None
for b in f.iter_batches(batch_size=1 << 20, columns=["time", "hash"]):
    day = (b.column("time").to_numpy() // 86400).astype(np.int64)
    ends = np.flatnonzero(np.r_[day[1:] != day[:-1], False])
    if last_day is not None and len(day) and day[0] != last_day:
        hashes[at - 1] = last_hash
    for e in ends.tolist():
        hashes[at + e] = b.column("hash")[e].as_py()
    at, last_day, last_hash = at + len(day), int(day[-1]), b.column("hash")[len(day) - 1].as_py()
hashes[at - 1] = last_hash
checkpoints = [(row + 1, h) for row, h in sorted(hashes.items())]
write_json(run / "heads.json", signed_heads(checkpoints, summary, run / "records", keys))
"""


def keys_in(folder: Path) -> Path:
    subprocess.run([sys.executable, "-m", "jukinet", "keys", "--out", str(folder)], check=True, stdout=subprocess.DEVNULL)
    return folder


def make_run(scale: float, out: Path, keys: Path) -> None:
    cmd = [sys.executable, "-m", "jukinet", "run", "--scale", str(scale), "--out", str(out), "--no-prove", "--force"]
    print(f"making a signed run at scale {scale} into {out} ...", flush=True)
    wall, mb, _ = measured([*cmd, "--sign", str(keys)])
    print(f"  made and signed in {wall:,.0f} s, peak {mb:,.0f} MB", flush=True)


def sign_after(run: Path, keys: Path) -> None:
    if (run / "heads.json").exists():
        raise SystemExit(f"{run}/heads.json exists: the run is signed already")
    wall, mb, _ = measured([sys.executable, "-c", SIGN_AFTER, str(run), str(keys)])
    print(f"signed {run} after the run (day heads from the log): {wall:,.1f} s, peak {mb:,.0f} MB", flush=True)


def bench(run: Path, trust: Path | None, index: bool = False) -> None:
    summary = json.loads((run / "summary.json").read_text())
    scale, records = float(summary["scale"]), int(summary["log_head"]["count"])
    ref_wall, ref_mb, rows = measured([sys.executable, "-c", READ_ONLY, str(run)])
    print(
        f"scale {scale:<6} log records {records:>12,}  all rows {int(rows):>12,}\n"
        f"  reference (read every table, checksums verified): {ref_wall:7.1f} s  peak {ref_mb:7,.0f} MB",
        flush=True,
    )
    audits = [("jukinet audit:", [])] + ([("jukinet audit --trust:", ["--trust", str(trust / "public")])] if trust else [])
    if trust and index:  # opt-in: no target; what it adds is printed against the trusted audit's
        audits.append(("jukinet audit --trust --index:", ["--trust", str(trust / "public"), "--index"]))
    for label, extra in audits:
        wall, mb, out = measured([sys.executable, "-m", "jukinet", "audit", str(run), "--json", *extra])
        res = json.loads(out)
        findings = sum(res["counts"].values())
        print(
            f"  {label:<49} {wall:7.1f} s  peak {mb:7,.0f} MB  "
            f"({wall / ref_wall:.2f} x the reference's time; {findings:,} findings, clean: {res['clean']})",
            flush=True,
        )
        if scale in TARGETS and "--index" not in extra:
            s, m = TARGETS[scale]
            ok = wall <= s and mb <= m
            print(f"    target at scale {scale}: <= {s:.0f} s within {m:,.0f} MB: {'met' if ok else 'NOT met'}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scales", type=float, nargs="+", default=[0.1])
    ap.add_argument("--run", type=Path, nargs="+", help="audit these run folders instead of making runs")
    ap.add_argument("--keep", type=Path, help="make the runs here and keep them (default: a temporary folder)")
    ap.add_argument("--trust", type=Path, help="with --run: the keys (of `jukinet keys`) the runs were signed with")
    ap.add_argument("--sign", type=Path, help="with --run: sign the (unsigned) runs with these keys first (see above)")
    ap.add_argument("--index", action="store_true", help="also `jukinet audit --trust --index` (rebuilds the disclosure index)")
    args = ap.parse_args()
    if args.run:
        for run in args.run:
            if args.sign:
                sign_after(run, args.sign)
            bench(run, args.sign or args.trust, args.index)
        return
    with tempfile.TemporaryDirectory() as d:
        keys = keys_in(Path(d) / "keys")
        for scale in args.scales:
            run = (args.keep or Path(d)) / f"scale_{scale}"
            make_run(scale, run, keys)
            bench(run, keys, args.index)


if __name__ == "__main__":
    main()

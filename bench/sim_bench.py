"""Benchmark of the fiscal-year simulation (targets on a 2-core machine: a 1/100-scale year in
<= 60 s; a full-scale year in <= 30 minutes within 16 GB).

    python bench/sim_bench.py                  # scales 1/100 and 1/10, projection to scale 1 (~3 min)
    python bench/sim_bench.py --scales 0.01 0.1 1  # and the full-scale year itself (~90 min more, ~18.3 GB)
    python bench/sim_bench.py --scales 1 --keep DIR   # keep the run folders (summary, records)
    python bench/sim_bench.py --phases 0.01           # the time per phase of one run, profiled in this process

Each scale runs in its own child process (`jukinet run`), so its wall time and memory are its
own.  A run is two processes (the simulation, and the worker that hash-chains and writes the
access log), so memory is sampled from /proc every half second and the peak of the two
processes' summed resident memory is reported, with each one's own peak.  Prints events per
second (resident events + notifications + CS-to-CS messages + provision requests + access-log
records), wall time, memory, and a linear projection to scale 1 from the smallest and largest
scale.  The projection is only a guide (the full-scale run is slower than linear): measure
scale 1 itself to check the target.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PAGE_KB = 4


def _tree(root: int) -> list[int]:
    """The process and its descendants (from /proc/*/stat parent ids)."""
    parent: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rfind(")") + 2 :].split()
        parent[int(stat.parent.name)] = int(fields[1])
    out, frontier = [root], [root]
    while frontier:
        frontier = [p for p, pp in parent.items() if pp in frontier]
        out += frontier
    return out


def _rss_mb(pid: int) -> float:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_KB / 1024
    except (OSError, IndexError, ValueError):
        return 0.0


def run_scale(scale: float, out: Path) -> dict[str, float]:
    t = time.perf_counter()
    # --no-prove: the simulation alone (the proofs' second process would add its CPU and memory to the figures)
    cmd = [sys.executable, "-m", "jukinet", "run", "--scale", str(scale), "--seed", "2006", "--out", str(out), "--json"]
    cmd.append("--no-prove")
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak_sum = 0.0
    peaks: dict[int, float] = {}
    while proc.poll() is None:
        rss = {p: _rss_mb(p) for p in _tree(proc.pid)}
        peak_sum = max(peak_sum, sum(rss.values()))
        for p, r in rss.items():
            peaks[p] = max(peaks.get(p, 0.0), r)
        time.sleep(0.5)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"scale {scale}: jukinet run failed: {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}")
    s = json.loads((out / "summary.json").read_text())
    f = s["figures"]
    events = (
        sum(f[k]["value"] for k in ("births", "deaths", "moves_between", "moves_within", "name_changes", "code_changes"))
        + f["notifications"]["value"]
        + f["cs_to_cs_messages"]["value"]
        + f["provisions_national"]["value"]
        + f["provisions_local"]["value"]
        + f["refusals"]["value"]
        + s["log_head"]["count"]
    )
    ranked = sorted(peaks.values(), reverse=True)
    return {
        "scale": scale,
        "wall": wall,
        "peak_mb": peak_sum,
        "main_mb": ranked[0] if ranked else 0.0,
        "worker_mb": ranked[1] if len(ranked) > 1 else 0.0,
        "events": events,
        "residents": s["residents_start"],
    }


# the run's phases (issue 27, item 1): each function's own time (cProfile's tottime) is charged to the first phase
# whose module prefix names its file; what no prefix names is "other" (Python itself, numpy, the standard library)
PHASES = (
    ("drawing resident events", ("model/sim/residents", "model/sim/engine", "model/world/")),
    ("the network's messages", ("model/sim/traffic", "model/sim/hub", "model/sim/messages", "model/sim/faults")),
    ("the provision desk", ("model/sim/provision", "model/law/")),
    ("cards and JPKI", ("model/sim/card", "cryptography/")),
    ("the access log", ("model/sim/accesslog", "model/sim/hashchain")),
    ("writing records", ("model/sim/records", "model/sim/writers", "model/sim/counts", "model/sim/tally", "pyarrow/")),
    ("simpy stepping", ("simpy/",)),
    ("the report", ("model/report/", "matplotlib/", "japanmap/", "PIL/")),
)


def phases(scale: float) -> None:
    """The run at `scale` in this process under cProfile (no proofs): wall time and share per phase."""
    import cProfile
    import pstats

    from jukinet.model.config.scenario import load
    from jukinet.model.report.run import execute

    prof = cProfile.Profile()
    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter()
        prof.enable()
        execute(load(None), scale, 2006, Path(d) / "run")
        prof.disable()
        wall = time.perf_counter() - t
    own: dict[str, float] = {name: 0.0 for name, _ in PHASES} | {"other": 0.0}

    def phase(path: str) -> str | None:
        return next((n for n, prefixes in PHASES if any(p in path.replace("\\", "/") for p in prefixes)), None)

    for (path, _line, _fn), (_cc, _nc, tottime, _ct, callers) in pstats.Stats(prof).stats.items():  # type: ignore[attr-defined]
        name = phase(path)
        if name is not None:
            own[name] += tottime
            continue
        for (cpath, _cl, _cf), (_c1, _c2, ctt, _c4) in callers.items():  # a built-in or a library's: its callers' phase
            own[phase(cpath) or "other"] += ctt
        own["other"] += max(0.0, tottime - sum(v[2] for v in callers.values()))
    total = sum(own.values())
    print(f"phases of a run at scale {scale} (one process, profiled: {wall:.1f} s wall, {total:.1f} s in functions):")
    for name, secs in sorted(own.items(), key=lambda x: -x[1]):
        print(f"  {name:<26} {secs:8.2f} s  {secs / total:6.1%}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scales", type=float, nargs="+", default=[0.01, 0.1])
    ap.add_argument("--keep", type=Path, help="keep the run folders here (default: deleted)")
    ap.add_argument("--phases", type=float, metavar="SCALE", help="only the time per phase of one profiled run")
    args = ap.parse_args()
    if args.phases:
        phases(args.phases)
        return
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for scale in args.scales:
            r = run_scale(scale, (args.keep or Path(d)) / f"scale_{scale}")
            rows.append(r)
            print(
                f"scale {scale:<6} residents {r['residents']:>12,.0f}  wall {r['wall']:7.1f} s  "
                f"events {r['events']:>13,.0f}  {r['events'] / r['wall']:>10,.0f} events/s  "
                f"peak memory {r['peak_mb']:8,.0f} MB (simulation {r['main_mb']:,.0f} MB, log worker {r['worker_mb']:,.0f} MB)",
                flush=True,
            )
    part = [r for r in rows if r["scale"] < 1]  # the projection is from the scales below 1
    big = max(part, key=lambda r: r["scale"], default=None)
    small = min(part, key=lambda r: r["scale"], default=None)
    if big is not None and small is not None and big is not small:
        slope_t = (big["wall"] - small["wall"]) / (big["scale"] - small["scale"])
        slope_m = (big["peak_mb"] - small["peak_mb"]) / (big["scale"] - small["scale"])
        print(
            f"projection to scale 1 (linear through scales {small['scale']} and {big['scale']}): "
            f"wall {small['wall'] + slope_t * (1 - small['scale']):,.0f} s (target <= 1800 s), "
            f"peak memory {small['peak_mb'] + slope_m * (1 - small['scale']):,.0f} MB (target <= 16384 MB)"
        )
    for r in rows:
        if r["scale"] == 0.01:
            print(f"target at scale 0.01: <= 60 s; measured {r['wall']:.1f} s")
        if r["scale"] == 1:
            ok = r["wall"] <= 1800 and r["peak_mb"] <= 16384
            print(
                f"target at scale 1: <= 1800 s within 16384 MB; measured {r['wall']:,.0f} s, {r['peak_mb']:,.0f} MB: "
                f"{'met' if ok else 'NOT met'}"
            )


if __name__ == "__main__":
    main()

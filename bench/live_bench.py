"""Benchmark of the live center (issue 31): the sustained requests per second of `jukinet serve` on this machine,
and what it means for FY2006's 74 million provisions (at what time compression the year's busiest hour is served
within p99 < 2 s).

    python bench/live_bench.py                              # scale 0.01, compressions 25 .. 400, 8 s each (~2 min)
    python bench/live_bench.py --compressions 50 100 --duration 20 --scale 0.001
    python bench/live_bench.py --hour busiest-interactive  # the interactive peak's mix instead of the batch window's

The server (`jukinet serve`, its own process) and the load generator (`jukinet loadtest --live`, another) run on
loopback on this machine's cores: the figure includes the generator's share of the CPU, so it is a floor for a
server with the machine to itself.  Each step offers the FY2006 hour's arrival rate times the compression,
open-loop, for --duration seconds; a step is sustained when every request is answered without error, the
throughput is at least 95 % of the offered rate and the p99 (its upper 95 % bound where there is one) is under
2 s.  The sustained rate is the highest offered rate of a sustained step.
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

YEAR = 74_000_000  # provisions in FY2006 (70 M to national bodies, 4 M to local ones)
SLO_S = 2.0


def start_server(folder: Path, scale: float) -> tuple[subprocess.Popen[bytes], str]:
    cmd = [sys.executable, "-m", "jukinet", "serve", "--scale", str(scale), "--port", "0"]
    cmd += ["--out", str(folder / "srv"), "--certs", str(folder / "tls")]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    end = time.monotonic() + 600
    while time.monotonic() < end:
        line = proc.stderr.readline().decode()
        if not line:
            break
        print(f"  {line.rstrip()}")
        if "listening on" in line:
            threading.Thread(target=proc.stderr.read, daemon=True).start()  # the rest, read so the pipe never fills
            return proc, line.split("listening on ")[1].split()[0]
    proc.kill()
    raise SystemExit("the server did not start")


def step(folder: Path, address: str, compression: float, duration: float, connections: int, hour: str) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "jukinet", "loadtest", "--live", address, "--compression", str(compression)]
    cmd += ["--duration", str(duration), "--connections", str(connections), "--certs", str(folder / "tls")]
    cmd += ["--out", str(folder / f"lt-{compression:g}"), "--hour", hour, "--json"]
    done = subprocess.run(cmd, capture_output=True, timeout=duration + 120, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the load test failed: {done.stderr.decode().strip().splitlines()[-1:]}")
    res: dict[str, Any] = json.loads(done.stdout)
    return res


def sustained(res: dict[str, Any]) -> bool:
    p99 = res["all"]["p99"]
    worst = p99["high"] if p99["high"] is not None else p99["value"]
    ok_rate = res["throughput_rps"] >= 0.95 * res["offered_rps"]
    return res["error_count"] == 0 and res["answered"] == res["planned"] and ok_rate and worst is not None and worst < SLO_S


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=0.01, help="residents in the store (default 0.01: 1.27 M)")
    ap.add_argument("--compressions", type=float, nargs="+", default=[25, 50, 100, 150, 200, 300, 400])
    ap.add_argument("--duration", type=float, default=8.0, help="seconds of arrivals per step (default 8)")
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--hour", default="busiest", help="busiest (the batch window) | busiest-interactive")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="live-bench-") as tmp:
        folder = Path(tmp)
        subprocess.run([sys.executable, "-m", "jukinet", "tls-keys", "--out", str(folder / "tls")], check=True)
        proc, address = start_server(folder, args.scale)
        best: dict[str, Any] | None = None
        try:
            print(f"{'compression':>11} {'offered/s':>10} {'served/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}  sustained")
            for c in sorted(args.compressions):
                res = step(folder, address, c, args.duration, args.connections, args.hour)
                ok = sustained(res)
                a = res["all"]
                print(
                    f"{c:>11g} {res['offered_rps']:>10.1f} {res['throughput_rps']:>9.1f} {a['p50']['value'] * 1e3:>8.2f} "
                    f"{a['p99']['value'] * 1e3:>8.2f} {res['error_count']:>6}  {'yes' if ok else 'no'}"
                )
                if ok:
                    best = res
                else:
                    break
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
        report(best, args)


def report(best: dict[str, Any] | None, args: argparse.Namespace) -> None:
    if best is None:
        print("no step was sustained: lower --compressions")
        return
    rate = best["offered_rps"]
    hour_rate = best["hour_requests"] / 3600
    c = best["compression"]
    print(
        f"\nsustained: {rate:,.0f} requests/s (one `jukinet serve` process, scale {args.scale}, {args.connections} connections)"
    )
    print(f"  FY2006's busiest hour ({best['hour']}, {hour_rate:.1f}/s) is served within p99<{SLO_S:g}s")
    print(f"  up to compression {c:.0f}x (the hour in {3600 / c:.0f} s; the highest step tried that held)")
    hours = YEAR / rate / 3600
    print(
        f"  the year's {YEAR / 1e6:.0f} M provisions at that rate: {hours:.1f} hours of service ({hours / 8760:.2%} of the year)"
    )


if __name__ == "__main__":
    main()

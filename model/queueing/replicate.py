"""Replications with independent seeds, run in parallel on Dask, and confidence intervals.

By default a local Dask cluster (one single-threaded worker process per core) runs the
replications; `scheduler` names a running Dask scheduler instead.  One replication runs
inline, without a cluster.
"""

from __future__ import annotations

import logging
import math
import os
import socket
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from scipy import stats

from jukinet.model.core.errors import UserError
from jukinet.model.queueing.year import YearSpec, run_year


def seeds(base: int, n: int) -> list[int]:
    """n independent seeds from one base seed (numpy SeedSequence spawning)."""
    return [int(s.generate_state(1, np.uint64)[0] >> np.uint64(1)) for s in np.random.SeedSequence(base).spawn(n)]


def replicate(
    spec: YearSpec,
    seed_list: Sequence[int],
    servers: int | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    on_done: Callable[[int], None] | None = None,
    on_day: Callable[[int], None] | None = None,
) -> list[dict[str, Any]]:
    """Run one replication per seed; return their summaries in seed order."""
    if len(seed_list) == 1 and scheduler is None:
        out = [run_year(spec, seed_list[0], servers, progress=on_day)]
        if on_done:
            on_done(1)
        return out
    n_workers = workers or min(len(seed_list), os.cpu_count() or 1)
    return dask_map(run_year, [(spec, s, servers) for s in seed_list], n_workers, scheduler, on_done)


def check_scheduler(address: str | None, seconds: float = 5) -> None:
    """A scheduler given by address answers (before any run starts); one line naming --scheduler if not."""
    if address is None:
        return
    import dask
    from dask.distributed import Client

    allowed = "allowed: tcp://HOST:PORT (or HOST:PORT) of a running scheduler"
    scheme, sep, rest = address.partition("://")
    host, colon, port = (rest if sep else address).rpartition(":")
    if (sep and scheme != "tcp") or not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UserError("--scheduler", address, f"not an address jukinet can use; {allowed}")
    try:  # a scheduler speaks first (its handshake): a port that accepts and stays silent is not one
        with socket.create_connection((host.strip("[]"), int(port)), timeout=seconds) as probe:
            if not probe.recv(1):
                raise OSError("the connection was closed at once")
    except OSError as exc:
        why = "it said nothing" if isinstance(exc, TimeoutError) else str(exc)[:120]
        raise UserError("--scheduler", address, f"cannot reach a Dask scheduler ({why} in {seconds} s); {allowed}") from None
    try:
        with dask.config.set({"distributed.comm.timeouts.connect": f"{seconds}s"}):
            Client(address, timeout=seconds).close()
    except (OSError, ValueError, TypeError) as exc:  # no scheduler there, or not an address
        raise UserError("--scheduler", address, f"cannot reach a Dask scheduler ({str(exc)[:120]}); {allowed}") from None


def dask_map(
    fn: Callable[..., Any],
    arglist: Sequence[tuple[Any, ...]],
    workers: int,
    scheduler: str | None = None,
    on_done: Callable[[int], None] | None = None,
    priorities: Sequence[int] | None = None,
) -> list[Any]:
    """fn(*args) for each args, on a local Dask cluster of `workers` single-threaded processes (or on the
    scheduler at `scheduler`); the results in the order of `arglist`, whatever order they finish in.
    `priorities`: higher runs first (Dask's task priority)."""
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=max(1, min(workers, len(arglist))),
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # a free port: two clusters at once never race for 8787
            silence_logs=logging.ERROR,
        )
    client = Client(cluster if cluster is not None else scheduler)
    try:
        prio = list(priorities) if priorities is not None else [0] * len(arglist)
        futures = [client.submit(fn, *a, pure=False, priority=p) for a, p in zip(arglist, prio, strict=True)]
        index = {f.key: i for i, f in enumerate(futures)}
        results: list[Any] = [None] * len(futures)
        for fut in as_completed(futures):
            results[index[fut.key]] = fut.result()
            if on_done:
                on_done(1)
        return results
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def interval(values: Sequence[float], level: float = 0.95) -> dict[str, Any]:
    """Mean and the half-width of its t confidence interval (None with one replication)."""
    x = np.asarray(values, dtype=float)
    mean = float(x.mean())
    if len(x) < 2:
        return {"mean": mean, "ci": None, "values": x.tolist()}
    half = float(stats.t.ppf(0.5 + level / 2, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x)))
    return {"mean": mean, "ci": half, "values": x.tolist()}


def aggregate(summaries: list[Any]) -> Any:
    """Combine replications: numbers that vary get mean and CI; long numeric series are averaged; the rest kept."""
    first = summaries[0]
    if any(s is None for s in summaries) and any(isinstance(s, int | float) for s in summaries):
        present = [float(s) for s in summaries if s is not None]
        return {"mean": float(np.mean(present)), "ci": None, "values": list(summaries)}
    if isinstance(first, dict):
        return {k: aggregate([s[k] for s in summaries]) for k in first if all(k in s for s in summaries)}
    if isinstance(first, bool) or first is None or isinstance(first, str):
        return first if all(s == first for s in summaries) else list(summaries)
    if isinstance(first, int | float):
        if all(s == first for s in summaries):
            return first  # identifiers (hour, servers) and figures that do not vary
        return interval([float(s) for s in summaries])
    if isinstance(first, list):
        if first and all(isinstance(v, int | float) for v in first) and len(first) > 48:
            n = min(len(s) for s in summaries)
            return np.mean([s[:n] for s in summaries], axis=0).round(4).tolist()
        n = min(len(s) for s in summaries)
        return [aggregate([s[i] for s in summaries]) for i in range(n)]
    return first

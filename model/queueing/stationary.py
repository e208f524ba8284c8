"""Stationary M/M/c runs of either engine, for validation against Erlang C."""

from __future__ import annotations

import numpy as np

from jukinet.model.queueing import fast, reference


def mmc_waits(
    arrival_rate: float,
    service_rate: float,
    servers: int,
    n: int,
    rng: np.random.Generator,
    engine: str = "fast",
    warmup: float = 0.1,
) -> np.ndarray:
    """Waits of n Poisson arrivals with exponential service on c servers, the first `warmup` share dropped."""
    a = np.cumsum(rng.exponential(1 / arrival_rate, n))
    s = rng.exponential(1 / service_rate, n)
    empty = np.empty(0)
    if engine == "fast":
        start, _ = fast.serve(a, s, empty, empty, np.zeros(servers))
    else:
        start, _ = reference.serve(a, s, empty, empty, servers)
    w = start - a
    return w[int(warmup * n) :]

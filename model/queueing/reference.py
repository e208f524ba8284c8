"""The simpy reference model of the center: the same queue as `fast`, one process per request.

A `PriorityResource` of c servers grants requests by (priority, request time): interactive
(priority 0) before batch (1), first come first served within a class.  An outage takes every
server with priority -1 at its start and holds it until its end.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import numpy as np
import simpy


def serve(
    a0: np.ndarray,
    s0: np.ndarray,
    a1: np.ndarray,
    s1: np.ndarray,
    servers: int,
    outage: tuple[float, float] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Start time of every request (interactive, batch), simulated with simpy."""
    env = simpy.Environment()
    center = simpy.PriorityResource(env, capacity=servers)
    starts = (np.full(len(a0), np.nan), np.full(len(a1), np.nan))

    def request(cls: int, k: int, service: float) -> Generator[Any, Any, None]:
        with center.request(priority=cls) as req:
            yield req
            starts[cls][k] = env.now
            yield env.timeout(service)

    def source() -> Generator[Any, Any, None]:
        order = np.argsort(np.concatenate([a0, a1]), kind="stable")
        arrivals = np.concatenate([a0, a1])
        for idx in order:
            cls, k = (0, int(idx)) if idx < len(a0) else (1, int(idx) - len(a0))
            yield env.timeout(arrivals[idx] - env.now)
            env.process(request(cls, k, float((s0, s1)[cls][k])))

    def down(t0: float, t1: float) -> Generator[Any, Any, None]:
        yield env.timeout(t0)
        for _ in range(servers):
            env.process(hold(t1))

    def hold(t1: float) -> Generator[Any, Any, None]:
        with center.request(priority=-1) as req:
            yield req
            yield env.timeout(max(0.0, t1 - env.now))

    env.process(source())
    if outage is not None:
        env.process(down(*outage))
    env.run()
    return starts

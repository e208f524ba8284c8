"""The fast engine: a multi-server non-preemptive priority queue over arrays, compiled by numba.

Servers are identical, so a request's start time does not depend on which server takes it; the
engine gives each request to the server that frees first.  Interactive requests (class 0) are
served before batch requests (class 1); within a class, first come first served.  Between
`outage_start` and `outage_end` no service starts (requests already in service finish)
**[ASSUMPTION: the outage model]**.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _serve(a0, s0, a1, s1, free, t_end, out_start, out_end, start0, start1):  # type: ignore[no-untyped-def]
    n0, n1 = a0.shape[0], a1.shape[0]
    c = free.shape[0]
    i = 0
    j = 0
    inf = np.inf
    while i < n0 or j < n1:
        k = 0
        f = free[0]
        for m in range(1, c):
            if free[m] < f:
                f = free[m]
                k = m
        nxt0 = a0[i] if i < n0 else inf
        nxt1 = a1[j] if j < n1 else inf
        s = max(f, min(nxt0, nxt1))
        if out_start <= s < out_end:
            s = out_end
        if s >= t_end:
            break
        if nxt0 <= s:
            start0[i] = s
            free[k] = s + s0[i]
            i += 1
        else:
            start1[j] = s
            free[k] = s + s1[j]
            j += 1
    return i, j


def serve(
    a0: np.ndarray,
    s0: np.ndarray,
    a1: np.ndarray,
    s1: np.ndarray,
    free: np.ndarray,
    t_end: float = np.inf,
    outage: tuple[float, float] = (np.inf, np.inf),
) -> tuple[np.ndarray, np.ndarray]:
    """Start times of the requests that start before t_end.

    a0/s0: interactive arrival and service times (arrivals sorted); a1/s1: batch.  `free` holds
    each server's next free time and is updated in place, so consecutive calls continue one run.
    Returns (start0, start1), of length the number of requests of each class started; the rest
    are left for the next call.
    """
    start0 = np.empty_like(a0)
    start1 = np.empty_like(a1)
    i, j = _serve(a0, s0, a1, s1, free, t_end, outage[0], outage[1], start0, start1)
    return start0[:i], start1[:j]

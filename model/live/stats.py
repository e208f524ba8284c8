"""Statistics of a live load test: percentiles with distribution-free 95 % intervals (order statistics of the
binomial, Conover 1999 §3.2: no assumption on the latency distribution, only independent draws), and the
measured service-time distributions the capacity model reads (`jukinet capacity --service-times FILE`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

Z95 = 1.959963984540054
SAMPLES_KEPT = 2000  # service times kept per kind in the file: the distribution, not every request


def quantile_ci(x: np.ndarray, q: float) -> dict[str, float | None]:
    """The q-quantile of x and a 95 % interval from the order statistics around rank n*q (None: too few)."""
    n = len(x)
    if n == 0:
        return {"value": None, "low": None, "high": None}
    s = np.sort(x)
    value = float(np.quantile(s, q))
    half = Z95 * math.sqrt(n * q * (1 - q))
    lo, hi = math.floor(n * q - half), math.ceil(n * q + half)
    if lo < 0 or hi >= n:
        return {"value": value, "low": None, "high": None}
    return {"value": value, "low": float(s[lo]), "high": float(s[hi])}


def summary(latency: Sequence[float]) -> dict[str, Any]:
    """n, mean and p50 / p95 / p99 with their intervals, in seconds."""
    x = np.asarray(latency, dtype=float)
    out: dict[str, Any] = {"n": int(len(x)), "mean": float(x.mean()) if len(x) else None}
    for name, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99)):
        out[name] = quantile_ci(x, q)
    return out


def service_distribution(service: Sequence[float], rng: np.random.Generator) -> dict[str, Any]:
    """Mean, coefficient of variation, percentiles and a sample of measured service times (s)."""
    x = np.asarray(service, dtype=float)
    if not len(x):
        return {"n": 0, "mean_s": None, "cv": None}
    mean = float(x.mean())
    kept = np.sort(rng.choice(x, SAMPLES_KEPT, replace=False)) if len(x) > SAMPLES_KEPT else np.sort(x)
    return {
        "n": int(len(x)),
        "mean_s": mean,
        "cv": float(x.std() / mean) if mean > 0 else 0.0,
        "p50_s": float(np.quantile(x, 0.5)),
        "p95_s": float(np.quantile(x, 0.95)),
        "p99_s": float(np.quantile(x, 0.99)),
        "samples_s": [round(float(v), 9) for v in kept],
    }


def fmt_ci(c: dict[str, float | None]) -> str:
    """'12.3 ms [11.9, 12.8]' (an interval only when there are enough requests for one)."""
    if c["value"] is None:
        return "-"
    text = f"{c['value'] * 1e3:.2f} ms"
    if c["low"] is not None and c["high"] is not None:
        text += f" [{c['low'] * 1e3:.2f}, {c['high'] * 1e3:.2f}]"
    return text

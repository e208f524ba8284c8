"""A log-spaced histogram of durations: exact counts, sums and maxima, quantiles to 1 %.

Zero durations (no wait) have their own bin; positive values fall in bins of relative width
1 % from 10 microseconds to 10^5 seconds (values outside are clamped to the end bins, the
maximum is kept exactly).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

LO = 1e-5
RATIO = 1.01
NBINS = int(np.ceil(np.log(1e5 / LO) / np.log(RATIO))) + 1  # bin 0 holds zeros
_LOG_RATIO = np.log(RATIO)


def bin_index(x: np.ndarray) -> np.ndarray:
    idx = np.floor(np.log(np.maximum(x, LO) / LO) / _LOG_RATIO).astype(np.int64) + 1
    idx = np.minimum(idx, NBINS - 1)
    return np.where(x <= 0.0, 0, idx)


def bin_value(idx: np.ndarray) -> np.ndarray:
    """The geometric middle of each bin (0 for the zero bin)."""
    return np.where(idx == 0, 0.0, LO * RATIO ** (idx - 0.5))


@dataclass
class Hist:
    counts: np.ndarray = field(default_factory=lambda: np.zeros(NBINS, dtype=np.int64))
    total: float = 0.0
    maximum: float = 0.0

    def add(self, x: np.ndarray) -> None:
        if len(x):
            pos = x[x > 0.0]  # most waits are zero: their bin needs no logarithm
            self.counts[0] += len(x) - len(pos)
            self.counts += np.bincount(bin_index(pos), minlength=NBINS)
            self.total += float(x.sum())
            self.maximum = max(self.maximum, float(x.max()))

    def merge(self, other: Hist) -> Hist:
        return Hist(self.counts + other.counts, self.total + other.total, max(self.maximum, other.maximum))

    @property
    def n(self) -> int:
        return int(self.counts.sum())

    @property
    def mean(self) -> float:
        return self.total / self.n if self.n else 0.0

    def quantile(self, q: float) -> float:
        if not self.n:
            return 0.0
        cum = np.cumsum(self.counts)
        k = int(np.searchsorted(cum, q * self.n, side="left"))
        return float(min(bin_value(np.array([k]))[0], self.maximum))

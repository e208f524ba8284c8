"""The identifier a recipient body receives with a provision ([identifiers]; C06, L01).

Under FY2006's common code every body receives the resident code itself.  Under the My Number design
(`scheme = "agency_codes"`, 機関別符号) a hub translates it: body i receives

    (i + 1) * 2**40 + p_i(code)

where p_i is a bijection of [0, 2**40) keyed by a secret the hub draws from the run's generator.  So a
body's codes are one-to-one with residents (it can still keep its own records), codes of two bodies never
coincide, and none equals a resident code (< 10**11 < 2**40): exactly the hub's axioms in
proofs/pseudonyms.py.  p_i is a keyed mixing permutation, not a cryptographic pseudonym; a body that
learned the key could invert it (the model does not give any body the key).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from jukinet.model.law.linkage import IdentifiersConfig

BITS = 40
MASK = np.uint64((1 << BITS) - 1)
_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)  # odd: a bijection mod 2**40


def permute(x: np.ndarray, key: np.ndarray) -> np.ndarray:
    """A bijection of [0, 2**40) per key (xor, odd multiplications and xor-shifts, each invertible)."""
    y = (x.astype(np.uint64) ^ key) & MASK
    y = (y * _M1) & MASK
    y ^= y >> np.uint64(20)
    y = (y * _M2) & MASK
    y ^= y >> np.uint64(17)
    out: np.ndarray = y
    return out


class Hub:
    """Translates resident codes into the identifier each body receives."""

    def __init__(self, cfg: IdentifiersConfig, bodies: Sequence[str], rng: np.random.Generator) -> None:
        self.scheme = cfg.scheme
        self.bodies = tuple(bodies)
        self.index = {b: i for i, b in enumerate(self.bodies)}
        n = len(self.bodies)
        self.common = np.array([cfg.scheme == "common_code" or b in cfg.common_code_bodies for b in self.bodies] + [True])
        # the hub's secret keys, from a generator spawned off the run's (Generator.spawn leaves the run's stream
        # as it is): two designs run with one seed see the same residents, requests and events
        own = rng.spawn(1)[0] if cfg.scheme != "common_code" else None
        self.keys = own.integers(0, 1 << BITS, size=n + 1, dtype=np.uint64) if own is not None else None

    def translate(self, body: np.ndarray, codes: np.ndarray) -> np.ndarray:
        """The identifier each body (index into `bodies`; len(bodies) for one outside them) receives for each code."""
        if self.keys is None:
            return codes.astype(np.int64)
        body = body.astype(np.int64)
        agency = ((body + 1).astype(np.uint64) << np.uint64(BITS)) | permute(codes, self.keys[body])
        return np.where(self.common[body], codes.astype(np.int64), agency.astype(np.int64))

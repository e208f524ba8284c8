"""The codes a resident has held (Art. 30-3: a code changed on the holder's request keeps the old one's
record): what the disclosure index binds beside a code's provisions, so that a disclosure cannot leave out
an old code and its provisions (issue 30).  A code's leaf carries K, the number of codes its holder had,
and, where K > 1, the SHA-256 of their 11-digit forms, sorted and joined by commas (`history_digest`);
where K = 1 (the holder never changed code) it carries 32 zero bytes."""

from __future__ import annotations

import hashlib

import numpy as np

NONE = bytes(32)  # the history digest of a holder who had one code only


def holder_codes(changes: list[tuple[int, int]], code: int) -> list[int]:
    """The codes of `code`'s holder, given the run's code changes (old, new): the current one first."""
    newer = dict(changes)
    older = {new: old for old, new in changes}
    current = code
    while current in newer:
        current = newer[current]
    out = [current]
    while out[-1] in older:
        out.append(older[out[-1]])
    return out


def history_digest(codes: list[int]) -> bytes:
    """What a leaf binds of a holder's codes (NONE for one code)."""
    if len(codes) <= 1:
        return NONE
    return hashlib.sha256(",".join(f"{c:011d}" for c in sorted(codes)).encode()).digest()


def histories(old: np.ndarray, new: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For every code in a change (sorted): how many codes its holder had, and their history digest."""
    pairs = list(zip(old.astype(np.int64).tolist(), new.astype(np.int64).tolist(), strict=True))
    codes = np.unique(np.concatenate([old, new]).astype(np.int64)) if pairs else np.zeros(0, np.int64)
    counts = np.empty(len(codes), np.int64)
    digests = np.empty((len(codes), 32), np.uint8)
    for i, c in enumerate(codes.tolist()):
        mine = holder_codes(pairs, c)
        counts[i] = len(mine)
        digests[i] = np.frombuffer(history_digest(mine), np.uint8)
    return codes, counts, digests

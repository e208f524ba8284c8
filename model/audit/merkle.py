"""Merkle trees as RFC 6962 s.2.1 defines them (Certificate Transparency), for the signed heads' table roots
and the disclosure index (issue 12, items 1-3).

The RFC defines the tree top-down (split at the largest power of two below n).  The same tree is built
bottom-up by hashing adjacent pairs level by level and carrying an unpaired last node up unchanged; that
form needs no recursion and works on NumPy arrays of 32-byte hashes (rows x 32, uint8), so a tree over the
127 million resident codes of a full-scale run is a few arrays, not a Python list per level.  A test
checks both forms against each other (tests/test_merkle.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np

CHUNK = 1 << 20  # pairs hashed per Python list at once


def leaf(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def as_array(hashes: list[bytes]) -> np.ndarray:
    return np.frombuffer(b"".join(hashes), np.uint8).reshape(len(hashes), 32)


def up(level: np.ndarray) -> np.ndarray:
    """The next level: each adjacent pair hashed (0x01 || left || right), an unpaired last node carried up."""
    n = len(level)
    pairs = n // 2
    out = np.empty(((n + 1) // 2, 32), np.uint8)
    for lo in range(0, pairs, CHUNK):
        hi = min(pairs, lo + CHUNK)
        buf = np.empty((hi - lo, 65), np.uint8)
        buf[:, 0] = 1
        buf[:, 1:33] = level[2 * lo : 2 * hi : 2]
        buf[:, 33:] = level[2 * lo + 1 : 2 * hi : 2]
        raw = buf.tobytes()
        digests = b"".join([hashlib.sha256(raw[i : i + 65]).digest() for i in range(0, len(raw), 65)])
        out[lo:hi] = np.frombuffer(digests, np.uint8).reshape(hi - lo, 32)
    if n % 2:
        out[-1] = level[-1]
    return out


def levels(leaves: np.ndarray) -> list[np.ndarray]:
    """Every level of the tree, the leaves first and the root (one row) last; [] for no leaves."""
    out = [leaves] if len(leaves) else []
    while out and len(out[-1]) > 1:
        out.append(up(out[-1]))
    return out


def sizes(n: int) -> list[int]:
    """The number of nodes of each level of a tree over n leaves, the leaves first."""
    out = [n]
    while out[-1] > 1:
        out.append((out[-1] + 1) // 2)
    return out


def upper_of(parts: Iterable[np.ndarray], below: int) -> tuple[bytes, list[np.ndarray]]:
    """The root of the tree over leaves fed in parts (each but the last a multiple of 2**below leaves, so each
    part's subtrees up to that level are the tree's), and the tree's levels from level `below` up ([] for a tree
    without that level): the levels below are never held whole."""
    tops, n = [], 0
    for part in parts:
        if n % (1 << below):
            raise ValueError(f"a part of the leaves after {n:,} leaves, not a multiple of {1 << below:,}")
        n += len(part)
        top = part
        for _ in range(below):
            top = up(top)
        tops.append(top)
    if not n:
        return hashlib.sha256(b"").digest(), []
    if len(sizes(n)) <= below:  # one part, whose `below` levels up end at the root
        return bytes(tops[0][0]), []
    upper = levels(np.concatenate(tops))
    return bytes(upper[-1][0]), upper


def root_of(leaves: np.ndarray) -> bytes:
    """MTH over leaf hashes (rows x 32); SHA-256 of nothing for no leaves (RFC 6962 s.2.1)."""
    if not len(leaves):
        return hashlib.sha256(b"").digest()
    top = leaves
    while len(top) > 1:
        top = up(top)
    return bytes(top[0])


def merkle_root(leaves: list[bytes]) -> bytes:
    return root_of(as_array(leaves)) if leaves else hashlib.sha256(b"").digest()


def path_in(tree: list[np.ndarray], m: int) -> list[bytes]:
    """PATH(m, D[n]) of RFC 6962 s.2.1.1 from the tree's levels: the sibling at each level from the leaf up
    (a level where node m is carried up unpaired has none)."""
    out = []
    for level in tree[:-1]:
        sibling = m ^ 1
        if sibling < len(level):
            out.append(bytes(level[sibling]))
        m //= 2
    return out


def audit_path(m: int, leaves: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]) over a list of leaf hashes."""
    return path_in(levels(as_array(leaves)), m) if leaves else []


def root_from_path(m: int, n: int, leaf_hash: bytes, path: list[bytes]) -> bytes | None:
    """The root that leaf m of n leaves and its audit path lead to (None: the path has the wrong length),
    as RFC 6962 s.2.1.1 defines the path (top-down: the last element is the top split's other side)."""
    if n == 1:
        return leaf_hash if not path else None
    if not path or not 0 <= m < n:
        return None
    k = 1 << ((n - 1).bit_length() - 1)
    left: bytes | None
    right: bytes | None
    if m < k:
        left, right = root_from_path(m, k, leaf_hash, path[:-1]), path[-1]
    else:
        left, right = path[-1], root_from_path(m - k, n - k, leaf_hash, path[:-1])
    if left is None or right is None:
        return None
    return hashlib.sha256(b"\x01" + left + right).digest()

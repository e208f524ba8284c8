"""Relations over numbered nodes, written as runs: the whole network's links in a few hundred terms.

Every node of the network is its own element of the flow encoding (proofs/flow.py): a bit-vector, the
nodes numbered by (kind, id), so each kind is one interval and the CS, the municipal heads, the
prefecture servers and the governors each lie in the order of their codes.  A relation of the graph
(the links, a node's requester) is then a set of integer pairs, and most of it comes in runs:

    diagonal  v = u + c  for u in [lo, hi]     (each CS to its own municipal head)
    fan-in    v = c      for u in [lo, hi]     (the CS of one prefecture to its server)
    fan-out   u = c      for v in [lo, hi]     (the center to every prefecture server)
    single    (u, v)                            (a link a scenario adds)

`runs` finds them; `holds` writes the union as one formula.  The cover is exact: every pair is in
exactly one run and no run holds a pair that is not in the set (tests/test_runs.py checks it against the
set on random relations), so the formula is the relation itself, not an over-approximation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import z3


@dataclass(frozen=True, slots=True)
class Run:
    shape: str  # "diagonal", "fan-in", "fan-out", "single"
    lo: int  # the first u (diagonal, fan-in, single) or the first v (fan-out)
    hi: int
    c: int  # the offset (diagonal), the v (fan-in, single) or the u (fan-out)

    def pairs(self) -> list[tuple[int, int]]:
        if self.shape == "diagonal":
            return [(u, u + self.c) for u in range(self.lo, self.hi + 1)]
        if self.shape in ("fan-in", "single"):
            return [(u, self.c) for u in range(self.lo, self.hi + 1)]
        return [(self.c, v) for v in range(self.lo, self.hi + 1)]


def _chains(keyed: list[tuple[int, int, tuple[int, int]]]) -> list[tuple[int, int, int, list[tuple[int, int]]]]:
    """Maximal chains of consecutive positions with one key: (key, first, last, pairs)."""
    out: list[tuple[int, int, int, list[tuple[int, int]]]] = []
    for key, pos, pair in sorted(keyed):
        if out and out[-1][0] == key and out[-1][2] == pos - 1:
            k, lo, _, ps = out[-1]
            out[-1] = (k, lo, pos, [*ps, pair])
        else:
            out.append((key, pos, pos, [pair]))
    return out


def runs(pairs: set[tuple[int, int]], least: int = 3) -> list[Run]:
    """An exact cover of `pairs` by runs: diagonals first, then fan-ins, then fan-outs, each of at least
    `least` pairs; what is left is single pairs."""
    left = set(pairs)
    out: list[Run] = []
    for shape in ("diagonal", "fan-in", "fan-out"):
        if shape == "diagonal":
            keyed = [(v - u, u, (u, v)) for u, v in left]
        elif shape == "fan-in":
            keyed = [(v, u, (u, v)) for u, v in left]
        else:
            keyed = [(u, v, (u, v)) for u, v in left]
        for key, lo, hi, ps in _chains(keyed):
            if len(ps) >= least:
                out.append(Run(shape, lo, hi, key))
                left -= set(ps)
    out += [Run("single", u, u, v) for u, v in sorted(left)]
    return out


def within(x: Any, lo: int, hi: int) -> z3.BoolRef:
    bits = x.size()
    if lo == hi:
        return x == z3.BitVecVal(lo, bits)
    return z3.And(z3.ULE(z3.BitVecVal(lo, bits), x), z3.ULE(x, z3.BitVecVal(hi, bits)))


def holds(rs: list[Run], u: Any, v: Any) -> z3.BoolRef:
    """The union of the runs as a formula over two bit-vector terms of one width."""
    bits = u.size()
    terms = []
    for r in rs:
        if r.shape == "diagonal":
            terms.append(z3.And(within(u, r.lo, r.hi), v == u + z3.BitVecVal(r.c % (1 << bits), bits)))
        elif r.shape in ("fan-in", "single"):
            terms.append(z3.And(within(u, r.lo, r.hi), v == z3.BitVecVal(r.c, bits)))
        else:
            terms.append(z3.And(u == z3.BitVecVal(r.c, bits), within(v, r.lo, r.hi)))
    return z3.Or(terms) if terms else z3.BoolVal(False)


def intervals(idx: list[int]) -> list[tuple[int, int]]:
    """Sorted integers as maximal intervals of consecutive values."""
    out: list[tuple[int, int]] = []
    for i in sorted(set(idx)):
        if out and out[-1][1] == i - 1:
            out[-1] = (out[-1][0], i)
        else:
            out.append((i, i))
    return out


def member(x: Any, idx: list[int]) -> z3.BoolRef:
    """x is one of the integers `idx` (as intervals)."""
    terms = [within(x, lo, hi) for lo, hi in intervals(idx)]
    return z3.Or(terms) if terms else z3.BoolVal(False)


def function(values: list[int], x: Any, width: int) -> Any:
    """The map i -> values[i] over nodes 0..len-1 as an If-chain of runs (a value per node, in `width` bits):
    stretches where the value is constant or grows by one with i are one test each."""
    segs: list[tuple[int, int, int, int]] = []  # (lo, hi, first value, step 0 or 1)
    for i, val in enumerate(values):
        if segs:
            lo, hi, first, step = segs[-1]
            if hi == i - 1 and ((hi == lo and val in (first, first + 1)) or (hi > lo and val == first + step * (i - lo))):
                segs[-1] = (lo, i, first, val - first if hi == lo else step)
                continue
        segs.append((i, i, val, 0))
    bits = x.size()
    out: Any = z3.BitVecVal(0, width)
    for lo, hi, first, step in reversed(segs):
        if step == 0:
            val = z3.BitVecVal(first, width)
        else:
            offset = x - z3.BitVecVal(lo, bits)
            wide = z3.ZeroExt(width - bits, offset) if width > bits else z3.Extract(width - 1, 0, offset)
            val = wide + z3.BitVecVal(first, width)
        out = z3.If(within(x, lo, hi), val, out)
    return out

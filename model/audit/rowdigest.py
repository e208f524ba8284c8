"""Which row and which field of a signed table changed (issue 12, item 2).

The signed final statement binds each record table by the Merkle root of its blocks' SHA-256
(model.audit.trust): that detects any change, but names only a block of 4,096 rows.  To name the row
and the field, a signed run also keeps, per table, a 32-bit digest of every field of every row
(`digests/TABLE.npy`, rows x fields), whose SHA-256 the signed statement carries, so the digests
cannot be rewritten without the keys either.  The audit recomputes the folder's digests and aligns
the two: rows edited (and the fields that differ), deleted, inserted, reordered, or cut off.

Detection does not rest on the digests: a change is found by the block hashes whatever it is.  The
digests only locate it; a change of one field has a 1 in 2**32 chance of keeping its digest, and is
then named by its block alone.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
NULL = np.uint64(0x6E756C6C6E756C6C)  # a null's value before mixing ("nullnull")
SHOWN = 10  # changed rows named per table


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: every input bit reaches every output bit."""
    x = x ^ (x >> np.uint64(30))
    x = x * _M1
    x = x ^ (x >> np.uint64(27))
    x = x * _M2
    out: np.ndarray = x ^ (x >> np.uint64(31))
    return out


@functools.lru_cache(maxsize=1 << 18)
def _h8(v: bytes | str) -> int:
    return int.from_bytes(hashlib.sha256(v if isinstance(v, bytes) else str(v).encode()).digest()[:8], "little")


def _strings(arr: pa.Array) -> np.ndarray:
    """A string or binary column: each distinct value hashed once (SHA-256, first 8 bytes; remembered across
    batches, whose dictionaries repeat), mapped by index."""
    enc = arr.dictionary_encode() if not pa.types.is_dictionary(arr.type) else arr
    values = enc.dictionary.to_pylist()
    table = np.array([*map(_h8, values), int(NULL)], dtype=np.uint64)
    idx = pc.fill_null(enc.indices, len(values)).to_numpy(zero_copy_only=False).astype(np.int64)
    out: np.ndarray = table[idx]
    return out


def _values(arr: pa.Array) -> np.ndarray:
    """A column as one uint64 per row, before mixing."""
    t = arr.type
    if pa.types.is_dictionary(t) or pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_binary(t):
        return _strings(arr)
    if pa.types.is_fixed_size_binary(t):
        width = t.byte_width
        raw = pc.fill_null(arr, pa.scalar(bytes(width), t))
        data = np.frombuffer(raw.buffers()[1], np.uint8)[raw.offset * width : (raw.offset + len(raw)) * width]
        words = np.zeros((len(raw), -(-width // 8) * 8), np.uint8)
        words[:, :width] = data.reshape(len(raw), width)
        acc = np.zeros(len(raw), np.uint64)
        for w in words.view(np.uint64).T:  # fold the words: h = mix(h ^ w)
            acc = _mix(acc ^ w)
        nulls = arr.is_null().to_numpy(zero_copy_only=False)
        acc[nulls] = NULL
        return acc
    if pa.types.is_boolean(t):
        vals = pc.fill_null(arr, False).to_numpy(zero_copy_only=False).astype(np.uint64)
    elif pa.types.is_floating(t):
        vals = pc.fill_null(arr, 0.0).to_numpy(zero_copy_only=False).astype(np.float64).view(np.uint64)
    elif pa.types.is_integer(t) or pa.types.is_temporal(t):
        vals = pc.fill_null(arr.cast(pa.int64()), 0).to_numpy(zero_copy_only=False).view(np.uint64)
    else:  # any other type: by its text
        return _strings(arr.cast(pa.string()))
    if arr.null_count:
        vals = vals.copy()
        vals[arr.is_null().to_numpy(zero_copy_only=False)] = NULL
    out: np.ndarray = vals
    return out


def field_digests(table: pa.Table | pa.RecordBatch) -> np.ndarray:
    """rows x fields, uint32: a digest of each field of each row, salted by the field's position and type
    (a string's type is string whether stored plain or as a dictionary)."""
    from jukinet.model.audit.trust import plain_schema

    out = np.empty((table.num_rows, table.num_columns), np.uint32)
    for j, (col, f) in enumerate(zip(table.columns, plain_schema(table.schema), strict=True)):
        arr = col if isinstance(col, pa.Array) else col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
        salt = int.from_bytes(hashlib.sha256(f"{j}|{f.name}|{f.type}".encode()).digest()[:8], "little")
        with np.errstate(over="ignore"):
            h = _mix(_values(arr) ^ np.uint64(salt)) if table.num_rows else np.zeros(0, np.uint64)
        out[:, j] = (h >> np.uint64(32)).astype(np.uint32)
    return out


CHUNK_ROWS = 1 << 20  # rows of digests hashed at once


def digest_sha256(d: np.ndarray) -> str:
    """What the signed statement carries for a table's digests: their shape and bytes."""
    h = hashlib.sha256(f"{d.shape[0]}x{d.shape[1] if d.ndim == 2 else 0}|".encode())
    for lo in range(0, len(d), CHUNK_ROWS):  # a memory-mapped file is read a part at a time
        h.update(np.ascontiguousarray(d[lo : lo + CHUNK_ROWS]).tobytes())
    return h.hexdigest()


class DigestWriter:
    """folder/digests/NAME.npy written batch by batch (rows x fields, uint32), and its digest_sha256."""

    def __init__(self, folder: Path, name: str, rows: int, fields: int) -> None:
        (folder / "digests").mkdir(exist_ok=True)
        self.file = (folder / "digests" / f"{name}.npy").open("wb")
        np.lib.format.write_array_header_1_0(self.file, {"descr": "<u4", "fortran_order": False, "shape": (rows, fields)})
        self.sha = hashlib.sha256(f"{rows}x{fields}|".encode())
        self.rows, self.left = rows, rows

    def add(self, batch: pa.RecordBatch) -> None:
        d = np.ascontiguousarray(field_digests(batch), "<u4").tobytes()
        self.left -= batch.num_rows
        self.sha.update(d)
        self.file.write(d)

    def close(self) -> str:
        self.file.close()
        if self.left:
            raise ValueError(f"{self.left:,} rows of {self.rows:,} not written")
        return self.sha.hexdigest()


def read_digests(folder: Path, name: str, want_sha256: str) -> np.ndarray | None:
    """The signed digests of a table (memory-mapped), or None if missing, unreadable or not what was signed."""
    try:
        d: np.ndarray = np.load(folder / "digests" / f"{name}.npy", mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError):
        return None
    if d.dtype != np.uint32 or d.ndim != 2 or digest_sha256(d) != want_sha256:
        return None
    return d


@dataclass(frozen=True)
class Change:
    row: int  # first row concerned, in the folder's table (deletions: where the rows were)
    text: str


def _rows(d: np.ndarray) -> np.ndarray:
    """One comparable value per row (its fields' digests as bytes)."""
    return np.ascontiguousarray(d).view(np.dtype((np.void, d.dtype.itemsize * d.shape[1]))).ravel()


def _span(a: int, b: int) -> str:
    return f"row {a:,}" if b == a + 1 else f"rows {a:,}-{b - 1:,}"


def _fields(fields: list[str], a: np.ndarray, b: np.ndarray) -> list[str]:
    return [f for f, x, y in zip(fields, a, b, strict=True) if x != y]


def locate(signed: np.ndarray, mine: np.ndarray, fields: list[str]) -> list[Change]:
    """How the folder's rows (`mine`) differ from the signed ones: the first differing row, the common tail,
    and between them rows edited (naming the fields), deleted, inserted or reordered."""
    if signed.shape[1] != mine.shape[1]:
        return [Change(0, f"has {mine.shape[1]} columns; {signed.shape[1]} signed")]
    found = Locator(signed, len(mine), fields)
    for lo in range(0, len(mine), CHUNK_ROWS):
        found.feed(mine[lo : lo + CHUNK_ROWS])
    return found.finish()


def _row_sums(d: np.ndarray) -> tuple[int, int]:
    """Two independent 64-bit sums over the rows of `d` of a hash of each row: equal for the same rows in any
    order (a multiset's hash; a different multiset matches both with a chance of about 2**-128)."""
    with np.errstate(over="ignore"):
        h = np.zeros(len(d), np.uint64)
        for col in np.asarray(d, np.uint64).T:
            h = _mix(h ^ col ^ _GOLDEN)
        return int(h.sum(dtype=np.uint64)), int(_mix(h ^ NULL).sum(dtype=np.uint64))


class Locator:
    """`locate` fed the folder's digests a batch at a time, in order, holding one batch (the signed digests may
    be memory-mapped): the first row that differs from the signed table's, the common tail (the rows that
    differ when the two are aligned at their ends), and, for tables of the same length, the rows edited."""

    def __init__(self, signed: np.ndarray, rows: int, fields: list[str]) -> None:
        self.signed, self.m, self.fields = signed, rows, fields
        self.n, self.at, self.width = len(signed), 0, signed.shape[1]
        self.first: int | None = None  # the first row differing, aligned at the start
        self.last = -1  # the last of the folder's rows differing, aligned at the end (row i with signed i + n - m)
        self.edited, self.shown, self.more = 0, list[Change](), -1  # more: the first edited row not shown
        self.sums = [0, 0, 0, 0]  # n == m: the differing rows' multiset hashes, signed then the folder's

    def feed(self, d: np.ndarray) -> None:
        lo, hi, n, shift = self.at, self.at + len(d), self.n, self.n - self.m
        self.at = hi
        if d.ndim != 2 or d.shape[1] != self.signed.shape[1]:
            self.width = d.shape[1] if d.ndim == 2 else 0
            return
        if self.first is None and lo < min(n, self.m):
            top = min(hi, n)
            diff = np.flatnonzero(_rows(self.signed[lo:top]) != _rows(d[: top - lo]))
            self.first = lo + int(diff[0]) if len(diff) else None
        a, z = max(lo, -shift), min(hi, n - shift)  # the folder's rows with a signed row at the same distance from the end
        if z <= a:
            return
        theirs, mine = self.signed[a + shift : z + shift], d[a - lo : z - lo]
        diff = np.flatnonzero(_rows(theirs) != _rows(mine))
        if not len(diff):
            return
        self.last = a + int(diff[-1])
        if shift == 0:
            self.edited += len(diff)
            for i in diff[: SHOWN - len(self.shown)].tolist():
                self.shown.append(Change(a + i, f"row {a + i:,} edited: {', '.join(_fields(self.fields, theirs[i], mine[i]))}"))
            if self.more < 0 and self.edited > SHOWN:
                self.more = a + int(diff[len(diff) - (self.edited - SHOWN)])
            for k, x in enumerate((*_row_sums(theirs[diff]), *_row_sums(mine[diff]))):
                self.sums[k] = (self.sums[k] + x) % (1 << 64)

    def finish(self) -> list[Change]:
        """How the folder's rows differ from the signed ones (as `locate`); none if it was fed other than
        `rows` rows of the signed table's columns."""
        n, m = self.n, self.m
        if self.at != m:
            return []
        if self.width != self.signed.shape[1]:
            return [Change(0, f"has {self.width} columns; {self.signed.shape[1]} signed")]
        k = min(n, m)
        p = k if self.first is None else self.first
        if p == n == m:
            return []
        s = k - p if self.last < 0 else min(m - 1 - self.last, k - p)  # rows equal at the end
        replaced, instead = n - s - p, m - s - p  # the signed rows replaced, and how many the folder has instead
        if n == m:
            if replaced >= 2 and self.sums[:2] == self.sums[2:]:
                return [Change(p, f"{_span(p, n - s)} reordered (the same rows in another order)")]
            more = [Change(self.more, f"and {self.edited - SHOWN:,} more rows edited")] if self.edited > SHOWN else []
            return self.shown + more
        if m == 0:
            return [Change(0, f"all {n:,} rows of the signed table deleted")]
        if m < n and instead == 0:
            end = " (cut off at the end)" if s == 0 and p == m else ""
            return [Change(p, f"{_span(p, p + replaced)} of the signed table deleted{end}")]
        if m > n and replaced == 0:
            return [Change(p, f"{_span(p, p + instead)} inserted")]
        return [Change(p, f"signed {_span(p, n - s)} replaced by the folder's {_span(p, m - s)}")]

"""The disclosure index (issue 12, item 3; issue 30, item 1): for every resident code of a run, a leaf committing
to the complete list of provisions made under it and to its holder's identity record, in a Merkle tree whose root
the center's final statement signs.

A record's leaf hashes its canonical bytes (model/audit/canon.py).  A code's leaf hashes "resident-code|CODE|N|"
(11 and 10 digits) and the SHA-256 of the leaves of the N provisions made under the code, in sequence order, then
"|K|" (10 digits) and the history digest of the codes its holder had (model/audit/history.py), then "|" and the
leaf of the residents row that holds the code (an empty hash for a code no row holds now: an old code).  So a
resident given their provisions, their codes, their identity record and the leaves' audit paths can check, with
nothing else, that all of it is the signed one: one provision or one old code left out, or one field of the
identity changed, changes a leaf.

At full scale there are some 127 million codes and 74 million provisions, so the index is built from
NumPy and Arrow arrays fed batch by batch (`IndexBuilder`), never a Python object per code, and written
beside the records (index/codes.npy, index/leaves.npy, and the tree's levels from 2**UPPER leaves up in
index/upper.npy) so a disclosure's audit path is read, not rebuilt (`index_path`).  The residents rows'
leaves wait in a temporary file until the codes are sorted (32 bytes a resident, on disk, not in memory).
"""

from __future__ import annotations

import contextlib
import hashlib
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from jukinet.model.audit.canon import hash_each, record_bytes, record_texts
from jukinet.model.audit.history import histories, history_digest
from jukinet.model.audit.merkle import leaf, levels, path_in, sizes, upper_of

UPPER = 10  # levels of the tree below this one are rebuilt from 2**UPPER leaves when a path is asked for
CHUNK = 1 << 20  # leaves hashed per Python list at once
EMPTY = hashlib.sha256(b"").digest()


def code_leaf(
    code: int, records: list[dict[str, Any]], held: list[int] | None = None, identity: dict[str, Any] | None = None
) -> bytes:
    """A resident code's leaf over its provision records (any order: they are put in sequence order), the
    codes its holder had (`held`, `code` among them; default: `code` alone) and the residents row that holds
    the code (`identity`; None for a code no row holds)."""
    rows = sorted(records, key=lambda r: int(r["seq"]))
    listed = hashlib.sha256(b"".join(leaf(record_bytes(r)) for r in rows)).digest()
    codes = held or [int(code)]
    tail = f"|{len(codes):010d}|".encode() + history_digest(codes)
    tail += b"|" + (leaf(record_bytes(identity)) if identity is not None else EMPTY)
    return leaf(f"resident-code|{int(code):011d}|{len(rows):010d}|".encode() + listed + tail)


def _digits(x: np.ndarray, width: int) -> np.ndarray:
    """Each number as `width` ASCII digits (rows x width, uint8)."""
    out = np.empty((len(x), width), np.uint8)
    v = x.astype(np.int64).copy()
    for j in range(width - 1, -1, -1):
        out[:, j] = 48 + v % 10
        v //= 10
    return out


def code_leaves(
    codes: np.ndarray, counts: np.ndarray, listed: np.ndarray, held: np.ndarray, hist: np.ndarray, ident: np.ndarray
) -> np.ndarray:
    """code_leaf of each code (rows x 32), given how many provisions each has and their list's hash, how many
    codes its holder had with their history digest, and the leaf of the residents row holding it."""
    head = b"\x00resident-code|"
    out = np.empty((len(codes), 32), np.uint8)
    for lo in range(0, len(codes), CHUNK):
        hi = min(len(codes), lo + CHUNK)
        bar = np.full((hi - lo, 1), ord("|"), np.uint8)
        fields = [np.broadcast_to(np.frombuffer(head, np.uint8), (hi - lo, len(head))), _digits(codes[lo:hi], 11), bar]
        fields += [_digits(counts[lo:hi], 10), bar, listed[lo:hi], bar, _digits(held[lo:hi], 10), bar, hist[lo:hi]]
        fields += [bar, ident[lo:hi]]
        rows = np.ascontiguousarray(np.concatenate(fields, axis=1))
        raw, w = rows.tobytes(), rows.shape[1]
        sha = hashlib.sha256
        digests = b"".join([sha(raw[i : i + w]).digest() for i in range(0, len(raw), w)])
        out[lo:hi] = np.frombuffer(digests, np.uint8).reshape(hi - lo, 32)
    return out


def _found(keys: np.ndarray, part: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each of `part` is in the sorted `keys`, and whether it is there at all."""
    if not len(keys):
        return np.zeros(len(part), np.int64), np.zeros(len(part), bool)
    at = np.minimum(np.searchsorted(keys, part), len(keys) - 1)
    return at, keys[at] == part


class IndexBuilder:
    """The index fed the run's provisions and resident codes batch by batch."""

    def __init__(self) -> None:
        self.codes: list[np.ndarray] = []  # every code the run knows (residents, code changes)
        self.made_codes: list[np.ndarray] = []  # per provision made: its code, seq and record leaf
        self.made_seqs: list[np.ndarray] = []
        self.made_leaves: list[bytes] = []
        self.changes: list[tuple[np.ndarray, np.ndarray]] = []  # (old, new) codes of the run's code changes
        self.people: list[np.ndarray] = []  # the codes the residents rows hold, in the rows' order
        self.rows: Any = None  # their leaves, in that order, in a temporary file until `leaves` reads them

    def known(self, codes: np.ndarray) -> None:
        self.codes.append(np.asarray(codes, np.int64))

    def residents(self, batch: pa.RecordBatch) -> None:
        """A batch of the residents table: its codes are known, and each leaf binds the row holding its code."""
        codes = np.asarray(batch.column("code").to_numpy(zero_copy_only=False), np.int64)
        self.known(codes)
        self.people.append(codes)
        if self.rows is None:
            self.rows = tempfile.TemporaryFile()  # noqa: SIM115 - closed by `_identities`, once mapped
        self.rows.write(hash_each(record_texts(batch), b"\x00"))

    def _identities(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The residents rows' codes in order, where each one's row is, and the rows' leaves (mapped from disk)."""
        held = np.concatenate(self.people) if self.people else np.zeros(0, np.int64)
        self.people = []
        order = np.argsort(held, kind="stable")
        rows = np.zeros((0, 32), np.uint8)
        if self.rows is not None:
            self.rows.flush()
            if len(held):
                rows = np.memmap(self.rows, np.uint8, "r", shape=(len(held), 32))  # the map keeps its own handle
            self.rows.close()
            self.rows = None
        return held[order], order, rows

    def changed(self, old: np.ndarray, new: np.ndarray) -> None:
        """The run's code changes: both codes are known, and each leaf binds its holder's codes."""
        self.known(old)
        self.known(new)
        self.changes.append((np.asarray(old, np.int64), np.asarray(new, np.int64)))

    def provisions(self, batch: pa.RecordBatch) -> None:
        made = batch.filter(pc.fill_null(batch.column("allowed"), False))
        if not made.num_rows:
            return
        self.made_codes.append(made.column("code").to_numpy(zero_copy_only=False).astype(np.int64))
        self.made_seqs.append(made.column("seq").to_numpy(zero_copy_only=False).astype(np.int64))
        self.made_leaves.append(hash_each(record_texts(made), b"\x00"))

    def _listed(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The codes provisions were made under (sorted), how many each, and the hash of their records' leaves."""
        codes = np.concatenate(self.made_codes) if self.made_codes else np.zeros(0, np.int64)
        seqs = np.concatenate(self.made_seqs) if self.made_seqs else np.zeros(0, np.int64)
        self.made_codes, self.made_seqs = [], []
        order = np.lexsort((seqs, codes))
        del seqs
        codes = codes[order]
        leaves = np.empty((len(codes), 32), np.uint8)
        at, parts = 0, self.made_leaves
        parts.reverse()
        while parts:  # each batch's leaves freed as it is copied: not the list and the whole array at once
            got = np.frombuffer(parts.pop(), np.uint8).reshape(-1, 32)
            leaves[at : at + len(got)] = got
            at += len(got)
        starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]]) if len(codes) else np.zeros(0, np.int64)
        ends = np.r_[starts[1:], len(codes)].astype(np.int64)
        listed = np.empty((len(starts), 32), np.uint8)
        sha = hashlib.sha256
        for lo in range(0, len(starts), CHUNK):  # the leaves in code order a part at a time, not a second copy
            a, b = starts[lo : lo + CHUNK], ends[lo : lo + CHUNK]
            mine = leaves[order[a[0] : b[-1]]]
            a, b = (a - a[0]).tolist(), (b - a[0]).tolist()
            part = b"".join([sha(mine[i:j].tobytes()).digest() for i, j in zip(a, b, strict=True)])
            listed[lo : lo + len(a)] = np.frombuffer(part, np.uint8).reshape(-1, 32)
        return codes[starts], ends - starts, listed

    def leaves(self) -> tuple[np.ndarray, Iterator[np.ndarray]]:
        """Every code the run knows (sorted) and, CHUNK codes at a time, their leaves."""
        made, counts, listed = self._listed()
        codes = np.unique(np.concatenate([*self.codes, made]))
        self.codes = []
        cat = [np.concatenate(x) for x in zip(*self.changes, strict=True)] if self.changes else [np.zeros(0, np.int64)] * 2
        moved, held, hist = histories(*cat)
        people, where, rows = self._identities()

        def parts() -> Iterator[np.ndarray]:
            for lo in range(0, len(codes), CHUNK):  # a part at a time: no per-code count and list for all codes
                part = codes[lo : lo + CHUNK]
                n = np.zeros(len(part), np.int64)
                lists = np.empty((len(part), 32), np.uint8)
                lists[:] = np.frombuffer(EMPTY, np.uint8)
                at, hit = _found(made, part)
                n[hit], lists[hit] = counts[at[hit]], listed[at[hit]]
                k, h = np.ones(len(part), np.int64), np.zeros((len(part), 32), np.uint8)
                at, hit = _found(moved, part)
                k[hit], h[hit] = held[at[hit]], hist[at[hit]]
                ident = np.empty((len(part), 32), np.uint8)
                ident[:] = np.frombuffer(EMPTY, np.uint8)
                at, hit = _found(people, part)
                ident[hit] = rows[where[at[hit]]]
                yield code_leaves(part, n, lists, k, h, ident)

        return codes, parts()

    def finish(self, folder: Path | None = None) -> tuple[int, bytes]:
        """The number of codes and the root; with `folder`, the index written there (codes, leaves, upper levels),
        the leaves as they are made."""
        codes, parts = self.leaves()
        out = None
        if folder is not None:
            folder.mkdir(exist_ok=True)
            np.save(folder / "codes.npy", codes, allow_pickle=False)
            out = (folder / "leaves.npy").open("wb")
            np.lib.format.write_array_header_1_0(out, {"descr": "|u1", "fortran_order": False, "shape": (len(codes), 32)})

        def written() -> Iterator[np.ndarray]:
            for part in parts:
                if out is not None:
                    out.write(part.tobytes())
                yield part

        try:
            root, upper = upper_of(written(), UPPER)
        finally:
            if out is not None:
                out.close()
        if folder is not None:
            np.save(folder / "upper.npy", np.concatenate(upper) if upper else np.zeros((0, 32), np.uint8), allow_pickle=False)
        return len(codes), root


def _opened(folder: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[int]]:
    try:
        codes = np.load(folder / "codes.npy", mmap_mode="r", allow_pickle=False)
        leaves = np.load(folder / "leaves.npy", mmap_mode="r", allow_pickle=False)
        upper = np.load(folder / "upper.npy", mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise ValueError(str(exc)[:120]) from None
    levels_n = sizes(len(codes))
    if leaves.shape != (len(codes), 32) or upper.shape != (sum(levels_n[UPPER:]), 32) or codes.dtype != np.int64:
        raise ValueError("index/codes.npy, leaves.npy and upper.npy do not fit together")
    return codes, leaves, upper, levels_n


def index_problem(folder: Path, signed: dict[str, Any]) -> str | None:
    """What is wrong with the index a signed run keeps (index/) against the signed one: missing or damaged
    files, another size, codes out of order, or a root other than the signed root (read from the tree's top
    levels; a changed leaf below them is found by the disclosure that reads it: jukinet verify-disclosure)."""
    try:
        codes, leaves, upper, _ = _opened(folder)
    except ValueError as exc:
        return f"index/ is missing or damaged: {exc}"
    if len(codes) != int(signed["codes"]):
        return f"index/ holds {len(codes):,} codes; the signed index {int(signed['codes']):,}"
    f, _ = _rows_of(folder / "codes.npy", "<i8", 0)  # read a part at a time, not mapped: a full-scale index is 1 GB
    with f:
        last = None
        while len(part := np.fromfile(f, np.int64, 1 << 24)):
            if np.any(part[1:] <= part[:-1]) or (last is not None and part[0] <= last):
                return "index/codes.npy is not in strictly increasing order"
            last = part[-1]
    top = upper[-1] if len(upper) else levels(np.array(leaves))[-1][0] if len(leaves) else np.frombuffer(EMPTY, np.uint8)
    if bytes(top) != bytes.fromhex(signed["root"]):
        return "index/ leads to another root than the signed disclosure index's"
    return None


def _rows_of(path: Path, dtype: str, width: int) -> tuple[Any, int]:
    """An index file opened past its header, read a part at a time (not mapped: a full-scale leaves.npy is 4 GB),
    and its number of rows."""
    f = path.open("rb")
    try:
        np.lib.format.read_magic(f)
        shape, fortran, got = np.lib.format.read_array_header_1_0(f)
    except (OSError, ValueError) as exc:
        f.close()
        raise ValueError(f"{path.name}: {str(exc)[:100]}") from None
    if fortran or got != np.dtype(dtype) or len(shape) != (2 if width else 1) or (width and shape[1] != width):
        f.close()
        raise ValueError(f"{path.name} is not the index's {dtype} array")
    return f, int(shape[0])


def _differs(code: int, kept: int, at: int) -> tuple[int, str]:
    if kept != code:
        return code, f"index/ has code {kept:011d} at position {at:,}; the records {code:011d}"
    return code, f"code {code:011d}: its leaf in index/ is not what its provisions make (one left out, added or changed)"


def rebuilt_problems(built: IndexBuilder, folder: Path, signed: dict[str, Any], limit: int = 20) -> list[tuple[int, str]]:
    """The disclosure index rebuilt from the records (`built`, fed every provision and every code the run
    knows) against index/ and the signed root (C12: a resident's disclosure shows what the records hold):
    (code, problem) for the first `limit` codes whose leaf in index/ is not the one their provisions make, then
    (-1, problem) for the count of the rest and for a root other than the signed one."""
    codes, parts = built.leaves()
    out: list[tuple[int, str]] = []
    files: list[Any] = []
    held = []
    try:
        for name, dtype, width in (("codes.npy", "<i8", 0), ("leaves.npy", "|u1", 32)):
            f, n = _rows_of(folder / name, dtype, width)
            files.append(f)
            held.append(n)
        if held != [len(codes)] * 2:
            out.append((-1, f"index/ holds {held[0]:,} codes and {held[1]:,} leaves; the records name {len(codes):,}"))
    except (OSError, ValueError):  # named by index_problem; the rebuilt index is still held to the signed root
        held = []
    differ, named = 0, list[tuple[int, str]]()

    def compared() -> Iterator[np.ndarray]:
        nonlocal differ
        lo = 0
        for part in parts:
            if held and not out:  # both files read, of the records' size
                mine = codes[lo : lo + len(part)]
                theirs = np.fromfile(files[0], np.int64, len(part))
                kept = np.fromfile(files[1], np.uint8, 32 * len(part))
                if len(theirs) != len(part) or len(kept) != 32 * len(part):
                    out.append((-1, "index/ ends before the size its files state (cut off)"))
                else:
                    kept = kept.reshape(-1, 32)
                    bad = np.flatnonzero((theirs != mine) | (kept != part).any(1))
                    for i in bad[: max(0, limit - differ)].tolist():
                        named.append(_differs(int(mine[i]), int(theirs[i]), lo + i))
                    differ += len(bad)
            lo += len(part)
            yield part

    try:
        root, _ = upper_of(compared(), UPPER)
    finally:
        for f in files:
            f.close()
    out += named
    if differ > limit:
        out.append((-1, f"and {differ - limit:,} more codes whose leaf in index/ differs"))
    if root.hex() != signed["root"] or len(codes) != signed["codes"]:
        out.append((-1, f"the index the records make ({len(codes):,} codes) is not the signed one"))
    return out


# What `jukinet audit --trust --index` needs in all, per row of the provisions, residents and code changes
# (twice) it reads into the rebuilt index, fitted to a scale-0.1 run (20.2 M rows) while a full-scale run shared
# the machine: 1,698 MiB peak (the trusted audit alone 883 MiB) and 188 s (the trusted audit alone, quiet, 45 s).
# On the full-scale run (202 M rows) that fit was low: 1,671 s and 15.2 GB peak (the trusted audit alone 365 s),
# so these are set above what was measured there (80 bytes: 16.5 GB in all; 9 us: 30 min more).
REBUILD_BYTES_PER_ROW = 80.0
REBUILD_BASE_BYTES = 0.3e9
REBUILD_SECONDS_PER_ROW = 9e-6  # the time it adds


def check_rebuild(run: Path) -> str:
    """What rebuilding the run's disclosure index needs, checked against this machine's memory before the audit
    starts (a one-line error naming --index if it does not fit)."""
    import pyarrow.parquet as pq

    from jukinet.model.config.estimate import GB, check_memory, duration

    rows = 0
    for name, per in (("provisions", 1), ("residents", 1), ("code_changes", 2)):
        with contextlib.suppress(OSError, pa.ArrowException):  # the audit names a missing or damaged table
            rows += per * pq.ParquetFile(run / "records" / f"{name}.parquet").metadata.num_rows
    need = REBUILD_BASE_BYTES + REBUILD_BYTES_PER_ROW * rows
    check_memory(need, f"the audit rebuilding the disclosure index from {rows:,} rows", "--index", "the audit without --index")
    took = duration(REBUILD_SECONDS_PER_ROW * rows)
    return f"--index rebuilds the disclosure index from {rows:,} rows: about {need / GB:.1f} GB of memory in all, {took} more"


def index_path(folder: Path, code: int) -> tuple[int, int, list[bytes]] | None:
    """The code's position in the index, the index's size and the leaf's audit path, read from the index
    written by `IndexBuilder.finish` (None if the code is not in it).  Raises ValueError if the files are
    missing or do not fit together."""
    codes, leaves, upper, widths = _opened(folder)
    n = len(codes)
    m = int(np.searchsorted(codes, code))
    if m >= n or int(codes[m]) != code:
        return None
    lo = (m >> UPPER) << UPPER
    below = levels(np.array(leaves[lo : lo + (1 << UPPER)]))  # the subtree of 2**UPPER leaves holding m
    path = path_in(below, m - lo)[:UPPER]
    offset, j = 0, m >> UPPER
    tree_upper = []
    for size in widths[UPPER:]:
        tree_upper.append(upper[offset : offset + size])
        offset += size
    path += path_in(tree_upper, j) if len(widths) > UPPER else []
    return m, n, path

"""The access log audited batch by batch (issue 12, item 5): its hash chain (C09), the provisions the center
logged, operators logging in before they act (C08) and changes withheld (C16), in memory that does not grow
with the log but for one int64 and one 64-bit fingerprint per provision logged.

The chain is checked link by link: record i must hash, from the stored hash of record i-1, to its own
stored hash (model/sim/hashchain.py), so a batch needs only the last hash of the one before.  The canonical
lines are built by Arrow over whole columns; the time's `%.6f` by integer microseconds, and in Python for the
rare time whose microsecond rounding the product could get wrong (within 1e-3 of a half), so every line is the
bytes `hashchain.canonical` gives.
"""

from __future__ import annotations

import bisect
import hashlib
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from jukinet.model.audit.folder import LOG_COLUMNS, schema_problem
from jukinet.model.sim.hashchain import GENESIS, canonical

EDITED = "(edited, or its neighbour was removed or moved)"
MAX_CHAIN_FINDINGS = 50  # as hashchain.verify_chain: past this the log is not worth reading further


def canonical_lines(b: pa.RecordBatch) -> list[bytes]:
    """`hashchain.canonical` of every record of the batch, as bytes."""
    t = b.column("time").to_numpy(zero_copy_only=False).astype(np.float64)
    x = t * 1e6
    us = np.round(x).astype(np.int64)
    seconds = pa.array(us // 1_000_000).cast(pa.string())
    micros = pc.utf8_lpad(pa.array(us % 1_000_000).cast(pa.string()), 6, "0")
    cols = [
        b.column("seq").cast(pa.string()),
        pc.binary_join_element_wise(seconds, micros, "."),
        b.column("node").cast(pa.string()),
        b.column("operator").cast(pa.string()),
        b.column("action").cast(pa.string()),
        b.column("code").cast(pa.string()),
        b.column("ref").cast(pa.string()),
    ]
    lines: list[bytes] = pc.binary_join_element_wise(*cols, "|").cast(pa.binary()).to_pylist()
    near_half = np.nonzero(~np.isfinite(x) | (np.abs(x - np.floor(x) - 0.5) < 1e-3))[0]
    if len(near_half):
        rows = b.take(pa.array(near_half)).to_pylist()
        for i, r in zip(near_half.tolist(), rows, strict=True):
            lines[i] = canonical(r["seq"], r["time"], r["node"], r["operator"], r["action"], r["code"], r["ref"])
    return lines


@dataclass(frozen=True)
class Part:
    """What one stretch of the log's row groups showed: its breaks (seq, position, 'sequence' or 'hash'), the
    first MAX_CHAIN_FINDINGS + 1 of them; its rows; its last record's seq and hash; or why it could not be read."""

    breaks: tuple[tuple[int, int, str], ...]
    rows: int
    last_seq: int
    last_hash: bytes
    damaged: str | None = None
    pieces: tuple[Any, ...] = ()  # with `blocks`: the stretch's block pieces (model.audit.trust.Blocks)
    marked: tuple[tuple[int, str], ...] = ()  # the stored hash (hex) at each of the rows asked for


def verify_part(
    path: str, groups: tuple[int, int], position: int, batch_rows: int, blocks: bool = False, marks: tuple[int, ...] = ()
) -> Part:
    """Every link of the log's row groups [a, b): record i hashes, from the stored hash of the record before it,
    to its own stored hash, and its seq is its position.  With `blocks`, also the stretch's block pieces for the
    signed heads, and the stored hash at each row of `marks` (sorted) within it.  Runs in a worker process (or
    inline)."""
    from jukinet.model.audit.trust import Blocks

    breaks: list[tuple[int, int, str]] = []
    marked: list[tuple[int, str]] = []
    rows, last_seq, prev = 0, -1, GENESIS
    try:
        f = pq.ParquetFile(path, page_checksum_verification=True, pre_buffer=False)  # pre-buffering held GBs at full scale
        problem = schema_problem("access_log", f.schema_arrow)
        if problem:
            return Part((), 0, -1, GENESIS, problem)
        tap = Blocks(f.schema_arrow, position) if blocks else None
        k = bisect.bisect_left(marks, position)
        if groups[0] > 0:
            before = f.read_row_group(groups[0] - 1, columns=["hash"]).column("hash")
            prev = before[len(before) - 1].as_py() if len(before) else GENESIS
        sha = hashlib.sha256
        for b in f.iter_batches(batch_size=batch_rows, row_groups=range(*groups), columns=list(LOG_COLUMNS)):
            n = b.num_rows
            if n == 0:
                continue
            seq = b.column("seq").to_numpy().astype(np.int64)
            hashes: list[bytes] = b.column("hash").cast(pa.binary()).to_pylist()
            if tap is not None:
                tap.feed(b)
            at = position + rows
            while k < len(marks) and marks[k] < at + n:
                marked.append((marks[k], hashes[marks[k] - at].hex()))
                k += 1
            lines = canonical_lines(b)
            prevs = [prev, *hashes[:-1]]
            digests = b"".join([sha(p + line).digest() for p, line in zip(prevs, lines, strict=True)])
            ok = (
                np.frombuffer(digests, np.uint8).reshape(n, 32) == np.frombuffer(b"".join(hashes), np.uint8).reshape(n, 32)
            ).all(1)
            wrong_place = seq != np.arange(position + rows, position + rows + n)
            for i in np.nonzero(wrong_place | ~ok)[0].tolist():
                if len(breaks) > MAX_CHAIN_FINDINGS:
                    break
                if wrong_place[i]:
                    breaks.append((int(seq[i]), position + rows + i, "sequence"))
                if not ok[i]:
                    breaks.append((int(seq[i]), position + rows + i, "hash"))
            rows += n
            prev, last_seq = hashes[-1], int(seq[-1])
    except (OSError, pa.ArrowException, ValueError) as exc:
        return Part((), rows, last_seq, prev, f"damaged: {str(exc).splitlines()[0][:160]}")
    return Part(tuple(breaks), rows, last_seq, prev, None, tuple(tap.close()) if tap is not None else (), tuple(marked))


class Chain:
    """The log's chain verified in stretches of about PART_ROWS rows: by a pool of worker processes (spawned)
    for a log of PARALLEL_ROWS records or more, while the caller reads the rest of the run; inline for less."""

    PART_ROWS = 1 << 20
    PARALLEL_ROWS = 2_000_000

    def __init__(
        self, path: Path, batch_rows: int, workers: int | None = None, blocks: bool = False, marks: tuple[int, ...] = ()
    ) -> None:
        self.path, self.extra = path, (blocks, marks)
        meta = pq.ParquetFile(path).metadata
        sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
        self.parts: list[tuple[tuple[int, int], int]] = []
        start = pos = held = 0
        for i, n in enumerate(sizes):
            held += n
            if held >= self.PART_ROWS or i == len(sizes) - 1:
                self.parts.append(((start, i + 1), pos))
                pos, start, held = pos + held, i + 1, 0
        self.batch_rows = batch_rows
        self.pool: ProcessPoolExecutor | None = None
        self.futures: list[Future[Part]] = []
        if meta.num_rows >= self.PARALLEL_ROWS and len(self.parts) > 1:
            n = workers or min(len(self.parts), os.cpu_count() or 1)
            self.pool = ProcessPoolExecutor(  # a Ctrl-C reaches the audit, which ends them; not each worker
                n,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=signal.signal,
                initargs=(signal.SIGINT, signal.SIG_IGN),
            )
            self.futures = [self.pool.submit(verify_part, str(path), g, p, batch_rows, *self.extra) for g, p in self.parts]

    def result(self) -> list[Part]:
        if self.pool is not None:
            try:
                return [f.result() for f in self.futures]
            except BrokenProcessPool:  # a worker could not start (a script without `if __name__ == "__main__":`)
                pass
            finally:
                self.pool.shutdown(cancel_futures=True)
        return [verify_part(str(self.path), g, p, self.batch_rows, *self.extra) for g, p in self.parts]


@dataclass
class LogScan:
    """Fed the access log's batches in order (all columns but the hash); its findings afterwards, per check,
    with the chain's `Part`s."""

    position: int = 0
    center_refs: list[np.ndarray] = field(default_factory=list)
    center_prints: list[np.ndarray] = field(default_factory=list)  # each one's `fingerprint` (code, time, decision)
    withheld: list[tuple[int, str]] = field(default_factory=list)
    withheld_count: int = 0
    not_logged_in: list[tuple[int, int, str]] = field(default_factory=list)
    not_logged_in_count: int = 0
    seen: set[int] = field(default_factory=set)  # (operator, day) keys whose first action was seen
    limit: int = 20

    def feed(self, b: pa.RecordBatch) -> None:
        n = b.num_rows
        if n == 0:
            return
        node, action = b.column("node").cast(pa.string()), b.column("action").cast(pa.string())
        at_center = pc.and_(pc.equal(node, "center"), pc.is_in(action, pa.array(["provide", "refuse"])))
        self.center_refs.append(b.column("ref").filter(at_center).to_numpy().astype(np.int64))
        provide = pc.equal(action.filter(at_center), "provide").to_numpy(zero_copy_only=False)
        code, t = b.column("code").filter(at_center).to_numpy(), b.column("time").filter(at_center).to_numpy()
        self.center_prints.append(fingerprint(code, t, provide))
        held = pc.equal(action, "withhold").to_numpy(zero_copy_only=False)
        if held.any():
            seqs = b.column("seq").to_numpy()[held]
            nodes = node.filter(pa.array(held)).to_pylist()
            self.withheld_count += int(held.sum())
            room = self.limit - len(self.withheld)
            self.withheld += list(zip(seqs[:room].tolist(), nodes[:room], strict=True))
        self._logins(b, action)
        self.position += n

    def _logins(self, b: pa.RecordBatch, action: pa.Array) -> None:
        op = b.column("operator").to_numpy().astype(np.int64)
        mine = np.nonzero(op >= 0)[0]
        if not len(mine):
            return
        day = (b.column("time").to_numpy()[mine] // 86400).astype(np.int64)
        keys = op[mine] * 100_000 + day
        uniq, first = np.unique(keys, return_index=True)
        new = np.array([k not in self.seen for k in uniq.tolist()], dtype=bool)
        self.seen.update(uniq[new].tolist())
        rows = mine[first[new]]
        acts = np.asarray(action.take(pa.array(rows)).to_pylist(), dtype=object)
        bad = np.sort(rows[acts != "login"])
        if len(bad):
            seqs = b.column("seq").to_numpy()
            self.not_logged_in_count += len(bad)
            for r in bad[: self.limit - len(self.not_logged_in)].tolist():
                self.not_logged_in.append((int(seqs[r]), int(op[r]), str(action[r].as_py())))

    def logged(self) -> tuple[np.ndarray, np.ndarray]:
        """The provision numbers the center logged (provide or refuse), sorted, and each one's fingerprint."""
        refs = np.concatenate(self.center_refs) if self.center_refs else np.array([], np.int64)
        prints = np.concatenate(self.center_prints) if self.center_prints else np.array([], np.uint64)
        self.center_refs, self.center_prints = [], []
        order = np.argsort(refs, kind="stable")
        return refs[order], prints[order]


def fingerprint(code: np.ndarray, time: np.ndarray, provided: np.ndarray) -> np.ndarray:
    """64 bits of (resident code, time, provided or refused) per row: what a provision row and the center's log
    record of it both state, compared without keeping three columns per provision in memory."""
    c = np.asarray(code, np.int64).view(np.uint64)
    t = np.ascontiguousarray(time, np.float64).view(np.uint64)
    mixed = c * np.uint64(0x9E3779B97F4A7C15) ^ (t ^ (t >> np.uint64(29))) * np.uint64(0xC2B2AE3D27D4EB4F)
    return mixed ^ np.asarray(provided, np.uint64) * np.uint64(0x165667B19E3779F9)


def chain_problems(
    parts: list[Part], head_count: int, head_hash: bytes, seqs_again: Callable[[], Iterable[np.ndarray]]
) -> list[tuple[int, int, str]]:
    """(seq, position, problem) as hashchain.verify_chain words them; `seqs_again` reads the seq column anew
    (only when the sequence broke) to tell an inserted record from one moved or deleted."""
    breaks = [x for p in parts for x in p.breaks][: MAX_CHAIN_FINDINGS + 1]
    rows = sum(p.rows for p in parts)
    last = next((p for p in reversed(parts) if p.rows), None)
    last_seq, last_hash = (last.last_seq, last.last_hash) if last else (-1, GENESIS)
    out = []
    broken = [(s, i) for s, i, kind in breaks if kind == "sequence"]
    count: dict[int, int] = {}
    if broken:
        wanted = np.array(sorted({v for s, i in broken for v in (s, i)}), np.int64)
        for chunk in seqs_again():
            hit = chunk[np.isin(chunk, wanted)]
            for v in hit.tolist():
                count[v] = count.get(v, 0) + 1
    for s, i, kind in breaks:
        if kind == "sequence":
            if s < i or count.get(s, 0) > 1:
                what = "inserted (its number appears twice)" if count.get(s, 0) > 1 else "out of order"
            else:
                what = f"out of order (seq {i} comes later)" if i in count else f"missing before it (seq {i} deleted)"
            out.append((s, i, f"record seq {s} at position {i}: sequence broken, a record is " + what))
        else:
            out.append((s, i, f"record seq {s}: does not match its hash from the previous record " + EDITED))
    if rows != head_count:
        out.append(
            (
                last_seq + 1,
                rows,
                f"log holds {rows} records, the chain head says {head_count}: "
                f"records from seq {last_seq + 1} are missing (tail truncated)",
            )
        )
    elif rows and last_hash != head_hash:
        out.append((last_seq, rows - 1, "the last hash differs from the chain head"))
    return out

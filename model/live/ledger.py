"""The live center's access log (C09): every access numbered and hash-chained as the simulation's log is
(model.sim.hashchain: sha256(previous hash || `seq|time|node|operator|action|code|ref`)), appended to
`log/access_log.tsv` one line per record, flushed and fsynced once per batch, before any answer of the batch
leaves the server (group commit: nothing answered is missing from the log after a kill).

On opening, an existing log is read back and the chain resumes from its last whole line (a torn last line, a
write the kill interrupted, is cut off: it answered nobody).  On close, `log/head.json` holds the chain head
and `records/access_log.parquet` the log in the columns the audit reads (model.audit.folder.LOG_COLUMNS).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from jukinet.model.sim.hashchain import GENESIS, Finding, chain, verify_chain
from jukinet.model.sim.records import write_parquet

LOG = Path("log") / "access_log.tsv"
PROVISIONS = Path("log") / "provisions.jsonl"  # each request decided: the run's `provisions` table, one JSON line a row
HEAD = Path("log") / "head.json"
PARQUET = Path("records") / "access_log.parquet"


@dataclass(frozen=True, slots=True)
class Entry:
    """One access, as the simulation's log records it."""

    time: float  # seconds since the epoch (UTC)
    node: str  # where it happened: "center"
    operator: int  # the requester's operator (model.live.desk)
    action: str  # login | provide | refuse
    code: int  # the resident code concerned (0: none)
    ref: int  # the provision's sequence number (-1: none)


class Ledger:
    """The append-only, hash-chained, fsynced log of one server folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / LOG
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.count, self.head, self.resumed = self._resume()
        self.provisions = len(_whole_lines(folder / PROVISIONS))
        self.file = self.path.open("ab")
        self.rows = (folder / PROVISIONS).open("ab")
        self.batches = 0

    def _resume(self) -> tuple[int, bytes, int]:
        """The chain's record count and last hash from the file, its torn tail cut off."""
        if not self.path.exists():
            return 0, GENESIS, 0
        lines = _whole_lines(self.path)
        if not lines:
            return 0, GENESIS, 0
        last = lines[-1].split(b"\t")
        return int(last[0]) + 1, bytes.fromhex(last[7].decode()), len(lines)

    def append(self, entries: Sequence[Entry], rows: Sequence[dict[str, Any]] = ()) -> None:
        """Number, chain, write and fsync one batch, and the provision rows decided with it."""
        if rows:
            self.rows.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode())
            self.rows.flush()
            os.fdatasync(self.rows.fileno())
            self.provisions += len(rows)
        if not entries:
            return
        seq = list(range(self.count, self.count + len(entries)))
        hashes = chain(
            seq,
            [e.time for e in entries],
            [e.node for e in entries],
            [e.operator for e in entries],
            [e.action for e in entries],
            [e.code for e in entries],
            [e.ref for e in entries],
            self.head,
        )
        lines = (
            f"{s}\t{e.time:.6f}\t{e.node}\t{e.operator}\t{e.action}\t{e.code}\t{e.ref}\t{h.hex()}\n"
            for s, e, h in zip(seq, entries, hashes, strict=True)
        )
        self.file.write("".join(lines).encode())
        self.file.flush()
        os.fdatasync(self.file.fileno())
        self.count += len(entries)
        self.head = hashes[-1]
        self.batches += 1

    def close(self) -> None:
        """Close the files; write the chain head and the Parquet copy the audit reads."""
        self.file.close()
        self.rows.close()
        (self.folder / HEAD).write_text(json.dumps({"count": self.count, "hash": self.head.hex()}) + "\n", encoding="utf-8")
        export(self.folder)


def _whole_lines(path: Path) -> list[bytes]:
    """A line file's whole lines, a torn last line (a write a kill interrupted) cut off the file."""
    if not path.exists():
        return []
    data = path.read_bytes()
    whole = data[: data.rfind(b"\n") + 1]
    if len(whole) != len(data):
        with path.open("r+b") as f:
            f.truncate(len(whole))
            os.fsync(f.fileno())
    return whole.splitlines()


def read_provisions(folder: Path) -> list[dict[str, Any]]:
    path = folder / PROVISIONS
    return [json.loads(line) for line in path.read_bytes().splitlines()] if path.exists() else []


def read(folder: Path) -> dict[str, list[object]]:
    """The log's columns as written (strings parsed back to their types)."""
    cols: dict[str, list[object]] = {k: [] for k in ("seq", "time", "node", "operator", "action", "code", "ref", "hash")}
    for line in (folder / LOG).read_bytes().splitlines():
        f = line.decode().split("\t")
        for k, v in zip(
            cols, (int(f[0]), float(f[1]), f[2], int(f[3]), f[4], int(f[5]), int(f[6]), bytes.fromhex(f[7])), strict=True
        ):
            cols[k].append(v)
    return cols


def export(folder: Path) -> None:
    """`records/access_log.parquet` from the log file, in the audit's columns."""
    c = read(folder)
    table = pa.table(
        {
            "seq": pa.array(c["seq"], pa.int64()),
            "time": pa.array(c["time"], pa.float64()),
            "node": pa.array(c["node"], pa.string()),
            "operator": pa.array(c["operator"], pa.int32()),
            "action": pa.array(c["action"], pa.string()),
            "code": pa.array(c["code"], pa.int64()),
            "ref": pa.array(c["ref"], pa.int64()),
            "hash": pa.array(c["hash"], pa.binary(32)),
        }
    )
    (folder / PARQUET).parent.mkdir(parents=True, exist_ok=True)
    write_parquet(table, folder / PARQUET)


def verify(folder: Path) -> list[Finding]:
    """Every link of the server's log and its head (`log/head.json`, written at a clean shutdown; without it,
    the chain is checked up to its last record): each finding names the record."""
    c = read(folder)
    try:
        head = json.loads((folder / HEAD).read_text(encoding="utf-8"))
        count, last = int(head["count"]), bytes.fromhex(head["hash"])
    except (OSError, ValueError, KeyError, TypeError):
        count, last = len(c["seq"]), (c["hash"][-1] if c["hash"] else GENESIS)  # type: ignore[assignment]
    return verify_chain(c["seq"], c["time"], c["node"], c["operator"], c["action"], c["code"], c["ref"], c["hash"], count, last)

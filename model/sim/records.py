"""The records of a run: immutable, typed, columnar.  Every table and field is documented here
(the field table an analyst reads next to the Parquet files).

Records are appended in batches to columnar buffers and written once, as Parquet, when the run
ends; string fields are stored as dictionary-encoded columns.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

VISIT_KINDS = (  # what brings a resident to a municipal counter (the `kind` of counter_visits)
    "copy",
    "wide_area_copy",
    "move_out",
    "move_in",
    "move_within",
    "special_move",
    "birth",
    "death",
    "name",
    "code_change",
    "card",
    "pin_reset",
    "card_exchange",  # a card of a maker's defect exchanged ([[cards.defect]])
)


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # i8 | i4 | f8 | bool | str
    doc: str


TABLES: dict[str, tuple[Field, ...]] = {
    "notifications": (
        Field("id", "i8", "notification id, unique in the run"),
        Field("time", "f8", "seconds from the fiscal year's start when the CS recorded the change"),
        Field("cs", "str", "the municipality's CS (6-digit lgcode)"),
        Field("code", "i8", "the resident's 11-digit code"),
        Field("change", "str", "birth | death | move_in | move_out | move_within | name | code_change (Art. 30-5)"),
        Field("items", "str", "items the message carried, comma-separated (schema 'notification')"),
        Field("operator", "i4", "the authenticated CS operator who entered the change (C08)"),
        Field("at_prefecture", "f8", "when the prefecture server stored it (NaN: not yet)"),
        Field("at_center", "f8", "when the center stored it (NaN: not yet)"),
        Field("tries", "i4", "send attempts over both hops (1 each when no link failed)"),
    ),
    "relays": (
        Field("id", "i8", "relay id, unique in the run"),
        Field("kind", "str", "transfer_notice (move-in notice to the old CS) | wide_area_copy (record to the issuing CS)"),
        Field("time", "f8", "seconds from the fiscal year's start when the sending CS sent it"),
        Field("src", "str", "sending CS (6-digit lgcode)"),
        Field("dst", "str", "receiving CS (6-digit lgcode)"),
        Field("code", "i8", "the resident concerned"),
        Field("arrived", "f8", "when the receiving CS got it (NaN: never)"),
        Field("tries", "i4", "send attempts over all hops"),
    ),
    "code_changes": (
        Field("time", "f8", "when the holder's code was changed at the counter (Art. 30-3; C07)"),
        Field("old", "i8", "the retired code (never reissued)"),
        Field("new", "i8", "the new code from the municipality's pool"),
    ),
    "provisions": (
        Field("seq", "i8", "request number, unique in the run"),
        Field("time", "f8", "seconds from the fiscal year's start"),
        Field("requester", "str", "registry id of the requesting body"),
        Field("level", "str", "national | local | private | unknown"),
        Field("affair", "str", "annex row id of the affair named in the request (e.g. A1-74)"),
        Field("mode", "str", "interactive | batch"),
        Field("keys", "str", "query keys, comma-separated (C10)"),
        Field("code", "i8", "the resident looked up (11-digit code)"),
        Field(
            "identifier",
            "i8",
            "what the requester received to identify the resident: the code itself under the common code, its own "
            "agency code under [identifiers] scheme = agency_codes (model/sim/hub.py); 0 when refused",
        ),
        Field("operator", "i4", "the requester's authenticated operator"),
        Field("allowed", "bool", "decision of the reference evaluator"),
        Field("rule", "str", "the rule that permitted or forbade it, or the rule whose condition failed"),
        Field("articles", "str", "articles behind the decision"),
        Field("reason", "str", "the evaluator's reason"),
        Field("purpose", "str", "copy_replaced | existence_check | cohort_20 | other | erroneous | injected"),
        Field("operator_authenticated", "bool", "the operator's IC card and password were checked (C08)"),
    ),
    "decisions": (
        Field("seq", "i8", "number of the decision in this table"),
        Field("time", "f8", "seconds from the fiscal year's start"),
        Field("requester", "str", "who asked"),
        Field("action", "str", "demand_code | keep_code_db | use | disclose | change_code | notify | forward | provide"),
        Field("node", "str", "where it was decided"),
        Field("affair", "str", "annex row named (empty: none)"),
        Field("provided_affair", "str", "for 'use': the affair the data was provided for"),
        Field("subject_is_requester", "bool", "a resident asking about themselves"),
        Field("operator_authenticated", "bool", "operator's IC card and password checked"),
        Field("allowed", "bool", "decision of the reference evaluator"),
        Field("rule", "str", "the deciding rule"),
        Field("reason", "str", "the evaluator's reason"),
    ),
    "route_hops": (
        Field("seq", "i8", "number of the hop in this table"),
        Field("time", "f8", "seconds from the fiscal year's start"),
        Field("hop", "i4", "position of the hop on its route (1 = first)"),
        Field("src", "str", "holder the item leaves (node, or node[affair] at a body)"),
        Field("dst", "str", "node the item reaches"),
        Field("compartment", "str", "at a body: the affair compartment it lands in (empty: none)"),
        Field("via", "str", "link id, 'use', 'demand_code' or 'to resident'"),
        Field("message", "str", "message type (schema)"),
        Field("item", "str", "the item of the resident's record"),
        Field("code", "i8", "the resident's 11-digit code"),
        Field("origin", "str", "the body the item first left ('-': none; C03)"),
        Field("provided_for", "str", "the affair it was provided for ('-': none; C04)"),
        Field("sealed", "bool", "inside a message relays carry without reading"),
        Field("away", "bool", "held by a CS other than the one of residence"),
        Field("key", "bool", "carried as a query's lookup key (the query is answered at Juki-net, not kept)"),
        Field("disclosed", "bool", "brought by a disclosure (Art. 30-37: to its subject only; C12)"),
        Field("rule", "str", "the rule that permitted the hop (empty: no rule governs the message)"),
    ),
    "links": (
        Field("src", "str", "node the data leaves"),
        Field("dst", "str", "node it reaches"),
        Field("messages", "str", "message types carried that way, comma-separated"),
        Field("dedicated", "bool", "dedicated line (C13)"),
        Field("mutual_auth", "bool", "mutual authentication (C13)"),
        Field("encrypted", "bool", "encrypted (C13)"),
        Field("intrusion_detection", "bool", "monitored by intrusion detection (C13)"),
        Field("firewall", "str", "who manages the firewall (C13)"),
        Field("protocol", "str", "application protocol (C13: never smtp/http/ftp/telnet)"),
    ),
    "inspections": (
        Field("cs", "str", "municipality (6-digit lgcode)"),
        Field("self_inspected", "bool", "checklist self-inspection done in the year (C14)"),
        Field("external_audit", "bool", "covered by the external system audits (C14)"),
    ),
    "access_log": (
        Field("seq", "i8", "position in the tamper-evident chain (C09)"),
        Field("time", "f8", "seconds from the fiscal year's start"),
        Field("node", "str", "where the access happened (cs:LGCODE, pref:PP, center, body id)"),
        Field("operator", "i4", "operator id (-1: a system process such as the prefecture's forward)"),
        Field("action", "str", "login | notify | forward | store | provide | refuse | disclose | change_code | card"),
        Field("code", "i8", "the resident concerned (0: none)"),
        Field("ref", "i8", "the notification id or provision seq this access belongs to (-1: none)"),
        Field("hash", "bin32", "sha256(previous record's hash || canonical line of this record); genesis: 32 zero bytes"),
    ),
    "cards": (
        Field("time", "f8", "seconds from the fiscal year's start"),
        Field("code", "i8", "the holder's resident code"),
        Field(
            "event",
            "str",
            "issue | pin_fail | lock | reset | jpki_issue | sign | verify_ok | verify_fail | revoke | lapse | exchange",
        ),
        Field("detail", "str", "what the event concerned"),
    ),
    "counter_visits": (
        Field("day", "i4", "day of the fiscal year (0 = April 1)"),
        Field("cs", "str", "the municipality (6-digit lgcode)"),
        Field(
            "kind",
            "str",
            "copy | wide_area_copy | move_out | move_in | special_move | birth | death | name | code_change | card | pin_reset",
        ),
        Field("count", "i8", "visits"),
    ),
}


PARQUET_OPTIONS: dict[str, Any] = {"write_page_checksum": True}  # every page carries a CRC the audit verifies


def write_parquet(table: pa.Table, path: Path) -> None:
    """Write a whole table with page checksums (read back with `page_checksum_verification=True`)."""
    pq.write_table(table, path, **PARQUET_OPTIONS)


def read_parquet(path: Path, **kw: Any) -> pa.Table:
    """A record table, its page checksums verified (an error if a page is damaged).  Not pre-buffered: with
    filters over a full-scale table, pre-buffering held 4 GB where row group by row group holds a few hundred MB."""
    return pq.read_table(path, page_checksum_verification=True, pre_buffer=False, **kw)


class Sink:
    """One table's Parquet file, written batch by batch while the run goes on.

    Each batch is encoded and written by a thread of its own (Arrow releases the GIL while it
    does), one batch at a time, while the caller goes on; `close` waits for the last one.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.writer: pq.ParquetWriter | None = None
        self.rows = 0
        self._pool: ThreadPoolExecutor | None = None
        self._pending: Future[None] | None = None

    def write(self, table: pa.Table) -> None:
        if table.num_rows == 0 and self.rows:
            return
        self._wait()
        if self._pool is None:
            self._pool = ThreadPoolExecutor(1, thread_name_prefix=f"sink-{self.path.stem}")
        self._pending = self._pool.submit(self._write, table)
        self.rows += table.num_rows

    def _write(self, table: pa.Table) -> None:
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.path, table.schema, **PARQUET_OPTIONS)
        self.writer.write_table(table)

    def _wait(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.result()  # raises the writer's error, if any

    def close(self, empty: pa.Table) -> None:
        """Close the file (written with `empty`'s schema if no batch came)."""
        if self.writer is None and self._pending is None:
            self.write(empty)
        self._wait()
        if self._pool is not None:
            self._pool.shutdown()
        assert self.writer is not None
        self.writer.close()


class Buffer:
    """A table's records being collected: lists of column chunks.

    String columns are kept as small integer codes into a per-column vocabulary (`code`,
    `codes`) and written as dictionary-encoded Parquet columns.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.fields = TABLES[name]
        self.chunks: dict[str, list[Any]] = {f.name: [] for f in self.fields}
        self.vocab: dict[str, dict[str, int]] = {f.name: {} for f in self.fields if f.kind == "str"}
        self.rows = 0

    def code(self, column: str, value: str) -> int:
        """The integer code of a string value of a string column."""
        v = self.vocab[column]
        return v.setdefault(value, len(v))

    def codes(self, column: str, values: Any) -> np.ndarray:
        """Integer codes of many string values (dictionary-encoded by Arrow, then mapped)."""
        enc = pa.array(values if isinstance(values, list | np.ndarray) else list(values), pa.string()).dictionary_encode()
        mapping = np.array([self.code(column, v) for v in enc.dictionary.to_pylist()], dtype=np.int32)
        return mapping[enc.indices.to_numpy(zero_copy_only=False)] if len(enc) else np.empty(0, np.int32)

    def append(self, **cols: Any) -> None:
        """Append one batch: every column given, as arrays (or lists) of one length."""
        lengths = {len(v) for v in cols.values()}
        if len(lengths) != 1 or set(cols) != set(self.chunks):
            raise ValueError(f"{self.name}: a batch needs every column, equally long")
        for k, v in cols.items():
            self.chunks[k].append(v)
        self.rows += lengths.pop()

    def add(self, **row: Any) -> None:
        """Append a single record (string fields given as strings)."""
        self.append(**{k: [self.code(k, v) if k in self.vocab else v] for k, v in row.items()})

    def flush(self, sink: Sink) -> None:
        """Write what is collected to the sink and start over (the vocabularies stay)."""
        if self.rows:
            sink.write(self.to_arrow())
        self.chunks = {f.name: [] for f in self.fields}
        self.rows = 0

    def column(self, name: str) -> np.ndarray:
        parts = self.chunks[name]
        return np.concatenate([np.asarray(p) for p in parts]) if parts else np.empty(0)

    def to_arrow(self) -> pa.Table:
        arrays: dict[str, Any] = {}
        for f in self.fields:
            col = self.column(f.name)
            if f.kind == "str":
                names = sorted(self.vocab[f.name], key=self.vocab[f.name].__getitem__)
                arrays[f.name] = pa.DictionaryArray.from_arrays(
                    pa.array(col.astype(np.int32), pa.int32()), pa.array(names, pa.string())
                )
            elif f.kind == "bin32":  # rows of 32 bytes
                raw = np.ascontiguousarray(col, dtype=np.uint8).reshape(-1, 32) if len(col) else np.empty((0, 32), np.uint8)
                arrays[f.name] = pa.FixedSizeBinaryArray.from_buffers(
                    pa.binary(32), len(raw), [None, pa.py_buffer(raw.tobytes())]
                )
            else:
                dtype = {"i8": pa.int64(), "i4": pa.int32(), "f8": pa.float64(), "bool": pa.bool_()}[f.kind]
                arrays[f.name] = pa.array(col, dtype)
        return pa.table(arrays)

"""A run folder as the audit reads it: every file read once, checksums verified, and what cannot be read
a finding naming the file (C09; issue 12, item 4), never a traceback."""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from jukinet.model.config.scenario import Scenario
from jukinet.model.config.schema import Config
from jukinet.model.core.errors import UserError
from jukinet.model.core.output import MARKER, kind_of, regular_tree
from jukinet.model.sim.records import TABLES, read_parquet


@dataclass(frozen=True)
class AuditFinding:
    constraint: str
    table: str
    record: int  # sequence number (or row) of the record concerned
    problem: str


RECORDS = (*(t for t in TABLES if t != "route_hops"), "residents")  # every table a run writes (route_hops: newer runs)
SUMMARY_KEYS = ("scenario", "seed", "scenario_hash", "log_head", "fiscal_year")


def _cols_of(t: pa.Table) -> dict[str, np.ndarray]:
    return {c: np.asarray(t.column(c).to_pylist(), dtype=object) for c in t.column_names}


_KIND = {"i8": pa.int64(), "i4": pa.int32(), "f8": pa.float64(), "bool": pa.bool_()}
LOG_COLUMNS = {
    "seq": pa.int64(),
    "time": pa.float64(),
    "node": None,
    "operator": pa.int32(),
    "action": None,
    "code": pa.int64(),
    "ref": pa.int64(),
    "hash": pa.binary(32),
}
COLUMNS: dict[str, dict[str, pa.DataType | None]] = {  # None: a string, plain or dictionary-encoded
    **{name: {f.name: _KIND.get(f.kind) for f in fields} for name, fields in TABLES.items()},
    "access_log": LOG_COLUMNS,
    "residents": {"code": pa.int64(), "cs": None},
}


def schema_problem(name: str, schema: pa.Schema) -> str | None:
    """What a table's columns lack, or hold of the wrong type, against what the run writes."""
    for col, want in COLUMNS.get(name, {}).items():
        i = schema.get_field_index(col)
        if i < 0:
            return f"damaged: no column {col!r}"
        got = schema.field(i).type
        is_str = pa.types.is_string(got) or (pa.types.is_dictionary(got) and pa.types.is_string(got.value_type))
        if (want is None and not is_str) or (want is not None and got != want):
            return f"damaged: column {col!r} is {got}, not {want or 'string'}"
    return None


class RunFolder:
    """A run folder's files, each read once; what cannot be read is a finding (C09: the record of the run is
    incomplete or damaged), naming the file, never a traceback."""

    def __init__(self, run: Path) -> None:
        self.run = run
        self.problems: list[AuditFinding] = []
        self.tables: dict[str, dict[str, np.ndarray]] = {}
        self.arrow: dict[str, pa.Table] = {}  # the small tables, read whole
        self.taps: dict[str, Any] = {}  # table -> model.audit.trust.Blocks: hash its blocks as a scan reads it whole
        self.tapped: dict[str, tuple[int, list[Any]]] = {}  # table -> its rows and block pieces, once read whole

    def bad(self, name: str, problem: str) -> None:
        found = AuditFinding("C09", name, -1, problem)
        if found not in self.problems:  # a table read twice (the signed heads, then the checks) is named once
            self.problems.append(found)

    def schema(self, name: str) -> pa.Schema | None:
        """A table's columns as its file says, or None if it cannot be read (a scan names the problem)."""
        try:
            return pq.read_schema(self.run / "records" / f"{name}.parquet")
        except (OSError, pa.ArrowException):
            return None

    def json(self, name: str) -> Any:
        path = self.run / name
        try:
            return json.loads(path.read_bytes().decode("utf-8"))
        except FileNotFoundError:
            self.bad(name, "missing")
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            self.bad(name, f"damaged: not readable JSON ({str(exc)[:120]})")
        except RecursionError:
            self.bad(name, "damaged: JSON nested too deeply to read")
        return None

    batch_rows = 1 << 17  # rows per batch a scan holds (the tests make it small to cross many batch edges)

    def scan(self, name: str, optional: bool = False, columns: list[str] | None = None) -> Iterator[pa.RecordBatch]:
        """The table's record batches in order, read once and every page checksum verified; a missing or damaged
        file, or one without the columns the run writes, is a finding and ends the scan (no batch of it after).
        With `columns`, only those are read (and only their pages' checksums verified)."""
        path = self.run / "records" / f"{name}.parquet"
        if optional and not path.is_file():
            return
        try:
            f = pq.ParquetFile(path, page_checksum_verification=True, pre_buffer=False)  # pre-buffering held GBs at full scale
            if self._lacks(name, f.schema_arrow):
                return
            tap = self.taps.get(name) if columns is None else None
            rows = 0
            for b in f.iter_batches(batch_size=self.batch_rows, columns=columns):
                if tap is not None:
                    tap.feed(b)
                    rows += b.num_rows
                yield b
            if tap is not None:
                self.tapped[name] = (rows, self.taps.pop(name).close())
            pa.default_memory_pool().release_unused()  # what the table's pages held, back for what comes next
        except (OSError, pa.ArrowException) as exc:
            self._unreadable(name, exc)

    def _unreadable(self, name: str, exc: BaseException) -> None:
        missing = isinstance(exc, FileNotFoundError)
        self.bad(f"records/{name}.parquet", "missing" if missing else f"damaged: {str(exc).splitlines()[0][:160]}")

    def _lacks(self, name: str, schema: pa.Schema) -> bool:
        problem = schema_problem(name, schema)
        if problem:
            self.bad(f"records/{name}.parquet", problem)
        return problem is not None

    def arrow_table(self, name: str, optional: bool = False) -> pa.Table | None:
        """A whole (small) table as Arrow, read once; None if it cannot be."""
        if name in self.arrow:
            return self.arrow[name]
        path = self.run / "records" / f"{name}.parquet"
        if optional and not path.is_file():
            return None
        try:
            t = read_parquet(path)
        except (OSError, pa.ArrowException) as exc:
            self._unreadable(name, exc)
            return None
        if self._lacks(name, t.schema):
            return None
        if name in self.taps:
            tap = self.taps.pop(name)
            for b in t.to_batches():
                tap.feed(b)
            self.tapped[name] = (t.num_rows, tap.close())
        self.arrow[name] = t
        return t

    def table(self, name: str, optional: bool = False) -> dict[str, np.ndarray] | None:
        """A small table's columns as NumPy arrays (strings as objects), read once; None if it cannot be read."""
        if name not in self.tables:
            t = self.arrow_table(name, optional)
            if t is None:
                return None
            self.tables[name] = _cols_of(t)
        return self.tables[name]


def opened(run: Path) -> tuple[dict[str, Any] | None, Scenario | None, RunFolder]:
    """The summary and the scenario the run was configured with, as far as they can be read (the record tables
    are read by `RunFolder.scan` or `RunFolder.table` as the checks need them).  The configuration counts only
    if its bytes hash to the summary's `config_sha256`."""
    kind = kind_of(run) if run.is_dir() else None
    if kind != "run":
        raise UserError(str(run), MARKER, "not a run folder (written by `jukinet run`)")
    regular_tree(run, str(run))
    f = RunFolder(run)
    summary = f.json("summary.json")
    if summary is not None and (not isinstance(summary, dict) or any(k not in summary for k in SUMMARY_KEYS)):
        f.bad("summary.json", f"damaged: not a run summary (needs {', '.join(SUMMARY_KEYS)})")
        summary = None
    sc = None
    path = run / "scenario_resolved.json"
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        f.bad("scenario_resolved.json", "missing")
    except OSError as exc:
        f.bad("scenario_resolved.json", f"damaged: {exc.strerror}")
    else:
        want = summary.get("config_sha256") if summary is not None else None
        if want is not None and hashlib.sha256(raw).hexdigest() != want:
            f.bad("scenario_resolved.json", "does not match the configuration hash in summary.json (config_sha256)")
        else:
            try:
                cfg = Config.model_validate_json(raw)
            except ValueError as exc:
                f.bad("scenario_resolved.json", f"damaged: not a configuration ({str(exc).splitlines()[0][:120]})")
            else:
                sc = Scenario(cfg, str(run), summary["scenario_hash"] if summary else "", b"")
    if sc is not None:
        sc = _dated(run, f, summary, sc)
    return summary, sc, f


def _dated(run: Path, f: RunFolder, summary: dict[str, Any] | None, sc: Scenario) -> Scenario:
    """The scenario with the year's dated configurations (timeline_resolved.json), if the run had any; they count
    only if their bytes hash to the summary's `timeline_sha256`."""
    from jukinet.model.config.scenario import TIMELINE_FILE, with_timeline

    want = summary.get("timeline_sha256") if summary is not None else None
    path = run / TIMELINE_FILE
    if want is None:
        if path.exists():
            f.bad(TIMELINE_FILE, "not named in summary.json (timeline_sha256): a timeline the run did not write")
        return sc
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        f.bad(TIMELINE_FILE, "missing")
        return sc
    except OSError as exc:
        f.bad(TIMELINE_FILE, f"damaged: {exc.strerror}")
        return sc
    if hashlib.sha256(raw).hexdigest() != want:
        f.bad(TIMELINE_FILE, "does not match the timeline hash in summary.json (timeline_sha256)")
        return sc
    try:
        return with_timeline(sc, raw)
    except ValueError as exc:
        f.bad(TIMELINE_FILE, f"damaged: not a timeline ({exc})")
        return sc


# The audit's time per row of the run's tables, measured on the full-scale run (384 M rows; docs/auditor.md): 354 s
# without the keys, 437 s with them.  An audit of a log this long or longer says how it goes as it goes.
SECONDS_PER_ROW, TRUSTED_SECONDS_PER_ROW = 0.92e-6, 1.14e-6
TELL_FROM = 2_000_000  # log records


def teller(
    run: Path, summary: dict[str, Any] | None, trusted: bool, announce: Callable[[str], None] | None
) -> Callable[[str], None]:
    """What the audit of a long log says as it goes (its size and time first), with the seconds elapsed;
    nothing for a short log or without `announce`."""
    import time

    try:
        records = int(summary["log_head"]["count"]) if summary is not None else 0
    except (KeyError, TypeError, ValueError):
        records = 0
    if announce is None or records < TELL_FROM:
        return lambda text: None
    from jukinet.model.config.estimate import duration

    rows = 0
    for path in (run / "records").glob("*.parquet"):
        with contextlib.suppress(OSError, pa.ArrowException):  # a damaged table is the audit's finding
            rows += pq.ParquetFile(path).metadata.num_rows
    took = duration((TRUSTED_SECONDS_PER_ROW if trusted else SECONDS_PER_ROW) * rows)
    announce(f"auditing {records:,} log records, {rows:,} rows in all: about {took}" + (" with the keys" if trusted else ""))
    t = time.perf_counter()
    return lambda text: announce(f"[{time.perf_counter() - t:,.0f} s] {text}")

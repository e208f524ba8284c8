"""A run folder as the audit reads it: every file read once, checksums verified, and what cannot be read
a finding naming the file (C09; issue 12, item 4), never a traceback."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from model.config.scenario import Scenario
from model.config.schema import Config
from model.core.errors import UserError
from model.core.output import MARKER, kind_of
from model.sim.records import TABLES, read_parquet


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


class RunFolder:
    """A run folder's files, each read once; what cannot be read is a finding (C09: the record of the run is
    incomplete or damaged), naming the file, never a traceback."""

    def __init__(self, run: Path) -> None:
        self.run = run
        self.problems: list[AuditFinding] = []
        self.tables: dict[str, dict[str, np.ndarray]] = {}
        self.arrow: dict[str, pa.Table] = {}  # as read: what the signed heads' block hashes are over

    def bad(self, name: str, problem: str) -> None:
        self.problems.append(AuditFinding("C09", name, -1, problem))

    def json(self, name: str) -> Any:
        path = self.run / name
        try:
            return json.loads(path.read_bytes().decode("utf-8"))
        except FileNotFoundError:
            self.bad(name, "missing")
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            self.bad(name, f"damaged: not readable JSON ({str(exc)[:120]})")
        return None

    def table(self, name: str, optional: bool = False) -> dict[str, np.ndarray] | None:
        if name in self.tables:
            return self.tables[name]
        path = self.run / "records" / f"{name}.parquet"
        if optional and not path.is_file():
            return None
        try:
            self.arrow[name] = read_parquet(path)
            self.tables[name] = _cols_of(self.arrow[name])
        except FileNotFoundError:
            self.bad(f"records/{name}.parquet", "missing")
            return None
        except (OSError, pa.ArrowException) as exc:
            self.bad(f"records/{name}.parquet", f"damaged: {str(exc).splitlines()[0][:160]}")
            return None
        return self.tables[name]


def opened(run: Path) -> tuple[dict[str, Any] | None, Scenario | None, RunFolder]:
    """The summary, the scenario the run was configured with and the record tables, as far as they can be
    read.  The configuration counts only if its bytes hash to the summary's `config_sha256`."""
    kind = kind_of(run) if run.is_dir() else None
    if kind != "run":
        raise UserError(str(run), MARKER, "not a run folder (written by `jukinet run`)")
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
    for name in RECORDS:
        f.table(name)
    return summary, sc, f

"""The server folder as `jukinet audit` reads a run folder (model.audit.folder): at each clean stop the server
writes what a run writes beside its log, so the audit checks the live center's log and provisions with the
checks it runs on a simulated year (C02, C08, C09, C10 and the rest):

    OUT/.jukinet                       marker, kind "run" (and OUT/server.json: a folder `jukinet serve` wrote)
    OUT/summary.json                   scenario, seed, scenario hash, fiscal year, the log's chain head, config hash
    OUT/scenario_resolved.json         the configuration served (the year's first day: the server applies no timeline)
    OUT/records/provisions.parquet     every provision and refusal, as the center logged it
    OUT/records/access_log.parquet     the hash-chained log (model.live.ledger)
    OUT/records/residents.parquet      the register served (code, unit)
    OUT/records/*.parquet              the run's other tables, empty: the live center sends no notification,
                                       relays nothing, issues no card
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from jukinet.model import __version__
from jukinet.model.config.scenario import Scenario
from jukinet.model.live.ledger import read_provisions
from jukinet.model.live.register import Register
from jukinet.model.sim.records import TABLES, Buffer, write_parquet

WRITTEN_ELSEWHERE = ("access_log", "provisions")


def provisions_table(rows: list[dict[str, Any]]) -> pa.Table:
    """The provision rows in the run's `provisions` columns (strings dictionary-encoded, as a run writes them)."""
    b = Buffer("provisions")
    if rows:
        cols: dict[str, Any] = {}
        for f in b.fields:
            values = [r[f.name] for r in rows]
            cols[f.name] = b.codes(f.name, values) if f.kind == "str" else np.asarray(values)
        b.append(**cols)
    return b.to_arrow()


def residents_table(reg: Register, fiscal_year: int) -> pa.Table:
    """The register in the run's `residents` columns (date of birth in seconds from the fiscal year's start)."""
    units, at = np.unique(reg.cs, return_inverse=True)
    cs = pa.DictionaryArray.from_arrays(pa.array(at.astype(np.int32), pa.int32()), pa.array(units.tolist(), pa.string()))
    days = (reg.dob.astype("datetime64[D]") - np.datetime64(f"{fiscal_year}-04-01")).astype(np.int64)
    n = len(reg)
    return pa.table(
        {
            "code": pa.array(reg.code),
            "cs": cs,
            "dob": pa.array(days * 86400.0),
            "sex": pa.array(reg.sex),
            "alive": pa.array(np.ones(n, bool)),
            "name_version": pa.array(np.zeros(n, np.int32)),
            "address_version": pa.array(np.zeros(n, np.int32)),
        }
    )


def write(out: Path, sc: Scenario, seed: int, reg: Register, log_count: int, log_head: bytes) -> None:
    """Everything but the log's own files, after the log is closed and exported."""
    records = out / "records"
    records.mkdir(parents=True, exist_ok=True)
    for name in TABLES:
        if name not in WRITTEN_ELSEWHERE:
            write_parquet(Buffer(name).to_arrow(), records / f"{name}.parquet")
    write_parquet(provisions_table(read_provisions(out)), records / "provisions.parquet")
    write_parquet(residents_table(reg, sc.config.scenario.fiscal_year), records / "residents.parquet")
    resolved = sc.config.model_dump_json(indent=1).encode("utf-8")
    (out / "scenario_resolved.json").write_bytes(resolved)
    summary = {
        "kind": "live center",
        "scenario": sc.config.scenario.name,
        "scenario_hash": sc.hash,
        "seed": seed,
        "fiscal_year": sc.config.scenario.fiscal_year,
        "version": __version__,
        "log_head": {"count": log_count, "hash": log_head.hex()},
        "config_sha256": hashlib.sha256(resolved).hexdigest(),
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")

"""Disclosure to a resident (Art. 30-37, 30-38; C12): their identity information and every
provision of it, read from a run's records."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from model.core.errors import UserError
from model.data import read_toml
from model.law.codes import valid_resident_code
from model.sim.card import when
from model.sim.records import read_parquet


def _read(run: Path, name: str, **kw: Any) -> pa.Table:
    """A record table of the run, checksums verified; one line naming the file if it is missing or damaged."""
    try:
        return read_parquet(run / "records" / f"{name}.parquet", **kw)
    except FileNotFoundError:
        raise UserError(str(run), f"records/{name}.parquet", "missing: not a complete run folder") from None
    except (OSError, pa.ArrowException) as exc:
        raise UserError(str(run), f"records/{name}.parquet", f"damaged ({str(exc).splitlines()[0][:160]})") from None


def disclose(run: Path, code: str) -> dict[str, Any]:
    if not (len(code) == 11 and code.isascii() and code.isdigit() and valid_resident_code(code)):
        raise UserError("--code", code, "allowed: an 11-digit resident code (ASCII digits 0-9) with a valid check digit")
    summary_path = run / "summary.json"
    if not summary_path.is_file():
        raise UserError(str(run), "summary.json", "not a run folder (written by `jukinet run`)")
    try:
        summary = json.loads(summary_path.read_bytes().decode("utf-8"))
        fy = int(summary["fiscal_year"])
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise UserError(str(run), "summary.json", f"damaged ({type(exc).__name__}); jukinet audit names the problem") from None
    codes = codes_of(run, int(code))
    residents = _read(run, "residents", filters=[("code", "in", codes)])
    if residents.num_rows == 0:
        raise UserError(str(run), "--code", f"no resident with code {code} in this run")
    r = residents.to_pylist()[0]
    prov = _read(run, "provisions", filters=[("code", "in", codes)])
    prov = prov.filter(pc.field("allowed")).sort_by("time")
    rows = {row["id"]: row for row in read_toml("annex.toml")["row"]}
    provisions = []
    for p in prov.to_pylist():
        row = rows.get(p["affair"], {})
        provisions.append(
            {
                "date": when(p["time"], fy).strftime("%Y-%m-%d %H:%M"),
                "recipient": p["requester"],
                "affair": p["affair"],
                "affair_gloss": row.get("gloss", "?"),
                "citation": row.get("citation", "?"),
                "mode": p["mode"],
                "items": "name, address, date of birth, sex, resident code, change information",
                "rule": p["rule"],
            }
        )
    return {
        "code": code,
        "codes": [f"{c:011d}" for c in codes],
        "identity": {
            "municipality": r["cs"],
            "date_of_birth_offset_s": r["dob"],
            "sex": {1: "male", 2: "female"}[r["sex"]],
            "in_register": r["alive"],
            "name_version": r["name_version"],
            "address_version": r["address_version"],
        },
        "provisions": provisions,
        "basis": (
            "identity information: Art. 30-37, asked of the prefectural governor, 30-38 (answer within 30 days); "
            "the record of provisions: the prefectures' personal-information ordinances (juki_facts.md s.10); C12"
        ),
        "run": {"scenario": summary["scenario"], "seed": summary["seed"], "scale": summary["scale"]},
    }


def codes_of(run: Path, code: int) -> list[int]:
    """Every code the holder of `code` has had in the run: a disclosure covers provisions made under
    codes they had before a change (Art. 30-3, 30-37)."""
    path = run / "records" / "code_changes.parquet"
    changes = _read(run, "code_changes").to_pylist() if path.is_file() else []
    newer = {c["old"]: c["new"] for c in changes}
    older = {c["new"]: c["old"] for c in changes}
    current = code
    while current in newer:
        current = newer[current]
    out = [current]
    while out[-1] in older:
        out.append(older[out[-1]])
    return out


def render(d: dict[str, Any]) -> str:
    i = d["identity"]
    lines = [
        f"Disclosure to the holder of resident code {d['code']} ({d['basis']})",
        f"  identity information: municipality {i['municipality']}, sex {i['sex']}, "
        f"{'in the register' if i['in_register'] else 'removed from the register'}, "
        f"name version {i['name_version']}, address version {i['address_version']}",
        f"  provisions of it: {len(d['provisions'])}",
    ]
    for p in d["provisions"]:
        lines.append(f"    {p['date']}  to {p['recipient']:<20} affair {p['affair']:<8} {p['affair_gloss']} ({p['mode']})")
    return "\n".join(lines)

"""The audit of a signed run (issue 12, item 1): its heads.json against the folder, with the trusted keys."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow as pa

from model.audit.folder import RECORDS, AuditFinding, RunFolder
from model.config.scenario import TIMELINE_FILE

UNTRUSTED = (
    "no trusted keys given (--trust): only the folder's internal consistency is checked; "
    "a rewrite of a table together with the chain and summary.json would not be detected"
)


def heads_findings(run: Path, files: RunFolder, keys: dict[str, Any], summary: dict[str, Any]) -> list[AuditFinding]:
    """The signed, witnessed heads (model.audit.trust) against the folder: signatures by the center and a
    majority of the prefectures; the log's hash at each signed day head; the configuration's bytes; every
    record table's rows and block hashes against the signed roots, naming the first block that differs."""
    from model.audit.trust import block_hashes, merkle_root, verify

    heads = files.json("heads.json")
    if heads is None:
        return [AuditFinding("C09", "heads.json", -1, "no signed heads: the run was not signed (`jukinet run --sign`)")]
    try:
        signed, blocks = list(heads["signed"]), dict(heads["blocks"])
        stmts = [e["statement"] for e in signed]
        final = stmts[-1]
        well_formed = final["kind"] == "final" and isinstance(final["tables"], dict)
    except (KeyError, TypeError, IndexError, ValueError):
        well_formed = False
    if not well_formed:
        return [AuditFinding("C09", "heads.json", -1, "damaged: not signed heads")]
    out = [AuditFinding("C09", "heads.json", i, p) for i, p in enumerate(verify(signed, keys))]
    if out:
        return out  # nothing the folder says can be trusted against unverified heads
    this_run = {k: summary.get(k) for k in ("scenario", "seed", "scale", "scenario_hash")}
    if any(s.get("run") != this_run for s in stmts):
        out.append(AuditFinding("C09", "heads.json", -1, f"signed for another run: {final.get('run')}"))
    conf = run / "scenario_resolved.json"
    if conf.is_file() and hashlib.sha256(conf.read_bytes()).hexdigest() != final["config_sha256"]:
        out.append(AuditFinding("C09", "scenario_resolved.json", -1, "differs from the signed configuration hash"))
    dated = run / TIMELINE_FILE
    if "timeline_sha256" in final or dated.exists():
        got = hashlib.sha256(dated.read_bytes()).hexdigest() if dated.is_file() else None
        if got != final.get("timeline_sha256"):
            out.append(AuditFinding("C09", TIMELINE_FILE, -1, "differs from the signed timeline hash (or one is missing)"))
    log = files.arrow_table("access_log")
    hashes = log.column("hash") if log is not None else pa.array([], pa.binary(32))
    for i, s in enumerate(stmts[:-1]):
        n = int(s["count"])
        got = hashes[n - 1].as_py().hex() if 0 < n <= len(hashes) else None
        if got != s["head"]:
            out.append(AuditFinding("C09", "access_log", n - 1, f"differs from the signed head of day {i + 1} ({n:,} records)"))
            break
    for name in RECORDS:  # every table the folder has, signed or not (read whole: the signed path does not stream)
        files.arrow_table(name)
    for name, want in sorted(final["tables"].items()):
        files.arrow_table(name, optional=True)  # route_hops is not among the tables read first
        t = files.arrow.get(name)
        if t is None:
            out.append(AuditFinding("C09", name, -1, "a signed table is missing"))
            continue
        listed = [bytes.fromhex(h) for h in blocks.get(name, [])]
        if merkle_root(listed).hex() != want["root"]:
            out.append(AuditFinding("C09", "heads.json", -1, f"the block hashes of {name} do not match its signed root"))
            continue
        mine = block_hashes(t)
        if t.num_rows != want["rows"] or mine != listed:
            out.extend(_changed(run, name, t, want, mine, listed))
    for name in sorted(set(files.arrow) - set(final["tables"])):
        out.append(AuditFinding("C09", name, -1, "a table the signed heads do not name"))
    # each table's first finding before any table's second: a long list for one table leaves the others shown
    rank, per_table = [], Counter[str]()
    for f in out:
        rank.append(per_table[f.table])
        per_table[f.table] += 1
    return [f for _, f in sorted(zip(rank, out, strict=True), key=lambda x: x[0])]


def _changed(
    run: Path, name: str, t: pa.Table, want: dict[str, Any], mine: list[bytes], listed: list[bytes]
) -> list[AuditFinding]:
    """A table that differs from its signed root: the rows and fields changed, from the signed field digests
    (model.audit.rowdigest), else the first block of rows that differs."""
    from model.audit.rowdigest import field_digests, locate, read_digests
    from model.audit.trust import BLOCK

    k = next((i for i, (a, b) in enumerate(zip(mine, listed, strict=False)) if a != b), min(len(mine), len(listed)))
    block = f"rows {k * BLOCK:,}-{(k + 1) * BLOCK - 1:,} changed ({t.num_rows:,} rows, {want['rows']:,} signed)"
    signed = read_digests(run, name, want["digests"]) if "digests" in want else None
    if signed is None:
        why = "" if "digests" not in want else f"; its signed field digests (digests/{name}.npy) are missing or damaged"
        return [AuditFinding("C09", name, k * BLOCK, f"differs from the signed table: {block}{why}")]
    fields = list(want.get("fields", []))
    if t.column_names != fields:
        return [AuditFinding("C09", name, -1, f"differs from the signed table: columns {t.column_names}; signed {fields}")]
    found = locate(signed, field_digests(t), fields)
    if not found:  # the bytes differ where no field's digest does (a type or encoding, or a 1 in 2**32 collision)
        return [AuditFinding("C09", name, k * BLOCK, f"differs from the signed table: {block}")]
    return [AuditFinding("C09", name, c.row, f"differs from the signed table: {c.text}") for c in found]

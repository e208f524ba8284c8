"""The audit of a signed run (issue 12, item 1): its heads.json against the folder, with the trusted keys."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from jukinet.model.audit.folder import AuditFinding, RunFolder
from jukinet.model.config.scenario import TIMELINE_FILE

UNTRUSTED = (
    "no trusted keys given (--trust): only the folder's internal consistency is checked (each provision, "
    "notification and code change against its log record, both ways; residents, codes and cards against each other; "
    "the log's chain against summary.json); a coherent rewrite of the tables, the chain and summary.json together is "
    "detected only with the keys of a signed run"
)


class SignedHeads:
    """The signed, witnessed heads (model.audit.trust) against the folder: signatures by the center and a
    majority of the prefectures; the log's hash at each signed day head; the configuration's bytes; every
    record table's rows and block leaves against the signed roots, naming the row and field that changed.

    Made before the audit reads the records: it asks the folder to hash each signed table's blocks as the
    checks read it (RunFolder.taps) and the log's chain workers to hash the log's (`log_rows`: the rows whose
    hashes the day heads name), so no table is read twice; `findings` then compares, reading only what the
    checks did not read whole."""

    def __init__(self, run: Path, files: RunFolder, keys: dict[str, Any], summary: dict[str, Any], index: bool = False) -> None:
        from jukinet.model.audit.index import IndexBuilder
        from jukinet.model.audit.trust import VERSION, Blocks, checked

        self.run, self.files, self.early = run, files, list[AuditFinding]()
        # with `index`: the disclosure index rebuilt from the provisions and codes the checks read (fed by them)
        self.index = IndexBuilder() if index else None
        self.final: dict[str, Any] = {}
        self.log_rows: tuple[int, ...] = ()
        heads = files.json("heads.json")
        if heads is None:
            self.early = [AuditFinding("C09", "heads.json", -1, "no signed heads: the run was not signed (`jukinet run --sign`)")]
            return
        try:
            signed, self.blocks = list(heads["signed"]), dict(heads["blocks"])
            self.stmts = [e["statement"] for e in signed]
            final = self.stmts[-1]
            well_formed = final["kind"] == "final" and isinstance(final["tables"], dict)
            days = [int(x["count"]) - 1 for x in self.stmts[:-1]]  # the row of each day head
        except (KeyError, TypeError, IndexError, ValueError):
            well_formed = False
        if not well_formed:
            self.early = [AuditFinding("C09", "heads.json", -1, "damaged: not signed heads")]
            return
        problems, trusted = checked(signed, keys)
        self.early = [AuditFinding("C09", "heads.json", i, p) for i, p in enumerate(problems)]
        if not trusted:
            return  # nothing the folder says can be trusted against unverified heads (a bad witness above the quorum: named)
        if final.get("version") != VERSION:
            self.early = [AuditFinding("C09", "heads.json", -1, f"signed as {final.get('version')}; this audit reads {VERSION}")]
            return
        self.final, self.log_rows = final, tuple(sorted(set(days)))
        this_run = {k: summary.get(k) for k in ("scenario", "seed", "scale", "scenario_hash")}
        if any(s.get("run") != this_run for s in self.stmts):
            self.early.append(AuditFinding("C09", "heads.json", -1, f"signed for another run: {final.get('run')}"))
        conf = run / "scenario_resolved.json"
        if conf.is_file() and hashlib.sha256(conf.read_bytes()).hexdigest() != final["config_sha256"]:
            self.early.append(AuditFinding("C09", "scenario_resolved.json", -1, "differs from the signed configuration hash"))
        dated = run / TIMELINE_FILE
        if "timeline_sha256" in final or dated.exists():
            got = hashlib.sha256(dated.read_bytes()).hexdigest() if dated.is_file() else None
            if got != final.get("timeline_sha256"):
                self.early.append(
                    AuditFinding("C09", TIMELINE_FILE, -1, "differs from the signed timeline hash (or one is missing)")
                )
        self.early += _outputs(run, final.get("outputs"))
        self.early += _day_heads(final.get("day_heads"), [s.get("count") for s in self.stmts[:-1]])
        for name in final["tables"]:
            schema = files.schema(name)
            if schema is not None and name != "access_log":
                files.taps[name] = Blocks(schema)

    def findings(self, log: tuple[int, list[Any], dict[int, str]] | None) -> list[AuditFinding]:
        """Every finding; `log`: the rows, block pieces and day-head hashes the chain workers found, if they
        read the whole log."""
        from jukinet.model.audit.merkle import merkle_root
        from jukinet.model.audit.trust import Blocks, joined

        if not self.final:
            return self.early
        out, files, unread = list(self.early), self.files, len(self.files.problems)
        seen: dict[int, str] = {}
        for name, want in sorted(self.final["tables"].items()):
            if not (self.run / "records" / f"{name}.parquet").is_file():
                out.append(AuditFinding("C09", name, -1, "a signed table is missing"))
                continue
            listed = [bytes.fromhex(h) for h in self.blocks.get(name, [])]
            if merkle_root(listed).hex() != want["root"]:
                out.append(AuditFinding("C09", "heads.json", -1, f"the block hashes of {name} do not match its signed root"))
                continue
            schema = files.schema(name)
            if schema is None:
                continue  # unreadable: a finding of the files
            if name == "access_log" and log is not None:
                rows, pieces, seen = log
            elif name in files.tapped:
                rows, pieces = files.tapped[name]
            else:  # not read whole by the checks (they stopped, or read only some columns)
                files.taps.pop(name, None)
                blocks, batches, rows = Blocks(schema), files.scan(name), 0
                for b in _heads_seen(batches, self.log_rows, seen) if name == "access_log" else batches:
                    blocks.feed(b)
                    rows += b.num_rows
                pieces = blocks.close()
            if len(files.problems) > unread:
                continue
            mine = joined(pieces, schema)
            if rows != want["rows"] or mine != listed:
                out.extend(_changed(self.run, files, name, want, mine, listed, rows))
        seen[-1] = bytes(32).hex()  # the chain's head before its first record
        for i, s in enumerate(self.stmts[:-1]):
            row = int(s["count"]) - 1
            if "access_log" in self.final["tables"] and len(files.problems) == unread and seen.get(row) != s["head"]:
                out.append(
                    AuditFinding("C09", "access_log", row, f"differs from the signed head of day {i + 1} ({row + 1:,} records)")
                )
                break
        if "disclosure_index" in self.final:
            from jukinet.model.audit.index import index_problem

            try:
                problem = index_problem(self.run / "index", self.final["disclosure_index"])
            except (KeyError, TypeError, ValueError):
                problem = "the signed statement's disclosure index is malformed"
            if problem:
                out.append(AuditFinding("C12", "index", -1, f"the disclosure index: {problem}"))
            if self.index is not None and len(files.problems) == unread:  # every provision and code read
                out += _rebuilt(self.index, self.run / "index", self.final["disclosure_index"])
        elif self.index is not None:
            out.append(AuditFinding("C12", "index", -1, "the signed heads carry no disclosure index to rebuild"))
        folder = {p.stem for p in (self.run / "records").glob("*.parquet")}
        for name in sorted(folder - set(self.final["tables"])):
            out.append(AuditFinding("C09", name, -1, "a table the signed heads do not name"))
        # each table's first finding before any table's second: a long list for one table leaves the others shown
        rank, per_table = [], Counter[str]()
        for f in out:
            rank.append(per_table[f.table])
            per_table[f.table] += 1
        return [f for _, f in sorted(zip(rank, out, strict=True), key=lambda x: x[0])]


def _heads_seen(batches: Iterator[pa.RecordBatch], rows: tuple[int, ...], seen: dict[int, str]) -> Iterator[pa.RecordBatch]:
    """The log's batches, noting the hash at each of the (sorted) rows a day head names."""
    lo, k = 0, 0
    for b in batches:
        hashes = b.column("hash")
        while k < len(rows) and rows[k] < lo + b.num_rows:
            if rows[k] >= lo:
                seen[rows[k]] = hashes[rows[k] - lo].as_py().hex()
            k += 1
        lo += b.num_rows
        yield b


def _changed(
    run: Path, files: RunFolder, name: str, want: dict[str, Any], mine: list[bytes], listed: list[bytes], rows: int
) -> list[AuditFinding]:
    """A table that differs from its signed root: the rows and fields changed, from the signed field digests
    (model.audit.rowdigest), else the first block of rows that differs."""
    from jukinet.model.audit.rowdigest import Locator, field_digests, read_digests
    from jukinet.model.audit.trust import BLOCK

    k = next((i for i, (a, b) in enumerate(zip(mine, listed, strict=False)) if a != b), min(len(mine), len(listed)))
    block = f"rows {k * BLOCK:,}-{(k + 1) * BLOCK - 1:,} changed ({rows:,} rows, {want['rows']:,} signed)"
    signed = read_digests(run, name, want["digests"]) if "digests" in want else None
    if signed is None:
        why = "" if "digests" not in want else f"; its signed field digests (digests/{name}.npy) are missing or damaged"
        return [AuditFinding("C09", name, k * BLOCK, f"differs from the signed table: {block}{why}")]
    fields, schema = list(want.get("fields", [])), files.schema(name)
    names = schema.names if schema is not None else []
    if names != fields:
        return [AuditFinding("C09", name, -1, f"differs from the signed table: columns {names}; signed {fields}")]
    locator = Locator(signed, rows, fields)  # the folder's digests a batch at a time, the signed ones mapped
    for b in files.scan(name):
        locator.feed(field_digests(b))
    found = locator.finish()
    if not found:  # the bytes differ where no field's digest does (a type or encoding, or a 1 in 2**32 collision)
        return [AuditFinding("C09", name, k * BLOCK, f"differs from the signed table: {block}")]
    return [AuditFinding("C09", name, c.row, f"differs from the signed table: {c.text}") for c in found]


def _rebuilt(built: Any, folder: Path, signed: Any) -> list[AuditFinding]:
    """The disclosure index rebuilt from the records against index/ and the signed one (`jukinet audit --index`)."""
    from jukinet.model.audit.index import rebuilt_problems

    if not isinstance(signed, dict) or not isinstance(signed.get("root"), str) or not isinstance(signed.get("codes"), int):
        return [AuditFinding("C12", "index", -1, "the disclosure index: the signed statement's index is malformed")]
    found = rebuilt_problems(built, folder, signed)
    return [AuditFinding("C12", "index", code, f"rebuilt disclosure index: {problem}") for code, problem in found]


def _outputs(run: Path, signed: Any) -> list[AuditFinding]:
    """Each output the final statement binds (summary.json, the reports, plots, scenario: model/audit/trust.py
    outputs_of) against the folder: edited, missing, or a file added at the folder's top after signing."""
    from jukinet.model.audit.trust import outputs_of

    if not isinstance(signed, dict):
        return [AuditFinding("C09", "heads.json", -1, "the final statement binds no outputs (summary.json, the reports)")]
    now = outputs_of(run)
    out = []
    for name in sorted(set(signed) | set(now)):
        if name not in now:
            out.append(AuditFinding("C09", name, -1, "a signed output is missing"))
        elif name not in signed:
            out.append(AuditFinding("C09", name, -1, "not signed: added to the run folder after it was signed"))
        elif now[name] != signed[name]:
            out.append(AuditFinding("C09", name, -1, "differs from the signed output: changed after the run was signed"))
    return out


def _day_heads(signed: Any, present: list[Any]) -> list[AuditFinding]:
    """The day heads heads.json holds against those the final statement lists (by record count): each one
    dropped, added or out of its place is named by its day."""
    if not isinstance(signed, list):
        return [AuditFinding("C09", "heads.json", -1, "the final statement lists no day heads")]
    day = {c: i + 1 for i, c in enumerate(signed)}
    out = [
        AuditFinding("C09", "heads.json", -1, f"the signed head of day {day[c]} ({c:,} records) is missing")
        for c in signed
        if c not in present
    ]
    out += [
        AuditFinding("C09", "heads.json", i, f"a day head the final statement does not list ({c} records)")
        for i, c in enumerate(present)
        if c not in day
    ]
    kept = [c for c in present if c in day]
    moved = next((c for c, want in zip(kept, [c for c in signed if c in kept], strict=True) if c != want), None)
    if moved is not None:
        out.append(AuditFinding("C09", "heads.json", -1, f"the head of day {day[moved]} is out of its place"))
    return out

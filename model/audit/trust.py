"""Anchors outside the run folder (issue 12, item 1): signed, witnessed heads of a run's records.

The designated organisation (the center) signs, with an Ed25519 key kept outside the run folder, a
statement of the access log's chain head at the end of every simulated day (the run chains the log
a day at a time) and a final statement that also binds the configuration and every record table:
for each table its row count and the Merkle root (RFC 6962, model.audit.merkle) of the leaves of its
blocks of `BLOCK` rows: SHA-256 over each column's canonical bytes (`_block_leaf`: the values as
stored, strings decoded from any dictionary), so a leaf depends on the rows alone, not on how they were
batched or encoded, and a table can be hashed as it streams past, or in parts read apart (`Blocks`,
`joined`: the audit's chain workers hash the log's).  The 47 prefecture servers witness every
statement and countersign it, so rewriting a run needs the center's key and a majority of the
prefectures'.

    jukinet keys --out KEYS               the center's and the 47 prefectures' key pairs (KEYS/private,
                                          KEYS/public); keep KEYS/private away from the runs
    jukinet run ... --sign KEYS           writes heads.json (statements and signatures) into the run
    jukinet audit RUN --trust KEYS/public verifies them; without --trust the audit says it can only
                                          check the folder's internal consistency
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from jukinet.model.core.errors import UserError
from jukinet.model.core.output import read_regular

BLOCK = 4096  # rows per hashed block of a record table: a change is named to within one block
WITNESSES = tuple(f"pref-{i:02d}" for i in range(1, 48))
QUORUM = 24  # witnesses needed besides the center: a majority of the 47 prefectures
SIGNERS = ("center", *WITNESSES)
# v2: blocks in canonical form, streamed; the index beside the records; v3: leaves bind code histories; v4: and the
# residents row holding each code (the identity a disclosure shows)
VERSION = "jukinet-heads-v4"


# -- the record tables' blocks ----------------------------------------------------------------------------
def _plain(batch: pa.RecordBatch) -> pa.RecordBatch:
    """A batch in the canonical form its blocks are hashed in: dictionary columns decoded, no metadata (so the
    bytes depend on the rows alone, not on how a file was encoded or read)."""
    cols = [c.dictionary_decode() if pa.types.is_dictionary(c.type) else c for c in batch.columns]
    return pa.RecordBatch.from_arrays(cols, names=batch.schema.names)


def _column_bytes(h: Any, arr: pa.Array) -> None:
    """A column of a block into the hash: its name-free canonical bytes (nulls as a 0/1 mask, then the values
    with nulls filled: strings as offsets from 0 and their bytes, the rest as their little-endian values)."""
    t, n = arr.type, len(arr)
    h.update(f"{t}|{n}|{arr.null_count}|".encode())
    if arr.null_count:
        h.update(arr.is_null().to_numpy(zero_copy_only=False).astype(np.uint8).tobytes())
    if pa.types.is_string(t) or pa.types.is_binary(t) or pa.types.is_large_string(t) or pa.types.is_large_binary(t):
        arr = pc.fill_null(arr, "" if pa.types.is_string(t) or pa.types.is_large_string(t) else b"") if arr.null_count else arr
        wide = pa.types.is_large_string(t) or pa.types.is_large_binary(t)
        off = np.frombuffer(arr.buffers()[1], np.int64 if wide else np.int32)[arr.offset : arr.offset + n + 1].astype("<i8")
        h.update((off - off[0]).tobytes())
        data = arr.buffers()[2]
        h.update(memoryview(data)[int(off[0]) : int(off[-1])] if data is not None else b"")
    elif pa.types.is_fixed_size_binary(t):
        w = t.byte_width
        arr = pc.fill_null(arr, pa.scalar(bytes(w), t)) if arr.null_count else arr
        h.update(memoryview(arr.buffers()[1])[arr.offset * w : (arr.offset + n) * w])
    elif pa.types.is_boolean(t):
        h.update(pc.fill_null(arr, False).to_numpy(zero_copy_only=False).astype(np.uint8).tobytes())
    elif pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_temporal(t):
        vals = pc.fill_null(arr, pa.scalar(0, t)) if arr.null_count else arr
        x = vals.to_numpy(zero_copy_only=False)
        h.update(np.ascontiguousarray(x, x.dtype.newbyteorder("<")).tobytes())
    else:  # any other type: by its text
        h.update("\x1f".join(map(str, arr.to_pylist())).encode())


def _block_leaf(rows: pa.Table) -> bytes:
    """A block's leaf: SHA-256(0x00 || its row count, and each column's name and canonical bytes)."""
    h = hashlib.sha256(b"\x00" + f"block|{rows.num_rows}".encode())
    for name, col in zip(rows.column_names, rows.columns, strict=True):
        h.update(f"|{name}|".encode())
        _column_bytes(h, col.combine_chunks() if col.num_chunks != 1 else col.chunk(0))
    return h.digest()


def _own(rows: pa.Table) -> pa.Table:
    """A few rows kept apart from the batch they were sliced from: a slice shares, and pickles, the whole batch's
    buffers (the audit's chain workers sent the main process two whole batches per part: 1.7 GB at full scale)."""
    return rows.take(pa.array(np.arange(rows.num_rows, dtype=np.int64)))


def plain_schema(schema: pa.Schema) -> pa.Schema:
    return pa.schema([pa.field(f.name, f.type.value_type if pa.types.is_dictionary(f.type) else f.type) for f in schema])


class Blocks:
    """The blocks of a table fed its rows in order from row `start`: the leaf of each whole block, and the rows
    before the first block boundary and after the last kept as tables, so parts of a table read apart (the
    log, by the audit's worker processes) join into the table's blocks (`joined`)."""

    def __init__(self, schema: pa.Schema, start: int = 0) -> None:
        self.schema = plain_schema(schema)
        self.pieces: list[bytes | pa.Table] = []
        self.held: list[pa.RecordBatch] = []
        self.rows = 0
        self.before = -start % BLOCK  # rows before the first boundary

    def feed(self, batch: pa.RecordBatch) -> None:
        b = _plain(batch.select(self.schema.names) if batch.schema.names != self.schema.names else batch)
        if b.schema != self.schema:
            raise ValueError(f"a batch's columns {b.schema} are not the table's")
        self.held.append(b)
        self.rows += b.num_rows
        if self.before and self.rows >= self.before:
            t = pa.Table.from_batches(self.held, self.schema)
            self.pieces.append(_own(t.slice(0, self.before)))
            self.held, self.rows, self.before = t.slice(self.before).to_batches(), self.rows - self.before, 0
        if not self.before and self.rows >= BLOCK:
            t, lo = pa.Table.from_batches(self.held, self.schema), 0
            while self.rows - lo >= BLOCK:
                self.pieces.append(_block_leaf(t.slice(lo, BLOCK)))
                lo += BLOCK
            self.held, self.rows = t.slice(lo).to_batches(), self.rows - lo

    def close(self) -> list[bytes | pa.Table]:
        if self.rows:
            self.pieces.append(_own(pa.Table.from_batches(self.held, self.schema)))
        self.held, self.rows = [], 0
        return self.pieces


def joined(pieces: Iterable[bytes | pa.Table], schema: pa.Schema) -> list[bytes]:
    """The table's block leaves from its parts' pieces in order; a table of no rows is one empty block."""
    schema = plain_schema(schema)
    out: list[bytes] = []
    held: list[pa.Table] = []
    rows = 0
    for p in pieces:
        if isinstance(p, bytes):
            if rows:
                raise ValueError("a whole block follows rows that do not fill one")
            out.append(p)
            continue
        held.append(p)
        rows += p.num_rows
        if rows >= BLOCK:
            t, lo = pa.concat_tables(held), 0
            while rows - lo >= BLOCK:
                out.append(_block_leaf(t.slice(lo, BLOCK)))
                lo += BLOCK
            held, rows = [t.slice(lo)], rows - lo
    if rows or not out:
        out.append(_block_leaf(pa.concat_tables(held) if held else schema.empty_table()))
    return out


def block_leaves(batches: Iterable[pa.RecordBatch], schema: pa.Schema) -> list[bytes]:
    """The leaf hash of each block of BLOCK rows, over the block's Arrow IPC stream (one record batch, schema
    included) in canonical form (`_plain`), however the rows come batched."""
    blocks = Blocks(schema)
    for b in batches:
        blocks.feed(b)
    return joined(blocks.close(), schema)


# -- keys ----------------------------------------------------------------------------------------------
def write_keys(folder: Path) -> None:
    """A fresh key pair for the center and each prefecture: folder/private/*.pem, folder/public/*.pub."""
    (folder / "private").mkdir()
    (folder / "public").mkdir()
    for who in SIGNERS:
        key = Ed25519PrivateKey.generate()
        (folder / "private" / f"{who}.pem").write_bytes(
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        )
        (folder / "public" / f"{who}.pub").write_bytes(
            key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        )


def _load(folder: Path, option: str, private: bool) -> dict[str, Any]:
    sub = folder / ("private" if private else "public") if (folder / ("private" if private else "public")).is_dir() else folder
    keys: dict[str, Any] = {}
    for who in SIGNERS:
        path = sub / f"{who}.{'pem' if private else 'pub'}"
        try:
            data = read_regular(path, option, "a key file written by `jukinet keys`", limit=1 << 16)
            key = serialization.load_pem_private_key(data, password=None) if private else serialization.load_pem_public_key(data)
        except FileNotFoundError:
            raise UserError(option, str(path), "missing; allowed: a folder written by `jukinet keys`") from None
        except TypeError:  # a password-protected key (jukinet keys writes none)
            raise UserError(option, str(path), "an encrypted key; allowed: the unencrypted keys `jukinet keys` writes") from None
        except (OSError, ValueError) as exc:
            raise UserError(option, str(path), f"not a key ({str(exc)[:80]})") from None
        if not isinstance(key, Ed25519PrivateKey if private else Ed25519PublicKey):
            raise UserError(option, str(path), "not an Ed25519 key; allowed: a folder written by `jukinet keys`")
        keys[who] = key
    return keys


def load_private(folder: Path) -> dict[str, Ed25519PrivateKey]:
    return _load(folder, "--sign", private=True)


def load_public(folder: Path) -> dict[str, Ed25519PublicKey]:
    return _load(folder, "--trust", private=False)


# -- statements ------------------------------------------------------------------------------------------
def _bytes(statement: dict[str, Any]) -> bytes:
    return json.dumps(statement, sort_keys=True, separators=(",", ":")).encode("utf-8")


def statements(
    run_id: dict[str, Any],
    checkpoints: Iterable[tuple[int, bytes]],
    tables: dict[str, dict[str, Any]],
    config_sha256: str,
    index: tuple[int, bytes] | None = None,
    timeline_sha256: str | None = None,
) -> list[dict[str, Any]]:
    """The day heads of the log, then the final statement binding the configuration, every table (`tables`:
    its rows, the root over its block leaves, and where given the SHA-256 of its field digests and its column
    names: model.audit.rowdigest) and the disclosure index (its size and the root over every code's leaf)."""
    out: list[dict[str, Any]] = [
        {"version": VERSION, "run": run_id, "kind": "log-head", "count": c, "head": h.hex()} for c, h in checkpoints
    ]
    final: dict[str, Any] = {"version": VERSION, "run": run_id, "kind": "final", "config_sha256": config_sha256}
    if timeline_sha256 is not None:  # the year's dated configurations (timeline_resolved.json)
        final["timeline_sha256"] = timeline_sha256
    final["tables"] = {name: dict(t) for name, t in sorted(tables.items())}
    if index is not None:
        final["disclosure_index"] = {"codes": index[0], "root": index[1].hex()}
    if out:
        final["count"], final["head"] = out[-1]["count"], out[-1]["head"]
    final["day_heads"] = [h["count"] for h in out]  # each day head by its record count: none dropped, none moved
    out.append(final)
    return out


def outputs_of(folder: Path) -> dict[str, str]:
    """The SHA-256 of each file a reader of the run folder relies on (summary.json, report.md, report.html, the
    plots, the scenario file): every regular file at its top but the heads, the markers and the two the final
    statement binds by name (config_sha256, timeline_sha256); the records, digests and index have their own."""
    from jukinet.model.config.scenario import TIMELINE_FILE

    own = {"heads.json", "scenario_resolved.json", TIMELINE_FILE}
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file() and not p.name.startswith(".") and p.name not in own
    }


def sign(stmts: list[dict[str, Any]], keys: dict[str, Ed25519PrivateKey]) -> list[dict[str, Any]]:
    """Each statement with the center's signature and the 47 witnesses' countersignatures (hex)."""
    return [{"statement": s, "signatures": {who: keys[who].sign(_bytes(s)).hex() for who in SIGNERS}} for s in stmts]


def verify(signed: list[dict[str, Any]], keys: dict[str, Ed25519PublicKey]) -> list[str]:
    """What is wrong with the signatures (`checked`)."""
    return checked(signed, keys)[0]


def checked(signed: list[dict[str, Any]], keys: dict[str, Ed25519PublicKey]) -> tuple[list[str], bool]:
    """What is wrong with the signatures: each statement needs the center's and QUORUM witnesses'; every
    signature present is verified, and one that does not verify, or by a signer the keys do not know, is named
    (a forged or swapped witness signature is a finding even when a quorum holds without it)."""
    problems, trusted = [], True  # trusted: every statement has the center's signature and a quorum's
    bad: dict[str, list[int]] = {}  # a witness's signatures that do not verify, or an unknown signer's: by statement
    for i, entry in enumerate(signed):
        try:
            data, sigs = _bytes(entry["statement"]), entry["signatures"]
        except (KeyError, TypeError):
            problems.append(f"statement {i}: malformed")
            trusted = False
            continue
        good: set[str] = set()
        for who in sorted(sigs) if isinstance(sigs, dict) else []:
            try:
                keys[who].verify(bytes.fromhex(sigs[who]), data)
                good.add(who)
            except (KeyError, InvalidSignature, ValueError, TypeError):
                if who != "center":
                    bad.setdefault(str(who)[:40], []).append(i)
        if "center" not in good:
            problems.append(f"statement {i}: the center's signature does not verify")
        if len(good - {"center"}) < QUORUM:
            problems.append(f"statement {i}: {len(good - {'center'})} witness signatures verify; {QUORUM} needed")
        trusted = trusted and "center" in good and len(good - {"center"}) >= QUORUM
    for who, at in sorted(bad.items()):
        what = "does not verify" if who in keys else "is by a signer the trusted keys do not know"
        problems.append(f"the signature of {who!r} {what} on {len(at)} statement(s) (the first: statement {at[0]})")
    centre = [x for x in problems if x.endswith(": the center's signature does not verify")]
    if len(signed) > 1 and len(centre) == len(signed):  # another key folder, not a forged statement: say so once
        rest = [x for x in problems if x not in centre and "witness signatures verify" not in x]
        return [
            f"the center's signature verifies on none of the {len(signed):,} statements: the trusted keys are not the "
            "ones this run was signed with (or every statement was re-signed)",
            *rest[:5],
        ], False
    return problems, trusted

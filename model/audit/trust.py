"""Anchors outside the run folder (issue 12, item 1): signed, witnessed heads of a run's records.

The designated organisation (the center) signs, with an Ed25519 key kept outside the run folder, a
statement of the access log's chain head at the end of every simulated day (the run chains the log
a day at a time) and a final statement that also binds the configuration and every record table:
for each table its row count and the Merkle root (RFC 6962 hashing) of the SHA-256 of each block
of `BLOCK` rows in Arrow's IPC form.  The 47 prefecture servers witness every statement and
countersign it, so rewriting a run needs the center's key and a majority of the prefectures'.

    jukinet keys --out KEYS               the center's and the 47 prefectures' key pairs (KEYS/private,
                                          KEYS/public); keep KEYS/private away from the runs
    jukinet run ... --sign KEYS           writes heads.json (statements and signatures) into the run
    jukinet audit RUN --trust KEYS/public verifies them; without --trust the audit says it can only
                                          check the folder's internal consistency
"""

from __future__ import annotations

import hashlib
import io
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

from model.core.errors import UserError

BLOCK = 4096  # rows per hashed block of a record table: a change is named to within one block
WITNESSES = tuple(f"pref-{i:02d}" for i in range(1, 48))
QUORUM = 24  # witnesses needed besides the center: a majority of the 47 prefectures
SIGNERS = ("center", *WITNESSES)
VERSION = "jukinet-heads-v1"


# -- Merkle tree (RFC 6962 section 2.1) ---------------------------------------------------------------
def leaf(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def merkle_root(leaves: list[bytes]) -> bytes:
    """MTH over leaf hashes (RFC 6962 s.2.1: split at the largest power of two below n; empty: SHA-256 of nothing)."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return hashlib.sha256(b"\x01" + merkle_root(leaves[:k]) + merkle_root(leaves[k:])).digest()


def block_hashes(table: pa.Table) -> list[bytes]:
    """The leaf hash of each block of BLOCK rows, over the block's Arrow IPC bytes (schema included)."""
    out = []
    for lo in range(0, max(table.num_rows, 1), BLOCK):
        sink = io.BytesIO()
        part = table.slice(lo, BLOCK)
        with pa.ipc.new_stream(sink, part.schema) as w:
            w.write_table(part)
        out.append(leaf(sink.getvalue()))
    return out


def audit_path(m: int, leaves: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of RFC 6962 s.2.1.1: the sibling subtree roots from leaf m up to the root."""
    n = len(leaves)
    if n <= 1:
        return []
    k = 1 << ((n - 1).bit_length() - 1)
    if m < k:
        return [*audit_path(m, leaves[:k]), merkle_root(leaves[k:])]
    return [*audit_path(m - k, leaves[k:]), merkle_root(leaves[:k])]


def root_from_path(m: int, n: int, leaf_hash: bytes, path: list[bytes]) -> bytes | None:
    """The root that leaf m of n leaves and its audit path lead to (None: the path has the wrong length)."""
    if n == 1:
        return leaf_hash if not path else None
    if not path or not 0 <= m < n:
        return None
    k = 1 << ((n - 1).bit_length() - 1)
    left: bytes | None
    right: bytes | None
    if m < k:
        left, right = root_from_path(m, k, leaf_hash, path[:-1]), path[-1]
    else:
        left, right = path[-1], root_from_path(m - k, n - k, leaf_hash, path[:-1])
    if left is None or right is None:
        return None
    return hashlib.sha256(b"\x01" + left + right).digest()


# -- the disclosure index (issue 12, item 3) ------------------------------------------------------------------
def record_bytes(row: dict[str, Any]) -> bytes:
    """A provision record's canonical bytes: its columns as JSON, keys sorted."""
    return json.dumps(row, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def code_leaf(code: int, records: list[dict[str, Any]]) -> bytes:
    """A resident code's leaf: the code, how many provisions name it, and the hash of their records in
    sequence order; so the leaf commits to the complete list (a disclosure missing one does not match)."""
    rows = sorted(records, key=lambda r: int(r["seq"]))
    return _code_leaf(code, len(rows), hashlib.sha256(b"".join(leaf(record_bytes(r)) for r in rows)).hexdigest())


def _code_leaf(code: int, n: int, listed: str) -> bytes:
    return leaf(f"resident-code|{int(code):011d}|{n}|{listed}".encode())


def run_codes(tables: dict[str, pa.Table]) -> np.ndarray:
    """Every resident code a run knows: its residents' codes and every code a code change retired or gave."""
    changes = tables["code_changes"]
    cols = (tables["residents"].column("code"), changes.column("old"), changes.column("new"))
    return np.concatenate([c.to_numpy().astype(np.int64) for c in cols]) if cols else np.zeros(0, np.int64)


INDEX_BATCH = 1 << 16  # provisions turned into Python records at once while the disclosure index is built


def disclosure_index(codes: Iterable[int] | np.ndarray, provisions: pa.Table) -> tuple[list[int], list[bytes]]:
    """Every resident code of the run (sorted) and its leaf, over the provisions made (allowed rows).

    The provisions are sorted by (code, seq) and read INDEX_BATCH at a time, each code's list hashed as its
    rows go past (code_leaf's bytes, without a Python record per provision held at once)."""
    made = provisions.filter(pc.field("allowed"))
    made = made.take(pc.sort_indices(made, [("code", "ascending"), ("seq", "ascending")]))
    listed: dict[int, tuple[int, str]] = {}  # code -> (provisions, hash of their records)
    code, n, h = None, 0, hashlib.sha256()
    for lo in range(0, made.num_rows, INDEX_BATCH):
        for r in made.slice(lo, INDEX_BATCH).to_pylist():
            c = int(r["code"])
            if c != code:
                if code is not None:
                    listed[code] = (n, h.hexdigest())
                code, n, h = c, 0, hashlib.sha256()
            n += 1
            h.update(leaf(record_bytes(r)))
    if code is not None:
        listed[code] = (n, h.hexdigest())
    empty = hashlib.sha256(b"").hexdigest()
    known = codes if isinstance(codes, np.ndarray) else np.fromiter(codes, np.int64)
    ordered = np.union1d(known.astype(np.int64), np.fromiter(listed, np.int64, len(listed)))
    out = [int(c) for c in ordered]
    return out, [_code_leaf(c, *listed.get(c, (0, empty))) for c in out]


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
            data = path.read_bytes()
            key = serialization.load_pem_private_key(data, password=None) if private else serialization.load_pem_public_key(data)
        except FileNotFoundError:
            raise UserError(option, str(path), "missing; allowed: a folder written by `jukinet keys`") from None
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
    tables: dict[str, pa.Table],
    config_sha256: str,
    index: list[bytes] | None = None,
    digests: dict[str, str] | None = None,
    timeline_sha256: str | None = None,
) -> list[dict[str, Any]]:
    """The day heads of the log, then the final statement binding the configuration, every table (with, where
    given, the SHA-256 of its field digests and its column names: model.audit.rowdigest) and the disclosure
    index (the root over every resident code's leaf)."""
    out: list[dict[str, Any]] = [
        {"version": VERSION, "run": run_id, "kind": "log-head", "count": c, "head": h.hex()} for c, h in checkpoints
    ]
    final: dict[str, Any] = {"version": VERSION, "run": run_id, "kind": "final", "config_sha256": config_sha256}
    if timeline_sha256 is not None:  # the year's dated configurations (timeline_resolved.json)
        final["timeline_sha256"] = timeline_sha256
    final["tables"] = {
        name: {"rows": t.num_rows, "root": merkle_root(block_hashes(t)).hex()} for name, t in sorted(tables.items())
    }
    for name, sha in (digests or {}).items():
        final["tables"][name].update(digests=sha, fields=tables[name].column_names)
    if index is not None:
        final["disclosure_index"] = {"codes": len(index), "root": merkle_root(index).hex()}
    if out:
        final["count"], final["head"] = out[-1]["count"], out[-1]["head"]
    out.append(final)
    return out


def sign(stmts: list[dict[str, Any]], keys: dict[str, Ed25519PrivateKey]) -> list[dict[str, Any]]:
    """Each statement with the center's signature and the 47 witnesses' countersignatures (hex)."""
    return [{"statement": s, "signatures": {who: keys[who].sign(_bytes(s)).hex() for who in SIGNERS}} for s in stmts]


def verify(signed: list[dict[str, Any]], keys: dict[str, Ed25519PublicKey]) -> list[str]:
    """What is wrong with the signatures: each statement needs the center's and QUORUM witnesses'."""
    problems = []
    for i, entry in enumerate(signed):
        try:
            data, sigs = _bytes(entry["statement"]), entry["signatures"]
        except (KeyError, TypeError):
            problems.append(f"statement {i}: malformed")
            continue
        good = set()
        for who, sig in sigs.items() if isinstance(sigs, dict) else []:
            try:
                if who in keys:
                    keys[who].verify(bytes.fromhex(sig), data)
                    good.add(who)
            except (InvalidSignature, ValueError, TypeError):
                pass
        if "center" not in good:
            problems.append(f"statement {i}: the center's signature does not verify")
        if len(good - {"center"}) < QUORUM:
            problems.append(f"statement {i}: {len(good - {'center'})} witness signatures verify; {QUORUM} needed")
    return problems

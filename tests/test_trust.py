"""Signed, witnessed heads (issue 12, item 1): a run signed with keys kept outside its folder
(`jukinet keys`, `jukinet run --sign`) audits clean against the trusted public keys; an attacker who can
write the run folder but holds no key cannot rewrite a record, the chain and the head unnoticed, nor
re-sign, nor drop witnesses, nor bring the heads of another run.  Without --trust the audit says it can
only check the folder's internal consistency."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from jukinet.model.audit.checks import UNTRUSTED, audit
from jukinet.model.audit.rowdigest import field_digests
from jukinet.model.audit.trust import QUORUM, load_private, sign, write_keys
from jukinet.model.config.scenario import load
from jukinet.model.core.errors import UserError
from jukinet.model.report.run import execute
from jukinet.model.sim.hashchain import chain

DESIGN = Path(__file__).resolve().parent.parent / "scenarios" / "fy2006_as_designed.toml"
HEADS = "signed and witnessed heads match the folder"


def _c09(res: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in res["findings"] if f["constraint"] == "C09"]


def test_a_signed_run_audits_clean_against_its_keys_and_says_what_untrusted_means(signed: tuple[Path, Path]) -> None:
    run, keys = signed
    res = audit(run, keys / "public")
    assert res["clean"] and res["counts"][HEADS] == 0, res["findings"]
    assert f"{QUORUM} of 47 witnesses" in res["trust"]
    plain = audit(run)
    assert plain["clean"] and plain["trust"] == UNTRUSTED and HEADS not in plain["counts"]
    proc = subprocess.run([sys.executable, "-m", "jukinet", "audit", str(run)], capture_output=True, text=True)
    assert proc.returncode == 0 and "only the folder's internal consistency" in proc.stdout
    heads = json.loads((run / "heads.json").read_text())
    # a signed head per day the log grew: lookups and register changes only on business days (issue 29), and the final
    assert len(heads["signed"]) >= 240 and heads["signed"][-1]["statement"]["kind"] == "final"
    assert not any(p.suffix == ".pem" for p in run.rglob("*"))  # no private key in the run folder


def _edit_provision(run: Path) -> tuple[int, int]:
    """The provision at row 5,000 or after made to name the next row's resident: its (seq, new code)."""
    path = run / "records" / "provisions.parquet"
    t = pq.read_table(path)
    codes = t.column("code").to_pylist()
    i = next(k for k in range(5000, len(codes)) if codes[k] != codes[k + 1])
    codes[i] = codes[i + 1]  # the provision now names another resident
    pq.write_table(t.set_column(t.schema.get_field_index("code"), "code", pa.array(codes, pa.int64())), path)
    return int(t.column("seq")[i].as_py()), codes[i]


def _rewrite_log(run: Path, provision: tuple[int, int] | None = None) -> None:
    """Edit a log record, re-chain every later record and rewrite the summary's head: what the unsigned audit
    cannot see (issue 12, Why).  With `provision` (seq, code): the center's record of that provision made to
    name that code, as a coherent rewrite of a provision and its log record would (issue 30)."""
    path = run / "records" / "access_log.parquet"
    t = pq.read_table(path)
    cols = {k: t.column(k).to_pylist() for k in ("seq", "time", "node", "operator", "action", "code", "ref")}
    if provision is None:
        i = next(k for k in range(1000, len(cols["code"])) if cols["code"][k] != cols["code"][k + 1])
        cols["code"][i] = cols["code"][i + 1]  # the record now names another resident
    else:
        at = [k for k, (n, r) in enumerate(zip(cols["node"], cols["ref"], strict=True)) if n == "center" and r == provision[0]]
        cols["code"][at[0]] = provision[1]
    hashes = chain(*(cols[k] for k in ("seq", "time", "node", "operator", "action", "code", "ref")))
    t = t.set_column(t.schema.get_field_index("code"), "code", pa.array(cols["code"], t.schema.field("code").type))
    t = t.set_column(t.schema.get_field_index("hash"), "hash", pa.array(hashes, t.schema.field("hash").type))
    pq.write_table(t, path)
    s = json.loads((run / "summary.json").read_text())
    s["log_head"]["hash"] = hashes[-1].hex()
    (run / "summary.json").write_text(json.dumps(s))


def _resign_with(keys: Path) -> Callable[[Path], None]:
    def go(run: Path) -> None:
        heads = json.loads((run / "heads.json").read_text())
        heads["signed"] = sign([e["statement"] for e in heads["signed"]], load_private(keys))
        (run / "heads.json").write_text(json.dumps(heads))

    return go


def _drop_witnesses(run: Path) -> None:
    heads = json.loads((run / "heads.json").read_text())
    for e in heads["signed"]:
        for who in [w for w in e["signatures"] if w != "center"][QUORUM - 1 :]:
            del e["signatures"][who]
    (run / "heads.json").write_text(json.dumps(heads))


def _forge_one_witness(run: Path) -> None:
    """Issue 30: one witness's signature replaced by another's, the quorum holding without it."""
    heads = json.loads((run / "heads.json").read_text())
    e = heads["signed"][-1]["signatures"]
    e["pref-05"] = e["pref-06"]
    (run / "heads.json").write_text(json.dumps(heads))


def _add_unknown_signer(run: Path) -> None:
    heads = json.loads((run / "heads.json").read_text())
    heads["signed"][0]["signatures"]["pref-48"] = heads["signed"][0]["signatures"]["pref-01"]
    (run / "heads.json").write_text(json.dumps(heads))


def _day_heads(change: Callable[[list[Any]], None]) -> Callable[[Path], None]:
    """Issue 30: day heads dropped or reordered in heads.json (each still signed on its own)."""

    def go(run: Path) -> None:
        heads = json.loads((run / "heads.json").read_text())
        days = heads["signed"][:-1]
        change(days)
        heads["signed"] = [*days, heads["signed"][-1]]
        (run / "heads.json").write_text(json.dumps(heads))

    return go


def _other_run(keys: Path) -> Callable[[Path], None]:
    """Genuine heads, signed with the real keys, of another run (here: the same statements for seed 8)."""

    def go(run: Path) -> None:
        heads = json.loads((run / "heads.json").read_text())
        stmts = [e["statement"] for e in heads["signed"]]
        for st in stmts:
            st["run"]["seed"] = 8
        heads["signed"] = sign(stmts, load_private(keys))
        (run / "heads.json").write_text(json.dumps(heads))

    return go


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("provision edited", "provisions: differs from the signed table: row 5,000 edited: code"),
        ("provision row deleted", "provisions: differs from the signed table: row 0 of the signed table deleted"),
        ("relays table emptied", "relays: differs from the signed table: all "),
        ("log rewritten with chain and head", "access_log: differs from the signed head of day"),
        ("heads re-signed without the keys", "the center's signature verifies on none of the"),
        ("witnesses dropped", f"{QUORUM - 1} witness signatures verify; {QUORUM} needed"),
        ("heads of another run", "signed for another run"),
        ("heads deleted", "no signed heads"),
        ("one witness forged", "the signature of 'pref-05' does not verify on 1 statement(s)"),
        ("an unknown signer", "the signature of 'pref-48' is by a signer the trusted keys do not know"),
        ("summary edited", "summary.json: differs from the signed output"),
        ("report deleted", "report.html: a signed output is missing"),
        ("a file added", "note.txt: not signed: added to the run folder after it was signed"),
        ("a day head dropped", "heads.json: the signed head of day 3 ("),
        ("two day heads swapped", "heads.json: the head of day 5 is out of its place"),
    ],
)
def test_a_rewrite_without_the_keys_is_named(
    name: str, says: str, signed: tuple[Path, Path], tmp_path: Path, signed_copy: Path
) -> None:
    run = signed_copy
    other = tmp_path / "attacker-keys"
    other.mkdir()
    write_keys(other)
    damage: dict[str, Callable[[Path], None]] = {
        "provision edited": _edit_provision,
        "provision row deleted": lambda r: pq.write_table(
            pq.read_table(r / "records" / "provisions.parquet").slice(1), r / "records" / "provisions.parquet"
        ),
        "relays table emptied": lambda r: pq.write_table(
            pq.read_table(r / "records" / "relays.parquet").slice(0, 0), r / "records" / "relays.parquet"
        ),
        "log rewritten with chain and head": _rewrite_log,
        "heads re-signed without the keys": _resign_with(other),
        "witnesses dropped": _drop_witnesses,
        "heads of another run": _other_run(signed[1]),
        "heads deleted": lambda r: (r / "heads.json").unlink(),
        "one witness forged": _forge_one_witness,
        "an unknown signer": _add_unknown_signer,
        "summary edited": lambda r: (r / "summary.json").write_text((r / "summary.json").read_text().replace("0", "1", 1)),
        "report deleted": lambda r: (r / "report.html").unlink(),
        "a file added": lambda r: (r / "note.txt").write_text("x"),
        "a day head dropped": _day_heads(lambda d: d.pop(2)),
        "two day heads swapped": _day_heads(lambda d: d.insert(3, d.pop(4))),
    }
    damage[name](run)
    found = [f"{f['table']}: {f['problem']}" for f in _c09(audit(run, signed[1] / "public"))]
    assert any(says in f for f in found), found


def test_the_unsigned_audit_misses_what_the_keys_catch(signed: tuple[Path, Path], tmp_path: Path, signed_copy: Path) -> None:
    """The attack of the issue: a provision edited and the center's log record of it edited alike, the chain and
    head rewritten (a coherent rewrite: issue 30's cross-table checks name a provision edited alone): the audit
    without keys finds the folder consistent; with the keys it names both."""
    run = signed_copy
    _rewrite_log(run, _edit_provision(run))
    assert not _c09(audit(run))
    found = _c09(audit(run, signed[1] / "public"))
    assert {f["table"] for f in found} >= {"access_log", "provisions"}


def test_bad_keys_are_one_line(signed: tuple[Path, Path], tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "jukinet", "audit", str(signed[0]), "--trust", str(tmp_path)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "center.pub: missing" in proc.stderr
    keys = tmp_path / "k"
    proc = subprocess.run([sys.executable, "-m", "jukinet", "keys", "--out", str(keys)], capture_output=True, text=True)
    assert proc.returncode == 0 and len(list((keys / "public").glob("*.pub"))) == 48
    again = subprocess.run([sys.executable, "-m", "jukinet", "keys", "--out", str(keys)], capture_output=True, text=True)
    assert again.returncode == 2 and again.stderr.count("\n") == 1  # an existing key folder is never overwritten silently
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    locked = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"x")
    )
    (keys / "private" / "center.pem").write_bytes(locked)  # issue 30: an encrypted key was a traceback
    with pytest.raises(UserError, match="center.pem: an encrypted key; allowed"):
        load_private(keys)


def test_signing_a_run_too_big_for_this_machine_is_refused_before_it_starts(
    signed: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Signing reads every table back once the simulation is freed (about 140 bytes per event, measured at
    scale 0.1): a machine with room for the full-scale simulation (18.3 GB) but not for signing it is refused
    with one line naming --sign, before anything is written or simulated."""
    import jukinet.model.config.estimate as estimate_mod
    import jukinet.model.report.run as run_mod

    monkeypatch.setattr(estimate_mod, "available_memory", lambda: 20 * 2**30)
    monkeypatch.setattr(run_mod, "Simulation", None)  # were the run to start, it would fail at once
    out = tmp_path / "big"
    with pytest.raises(UserError) as err:
        execute(load(DESIGN), 1.0, 7, out, sign=signed[1])
    assert err.value.source == "--sign" and "signing a run of" in str(err.value), err.value
    assert not out.exists()
    monkeypatch.setattr(estimate_mod, "available_memory", lambda: 64 * 2**30)  # room: the estimate is announced
    monkeypatch.setattr(estimate_mod, "check_fits", lambda est, out, option="--scale": None)  # whatever this disk has
    said: list[str] = []
    with pytest.raises(TypeError):  # the run starts (Simulation is None) once the estimate is printed
        execute(load(DESIGN), 1.0, 7, out, sign=signed[1], announce=said.append)
    events = estimate_mod.estimate(load(DESIGN), 1.0).events
    assert said and f"{run_mod.SIGN_BYTES_PER_EVENT * events / estimate_mod.GB:.1f} GB memory" in said[0], said
    assert not out.exists()


# -- the tamper matrix (issue 12, item 6): every edit of every table, without the keys, is named ------------
OPS = ("edit", "delete", "insert", "reorder", "truncate")
TABLES = ("access_log", "provisions", "notifications", "relays", "code_changes", "decisions", "links", "inspections")
TABLES += ("cards", "counter_visits", "residents")


def _blank(field: pa.Field) -> Any:
    t = field.type
    if pa.types.is_dictionary(t) or pa.types.is_string(t):
        return "x"
    if pa.types.is_boolean(t):
        return False
    if pa.types.is_fixed_size_binary(t):
        return bytes(t.byte_width)
    return 0


def _swapped(rows: list[dict[str, Any]]) -> int:
    """The row that `reorder` swaps with the next: the first from the middle on that differs from it (before
    the middle in a table whose rows from there on are equal, or of two rows)."""
    m = len(rows) // 2
    return next(i for i in [*range(m, len(rows) - 1), *range(m)] if rows[i] != rows[i + 1])


def _tamper(t: pa.Table, op: str) -> pa.Table:
    """One tampering of a table: a value changed, a row deleted, a copy inserted, two differing rows swapped,
    the last row cut off; an empty table gets a fabricated row for each."""
    if t.num_rows < 2:
        row = pa.Table.from_pylist([{f.name: _blank(f) for f in t.schema}], schema=t.schema)
        return pa.concat_tables([t, row])
    rows = t.to_pylist()
    m = len(rows) // 2
    if op == "edit":
        name = t.schema.names[-1]
        v = rows[m][name]
        if isinstance(v, bytes):
            rows[m][name] = bytes([v[0] ^ 1]) + v[1:]
        else:
            rows[m][name] = (not v) if isinstance(v, bool) else (v + 1 if isinstance(v, int | float) else (v or "") + "x")
        return pa.Table.from_pylist(rows, schema=t.schema)
    if op == "delete":
        return pa.concat_tables([t.slice(0, m), t.slice(m + 1)])
    if op == "insert":
        return pa.concat_tables([t.slice(0, m + 1), t.slice(m)])
    if op == "reorder":
        k = _swapped(rows)
        return pa.concat_tables([t.slice(0, k), t.slice(k + 1, 1), t.slice(k, 1), t.slice(k + 2)])
    return t.slice(0, len(rows) - 1)


CASES = [
    pytest.param(table, op, marks=() if i < len(OPS) and op == OPS[i] else pytest.mark.slow)  # each op once in the fast tier
    for i, table in enumerate(TABLES)
    for op in OPS
]


@pytest.mark.parametrize(("table", "op"), CASES)
def test_every_tampering_of_every_table_is_named_with_the_keys(
    table: str, op: str, signed: tuple[Path, Path], tmp_path: Path, signed_copy: Path
) -> None:
    """Detected, and named to the row (and, for an edit, the field) from the signed field digests."""
    run = signed_copy
    path = run / "records" / f"{table}.parquet"
    before = pq.read_table(path)
    after = _tamper(before, op)
    pq.write_table(after, path)
    found = [f for f in _c09(audit(run, signed[1] / "public")) if f["table"] == table]
    assert found, f"{op} of {table} not named"
    named = [f for f in found if f["problem"].startswith("differs from the signed table: ")]
    assert len(named) == 1, found
    row, text = named[0]["record"], named[0]["problem"].removeprefix("differs from the signed table: ")
    rows, n = before.to_pylist(), before.num_rows
    m = n // 2
    if n < 2:  # a fabricated row appended
        assert text == f"row {n:,} inserted", text
    elif op == "edit":
        assert (row, text) == (m, f"row {m:,} edited: {before.schema.names[-1]}")
    elif op == "delete":  # any of equal neighbours is the row deleted
        end = " (cut off at the end)" if row == n - 1 else ""  # a table of two rows: its second is its last
        assert text == f"row {row:,} of the signed table deleted{end}" and rows[row] == rows[m], text
    elif op == "insert":
        assert text == f"row {row:,} inserted" and after.slice(row, 1).to_pylist() == [rows[m]], text
    elif op == "reorder":
        k = _swapped(rows)
        assert (row, text) == (k, f"rows {k:,}-{k + 1:,} reordered (the same rows in another order)")
    else:
        assert (row, text) == (n - 1, f"row {n - 1:,} of the signed table deleted (cut off at the end)")


def test_damaged_field_digests_fall_back_to_the_block(signed: tuple[Path, Path], tmp_path: Path, signed_copy: Path) -> None:
    """The digests only locate a change: rewritten digests are not trusted, and the block is still named."""
    run = signed_copy
    path = run / "records" / "provisions.parquet"
    _edit_provision(run)  # row 5,000's code: the dictionaries, and so the other blocks' bytes, unchanged
    np.save(run / "digests" / "provisions.npy", field_digests(pq.read_table(path)))  # the attacker's digests
    found = [f for f in _c09(audit(run, signed[1] / "public")) if f["table"] == "provisions"]
    blocks = [f for f in found if "missing or damaged" in f["problem"]]
    assert len(blocks) == 1 and blocks[0]["record"] == 4096  # the block of the row edited
    assert [f for f in found if f not in blocks and "differs from the center's log record" not in f["problem"]] == []

"""Signed, witnessed heads (issue 12, item 1): a run signed with keys kept outside its folder
(`jukinet keys`, `jukinet run --sign`) audits clean against the trusted public keys; an attacker who can
write the run folder but holds no key cannot rewrite a record, the chain and the head unnoticed, nor
re-sign, nor drop witnesses, nor bring the heads of another run.  Without --trust the audit says it can
only check the folder's internal consistency."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from model.audit.checks import UNTRUSTED, audit
from model.audit.rowdigest import field_digests
from model.audit.trust import QUORUM, load_private, sign, write_keys
from model.config.scenario import load
from model.core.errors import UserError
from model.report.run import execute
from model.sim.hashchain import chain

DESIGN = Path(__file__).resolve().parent.parent / "scenarios" / "fy2006_as_designed.toml"
HEADS = "signed and witnessed heads match the folder"


def _copy(signed: tuple[Path, Path], tmp: Path) -> Path:
    run = tmp / "run"
    shutil.copytree(signed[0], run)
    return run


def _c09(res: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in res["findings"] if f["constraint"] == "C09"]


def test_a_signed_run_audits_clean_against_its_keys_and_says_what_untrusted_means(signed: tuple[Path, Path]) -> None:
    run, keys = signed
    res = audit(run, keys / "public")
    assert res["clean"] and res["counts"][HEADS] == 0, res["findings"]
    assert f"{QUORUM} of 47 witnesses" in res["trust"]
    plain = audit(run)
    assert plain["clean"] and plain["trust"] == UNTRUSTED and HEADS not in plain["counts"]
    proc = subprocess.run([sys.executable, "-m", "model.cli.main", "audit", str(run)], capture_output=True, text=True)
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
        ("heads re-signed without the keys", "the center's signature does not verify"),
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
def test_a_rewrite_without_the_keys_is_named(name: str, says: str, signed: tuple[Path, Path], tmp_path: Path) -> None:
    run = _copy(signed, tmp_path)
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


def test_the_unsigned_audit_misses_what_the_keys_catch(signed: tuple[Path, Path], tmp_path: Path) -> None:
    """The attack of the issue: a provision edited and the center's log record of it edited alike, the chain and
    head rewritten (a coherent rewrite: issue 30's cross-table checks name a provision edited alone): the audit
    without keys finds the folder consistent; with the keys it names both."""
    run = _copy(signed, tmp_path)
    _rewrite_log(run, _edit_provision(run))
    assert not _c09(audit(run))
    found = _c09(audit(run, signed[1] / "public"))
    assert {f["table"] for f in found} >= {"access_log", "provisions"}


def test_bad_keys_are_one_line(signed: tuple[Path, Path], tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "model.cli.main", "audit", str(signed[0]), "--trust", str(tmp_path)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "center.pub: missing" in proc.stderr
    keys = tmp_path / "k"
    proc = subprocess.run([sys.executable, "-m", "model.cli.main", "keys", "--out", str(keys)], capture_output=True, text=True)
    assert proc.returncode == 0 and len(list((keys / "public").glob("*.pub"))) == 48
    again = subprocess.run([sys.executable, "-m", "model.cli.main", "keys", "--out", str(keys)], capture_output=True, text=True)
    assert again.returncode == 2 and again.stderr.count("\n") == 1  # an existing key folder is never overwritten silently
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    locked = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"x")
    )
    (keys / "private" / "center.pem").write_bytes(locked)  # issue 30: an encrypted key was a traceback
    with pytest.raises(UserError, match="center.pem: an encrypted key; allowed"):
        load_private(keys)


def _disclosure(run: Path, tmp: Path) -> Path:
    t = pq.read_table(run / "records" / "provisions.parquet", columns=["code", "allowed"])
    codes = [c for c, ok in zip(t.column("code").to_pylist(), t.column("allowed").to_pylist(), strict=True) if ok]
    code = max(set(codes), key=codes.count)  # the resident with the most provisions
    proc = subprocess.run(
        [sys.executable, "-m", "model.cli.main", "disclose", str(run), "--code", f"{code:011d}", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    out = tmp / "disclosure.json"
    out.write_text(proc.stdout)
    return out


def _verify(path: Path, keys: Path) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "model.cli.main", "verify-disclosure", str(path), "--trust", str(keys / "public")]
    return subprocess.run(cmd, capture_output=True, text=True)


def test_a_disclosure_verifies_alone_and_fails_with_a_provision_removed(signed: tuple[Path, Path], tmp_path: Path) -> None:
    """Issue 12, item 3: the disclosure carries each of the holder's codes' audit path to the signed disclosure
    index; `jukinet verify-disclosure` checks it with only the public keys; a provision removed, added or
    changed, or other keys' signatures, fail."""
    run, keys = signed
    path = _disclosure(run, tmp_path)
    alone = tmp_path / "elsewhere" / "d.json"
    alone.parent.mkdir()
    alone.write_text(path.read_text())  # no run folder beside it
    ok = _verify(alone, keys)
    assert ok.returncode == 0 and ok.stdout.startswith("verified: "), ok.stdout + ok.stderr
    d = json.loads(path.read_text())
    assert len(d["provisions"]) >= 2

    def variant(change: Callable[[dict[str, Any]], None]) -> Path:
        x = json.loads(path.read_text())
        change(x)
        p = tmp_path / f"v{len(list(tmp_path.glob('v*.json')))}.json"
        p.write_text(json.dumps(x))
        return p

    removed = variant(lambda x: x["provisions"].pop(0))
    changed = variant(lambda x: x["provisions"][0]["record"].update(requester="npa"))
    added = variant(lambda x: x["provisions"].append(json.loads(json.dumps(x["provisions"][0]))))
    for p in (removed, changed, added):
        bad = _verify(p, keys)
        assert bad.returncode == 1 and "differ from the signed index" in bad.stdout, bad.stdout
    other = tmp_path / "other-keys"
    other.mkdir()
    write_keys(other)
    resigned = variant(lambda x: x["proof"].update(signed=sign([x["proof"]["signed"]["statement"]], load_private(other))[0]))
    bad = _verify(resigned, keys)
    assert bad.returncode == 1 and "the center's signature does not verify" in bad.stdout
    # issue 30: the proof must cover the code the disclosure names, and every code it lists, each once
    everything = variant(lambda x: (x["provisions"].clear(), x["proof"]["codes"].clear()))
    relabelled = variant(lambda x: x.update(code=f"{(int(x['code']) + 11) % 10**11:011d}"))
    dropped = variant(lambda x: x["codes"].append(f"{(int(x['code']) + 11) % 10**11:011d}"))
    doubled = variant(lambda x: x["proof"]["codes"].append(x["proof"]["codes"][0]))
    for p in (everything, relabelled, dropped, doubled):
        bad = _verify(p, keys)
        assert bad.returncode == 1 and "the proof covers code(s)" in bad.stdout and "verified" not in bad.stdout, bad.stdout


def test_a_disclosure_cannot_leave_out_an_old_code(signed: tuple[Path, Path], tmp_path: Path) -> None:
    """Issue 30: each leaf of the signed index binds every code its holder had (model/audit/history.py), so a
    disclosure of a holder who changed code verifies with all of them and fails with the old one left out,
    with its provisions and its proof entry (before, that forgery verified)."""
    run, keys = signed
    changes = pq.read_table(run / "records" / "code_changes.parquet").to_pylist()
    assert changes, "the signed run has a code change"
    old, new = changes[0]["old"], changes[0]["new"]
    cmd = [sys.executable, "-m", "model.cli.main", "disclose", str(run), "--code", f"{new:011d}", "--json"]
    whole = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
    assert f"{old:011d}" in whole["codes"]
    path = tmp_path / "whole.json"
    path.write_text(json.dumps(whole))
    assert _verify(path, keys).returncode == 0
    whole["codes"].remove(f"{old:011d}")
    whole["proof"]["codes"] = [e for e in whole["proof"]["codes"] if e["code"] != f"{old:011d}"]
    whole["provisions"] = [p for p in whole["provisions"] if p["record"]["code"] != old]
    path.write_text(json.dumps(whole))
    bad = _verify(path, keys)
    assert bad.returncode == 1 and "differ from the signed index" in bad.stdout, bad.stdout


def test_disclose_refuses_a_run_folder_without_its_code_changes(signed: tuple[Path, Path], tmp_path: Path) -> None:
    """Issue 30: without records/code_changes.parquet the provisions under a holder's old codes would be left out
    silently; `jukinet disclose` says which file is missing, exit 2."""
    run = _copy(signed, tmp_path)
    (run / "records" / "code_changes.parquet").unlink()
    code = pq.read_table(run / "records" / "residents.parquet", columns=["code"]).column("code")[0].as_py()
    cmd = [sys.executable, "-m", "model.cli.main", "disclose", str(run), "--code", f"{code:011d}"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 2 and "records/code_changes.parquet: missing" in r.stderr and "Traceback" not in r.stderr


def test_a_damaged_disclosure_index_is_a_finding_and_a_clear_error(signed: tuple[Path, Path], tmp_path: Path) -> None:
    """The index a signed run keeps beside its records (index/): its root must be the signed one (C12); a
    missing file is a finding of the trusted audit and, for `jukinet disclose`, one line and exit 2."""
    run = _copy(signed, tmp_path)
    name = "upper.npy" if len(np.load(run / "index" / "upper.npy")) else "leaves.npy"  # the levels the audit reads
    nodes = np.load(run / "index" / name)
    nodes[-1, 0] ^= 1
    np.save(run / "index" / name, nodes)
    res = audit(run, signed[1] / "public")
    assert [f["problem"] for f in res["findings"] if f["constraint"] == "C12" and f["table"] == "index"] == [
        "the disclosure index: index/ leads to another root than the signed disclosure index's"
    ], res["findings"]
    (run / "index" / "codes.npy").unlink()
    res = audit(run, signed[1] / "public")
    assert any("index/ is missing or damaged" in f["problem"] for f in res["findings"]), res["findings"]
    t = pq.read_table(run / "records" / "residents.parquet", columns=["code"])
    cmd = [
        sys.executable,
        "-m",
        "model.cli.main",
        "disclose",
        str(run),
        "--code",
        f"{t.column('code')[0].as_py():011d}",
        "--json",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "index/" in proc.stderr, proc.stderr


def test_an_unsigned_run_gives_no_proof(signed: tuple[Path, Path], tmp_path: Path) -> None:
    run = _copy(signed, tmp_path)
    (run / "heads.json").unlink()
    path = _disclosure(run, tmp_path)
    assert json.loads(path.read_text())["proof"] is None
    bad = _verify(path, signed[1])
    assert bad.returncode == 1 and "no proof" in bad.stdout


def test_signing_a_run_too_big_for_this_machine_is_refused_before_it_starts(
    signed: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Signing reads every table back once the simulation is freed (about 140 bytes per event, measured at
    scale 0.1): a machine with room for the full-scale simulation (18.3 GB) but not for signing it is refused
    with one line naming --sign, before anything is written or simulated."""
    import model.config.estimate as estimate_mod
    import model.report.run as run_mod

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
    table: str, op: str, signed: tuple[Path, Path], tmp_path: Path
) -> None:
    """Detected, and named to the row (and, for an edit, the field) from the signed field digests."""
    run = _copy(signed, tmp_path)
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


def test_damaged_field_digests_fall_back_to_the_block(signed: tuple[Path, Path], tmp_path: Path) -> None:
    """The digests only locate a change: rewritten digests are not trusted, and the block is still named."""
    run = _copy(signed, tmp_path)
    path = run / "records" / "provisions.parquet"
    _edit_provision(run)  # row 5,000's code: the dictionaries, and so the other blocks' bytes, unchanged
    np.save(run / "digests" / "provisions.npy", field_digests(pq.read_table(path)))  # the attacker's digests
    found = [f for f in _c09(audit(run, signed[1] / "public")) if f["table"] == "provisions"]
    blocks = [f for f in found if "missing or damaged" in f["problem"]]
    assert len(blocks) == 1 and blocks[0]["record"] == 4096  # the block of the row edited
    assert [f for f in found if f not in blocks and "differs from the center's log record" not in f["problem"]] == []


@pytest.mark.parametrize("record", [{"code": [1], "seq": 1}, {"code": "12345678901", "seq": 1}, {"code": 1, "seq": None}, [1]])
def test_a_disclosure_with_a_malformed_record_is_a_finding_not_a_crash(record: Any) -> None:
    """Issue 30: a record whose code is not an integer (digits as text, a list) or whose seq is null is named."""
    from model.audit.disclose import verify

    stmt = {"disclosure_index": {"codes": 1, "root": "00" * 32}, "kind": "final"}
    d = {"code": "12345678901", "codes": ["12345678901"], "provisions": [{"record": record}]}
    d["proof"] = {"signed": {"statement": stmt}, "index_size": 1, "codes": []}
    assert verify(d, {}) == ["provisions[0].record: not a provision record (integer code and seq, as jukinet disclose writes)"]

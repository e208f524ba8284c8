"""A resident's disclosure and its proof of completeness (issue 12, item 3; issue 30, item 1): `jukinet disclose
RUN --code CODE --json` of a signed run carries each of the holder's codes' audit path to the signed disclosure
index, and `jukinet verify-disclosure FILE --trust KEYS/public` checks it alone; a provision or an old code left
out, added or changed, an identity changed, a proof that does not cover the disclosure's codes, or a malformed
record fails."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest

from jukinet.model.audit.checks import audit
from jukinet.model.audit.trust import load_private, sign, write_keys


def _disclosure(run: Path, tmp: Path) -> Path:
    t = pq.read_table(run / "records" / "provisions.parquet", columns=["code", "allowed"])
    codes = [c for c, ok in zip(t.column("code").to_pylist(), t.column("allowed").to_pylist(), strict=True) if ok]
    code = max(set(codes), key=codes.count)  # the resident with the most provisions
    proc = subprocess.run(
        [sys.executable, "-m", "jukinet", "disclose", str(run), "--code", f"{code:011d}", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    out = tmp / "disclosure.json"
    out.write_text(proc.stdout)
    return out


def _verify(path: Path, keys: Path) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "jukinet", "verify-disclosure", str(path), "--trust", str(keys / "public")]
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
    # issue 30: the identity shown is bound too: each code's leaf binds the residents row that holds it
    sex = {"male": "female", "female": "male"}

    def other_sex(x: dict[str, Any]) -> None:  # the row and what it shows changed together: the leaf differs
        x["identity"]["record"]["sex"] = 3 - x["identity"]["record"]["sex"]
        x["identity"]["sex"] = sex[x["identity"]["sex"]]

    shown = variant(lambda x: x["identity"].update(sex=sex[x["identity"]["sex"]]))  # shown, not its row
    rewritten = variant(other_sex)
    moved = variant(lambda x: x["identity"]["record"].update(name_version=x["identity"]["record"]["name_version"] + 1))
    stripped = variant(lambda x: x["identity"].pop("record"))
    says = {
        shown: "the identity shown is not the one its record holds",
        rewritten: "differ from the signed index",
        moved: "the identity shown is not the one its record holds",
        stripped: "identity.record: not the holder's residents row",
    }
    for p, why in says.items():
        bad = _verify(p, keys)
        assert bad.returncode == 1 and why in bad.stdout and "verified" not in bad.stdout, (why, bad.stdout)


def test_a_disclosure_cannot_leave_out_an_old_code(signed: tuple[Path, Path], tmp_path: Path) -> None:
    """Issue 30: each leaf of the signed index binds every code its holder had (model/audit/history.py), so a
    disclosure of a holder who changed code verifies with all of them and fails with the old one left out,
    with its provisions and its proof entry (before, that forgery verified)."""
    run, keys = signed
    changes = pq.read_table(run / "records" / "code_changes.parquet").to_pylist()
    assert changes, "the signed run has a code change"
    old, new = changes[0]["old"], changes[0]["new"]
    cmd = [sys.executable, "-m", "jukinet", "disclose", str(run), "--code", f"{new:011d}", "--json"]
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


def test_disclose_refuses_a_run_folder_without_its_code_changes(
    signed: tuple[Path, Path], tmp_path: Path, signed_copy: Path
) -> None:
    """Issue 30: without records/code_changes.parquet the provisions under a holder's old codes would be left out
    silently; `jukinet disclose` says which file is missing, exit 2."""
    run = signed_copy
    (run / "records" / "code_changes.parquet").unlink()
    code = pq.read_table(run / "records" / "residents.parquet", columns=["code"]).column("code")[0].as_py()
    cmd = [sys.executable, "-m", "jukinet", "disclose", str(run), "--code", f"{code:011d}"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 2 and "records/code_changes.parquet: missing" in r.stderr and "Traceback" not in r.stderr


def test_a_damaged_disclosure_index_is_a_finding_and_a_clear_error(
    signed: tuple[Path, Path], tmp_path: Path, signed_copy: Path
) -> None:
    """The index a signed run keeps beside its records (index/): its root must be the signed one (C12); a
    missing file is a finding of the trusted audit and, for `jukinet disclose`, one line and exit 2."""
    run = signed_copy
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
        "jukinet.model.cli.main",
        "disclose",
        str(run),
        "--code",
        f"{t.column('code')[0].as_py():011d}",
        "--json",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "index/" in proc.stderr, proc.stderr


def test_an_unsigned_run_gives_no_proof(signed: tuple[Path, Path], tmp_path: Path, signed_copy: Path) -> None:
    run = signed_copy
    (run / "heads.json").unlink()
    marker = json.loads((run / ".jukinet").read_text())  # as a run written unsigned lists its files
    marker["files"] = [f for f in marker["files"] if f != "heads.json"]
    (run / ".jukinet").write_text(json.dumps(marker))
    path = _disclosure(run, tmp_path)
    assert json.loads(path.read_text())["proof"] is None
    bad = _verify(path, signed[1])
    assert bad.returncode == 1 and "no proof" in bad.stdout


@pytest.mark.parametrize("record", [{"code": [1], "seq": 1}, {"code": "12345678901", "seq": 1}, {"code": 1, "seq": None}, [1]])
def test_a_disclosure_with_a_malformed_record_is_a_finding_not_a_crash(record: Any) -> None:
    """Issue 30: a record whose code is not an integer (digits as text, a list) or whose seq is null is named."""
    from jukinet.model.audit.disclose import verify

    stmt = {"disclosure_index": {"codes": 1, "root": "00" * 32}, "kind": "final"}
    d = {"code": "12345678901", "codes": ["12345678901"], "provisions": [{"record": record}]}
    d["proof"] = {"signed": {"statement": stmt}, "index_size": 1, "codes": []}
    assert verify(d, {}) == ["provisions[0].record: not a provision record (integer code and seq, as jukinet disclose writes)"]


def _set(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(d: dict[str, Any]) -> None:
        for k in path[:-1]:
            d = d[k]
        d[path[-1]] = value

    return change


TYPE_FORGERIES = {  # the hostile probes of issue 30: each was a traceback or, worse, "verified"
    "the index statement null": _set(("proof", "signed", "statement", "disclosure_index"), None),
    "the proof's code an integer": lambda d: d["proof"]["codes"][0].update(code=int(d["proof"]["codes"][0]["code"])),
    "the index size infinite": _set(("proof", "index_size"), float("inf")),
    "the index size a float": lambda d: d["proof"].update(index_size=float(d["proof"]["index_size"])),
    "the index size a string": lambda d: d["proof"].update(index_size=str(d["proof"]["index_size"])),
    "the codes integers": lambda d: d.update(codes=[int(c) for c in d["codes"]]),
    "the code with a space": lambda d: d.update(code=" " + d["code"][1:]),
    "the code with a twelfth digit": lambda d: d.update(code="0" + d["code"]),
}


def test_a_disclosure_of_other_types_fails_in_one_line(signed: tuple[Path, Path], tmp_path: Path) -> None:
    """Issue 30: verify-disclosure reads exactly the types disclose writes (codes as 11-digit strings, integers as
    integers); another type is a failure named in one line, never a traceback and never "verified"."""
    from jukinet.model.audit.disclose import verify
    from jukinet.model.audit.trust import load_public

    run, keys = signed
    good = json.loads(_disclosure(run, tmp_path).read_text())
    public = load_public(keys / "public")
    assert verify(good, public) == []
    for name, change in TYPE_FORGERIES.items():
        d = json.loads(json.dumps(good))
        change(d)
        problems = verify(d, public)
        assert problems and all("\n" not in p for p in problems), name

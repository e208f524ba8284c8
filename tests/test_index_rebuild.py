"""`jukinet audit RUN --trust KEYS --index` (issue 12, item 3; C12): the disclosure index rebuilt from the
records and checked against index/ and the signed index.  The trusted audit alone checks that index/ leads to
the signed root; only rebuilding it shows that the signed index is the one the provisions make, so that a
resident's proof of completeness lists every provision made under their code."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest

import jukinet.model.config.estimate as estimate_mod
from jukinet.model.audit.checks import audit
from jukinet.model.audit.index import IndexBuilder, check_rebuild
from jukinet.model.audit.trust import load_private, sign
from jukinet.model.core.errors import UserError

HEADS = "signed and witnessed heads match the folder"


def _copy(signed: tuple[Path, Path], tmp: Path) -> Path:
    shutil.copytree(signed[0], tmp / "run")
    return tmp / "run"


def _index_findings(res: dict[str, Any]) -> list[tuple[int, str]]:
    return [(f["record"], f["problem"]) for f in res["findings"] if f["table"] == "index"]


def _left_out(run: Path) -> int:
    """The index rebuilt without one provision made, and signed by the center and the witnesses as the run's:
    the code of the resident left out."""
    records = run / "records"
    prov = pq.read_table(records / "provisions.parquet")
    made = np.flatnonzero(prov.column("allowed").to_numpy(zero_copy_only=False))
    i = int(made[len(made) // 2])
    built = IndexBuilder()
    for b in pq.read_table(records / "residents.parquet").to_batches():  # each code's leaf binds its row
        built.residents(b)
    changes = pq.read_table(records / "code_changes.parquet")
    built.changed(changes.column("old").to_numpy(), changes.column("new").to_numpy())
    for part in (prov.slice(0, i), prov.slice(i + 1)):
        for b in part.to_batches():
            built.provisions(b)
    shutil.rmtree(run / "index")
    n, root = built.finish(run / "index")
    heads = json.loads((run / "heads.json").read_text())
    stmts = [e["statement"] for e in heads["signed"]]
    stmts[-1]["disclosure_index"] = {"codes": n, "root": root.hex()}
    heads["signed"] = sign(stmts, load_private(run.parent.parent / "keys"))
    (run / "heads.json").write_text(json.dumps(heads))
    return int(prov.column("code")[i].as_py())


def test_a_signed_run_rebuilds_to_its_signed_index(signed: tuple[Path, Path]) -> None:
    res = audit(signed[0], signed[1] / "public", index=True)
    assert res["clean"] and res["counts"][HEADS] == 0, res["findings"]


def test_an_index_signed_without_a_provision_is_named_only_by_the_rebuild(signed: tuple[Path, Path], tmp_path: Path) -> None:
    """The center builds its index without one provision and signs it: index/ leads to the signed root, so the
    trusted audit finds nothing; rebuilt from the provisions, the index names the resident left out."""
    keys = tmp_path / "keys"
    shutil.copytree(signed[1], keys)
    run = _copy(signed, tmp_path / "runs")
    code = _left_out(run)
    assert _index_findings(audit(run, keys / "public")) == []
    assert _index_findings(audit(run, keys / "public", index=True)) == [
        (
            code,
            f"rebuilt disclosure index: code {code:011d}: its leaf in index/ is not what its provisions make "
            "(one left out, added or changed)",
        ),
        (
            -1,
            "rebuilt disclosure index: the index the records make "
            f"({int(json.loads((run / 'heads.json').read_text())['signed'][-1]['statement']['disclosure_index']['codes']):,} "
            "codes) is not the signed one",
        ),
    ]


def test_a_leaf_changed_in_the_folders_index_is_named(signed: tuple[Path, Path], tmp_path: Path) -> None:
    run = _copy(signed, tmp_path)
    codes, leaves = np.load(run / "index" / "codes.npy"), np.load(run / "index" / "leaves.npy")
    leaves[7, 0] ^= 1
    np.save(run / "index" / "leaves.npy", leaves)
    found = _index_findings(audit(run, signed[1] / "public", index=True))
    assert (
        int(codes[7]),
        f"rebuilt disclosure index: code {int(codes[7]):011d}: its leaf in index/ is not what its "
        "provisions make (one left out, added or changed)",
    ) in found, found
    data = (run / "index" / "leaves.npy").read_bytes()
    (run / "index" / "leaves.npy").write_bytes(data[:-100])  # cut off, its header unchanged
    found = _index_findings(audit(run, signed[1] / "public", index=True))
    assert (-1, "rebuilt disclosure index: index/ ends before the size its files state (cut off)") in found, found
    (run / "index" / "leaves.npy").unlink()
    found = _index_findings(audit(run, signed[1] / "public", index=True))  # rebuilt, it is still the signed one
    assert len(found) == 1 and "index/ is missing or damaged" in found[0][1], found


def test_index_needs_trust_and_says_what_it_costs(
    signed: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    trust = ["--trust", str(signed[1] / "public")]
    proc = subprocess.run(
        [sys.executable, "-m", "jukinet", "audit", str(tmp_path), "--index", *trust], capture_output=True, text=True
    )
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "not a run folder" in proc.stderr, proc.stderr
    cmd = [sys.executable, "-m", "jukinet", "audit", str(signed[0]), "--index"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "--index: --trust: missing" in proc.stderr, proc.stderr
    proc = subprocess.run([*cmd, *trust], capture_output=True, text=True)
    assert proc.returncode == 0 and "--index rebuilds the disclosure index from" in proc.stderr, proc.stderr
    monkeypatch.setattr(estimate_mod, "available_memory", lambda: 1e6)
    with pytest.raises(UserError) as err:
        check_rebuild(signed[0])
    assert err.value.source == "--index" and str(err.value).endswith("allowed: the audit without --index"), err.value


def test_a_long_audit_says_how_it_goes(signed: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """An audit of a log of 2 million records or more (minutes at full scale) says first what it will read and
    about how long it takes, then each step with the seconds elapsed; a short one says nothing."""
    import jukinet.model.audit.folder as folder_mod

    said: list[str] = []
    audit(signed[0], signed[1] / "public", announce=said.append)
    assert said == []
    monkeypatch.setattr(folder_mod, "TELL_FROM", 1)
    audit(signed[0], signed[1] / "public", index=True, announce=said.append)
    assert said[0].startswith("auditing ") and said[0].endswith(" with the keys"), said
    assert said[1].startswith("--index rebuilds the disclosure index from "), said
    steps = [x.split("] ", 1)[1] for x in said[2:]]
    assert [x.split(" ")[1] for x in steps] == ["log's", "provisions", "table", "chain"], steps
    assert steps[-1].endswith("rebuilding the index") and all(x.startswith("[") for x in said[2:])

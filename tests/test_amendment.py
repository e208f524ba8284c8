"""An amendment in force on a date (issue 11, item 1; C02, Art. 30-7 and the annex tables): the run provides
for a new annex row only from its date, prove and diff read each configuration, and the audit judges each
provision by the rows in force on its day."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from jukinet.model.audit.checks import audit
from jukinet.model.audit.trust import write_keys
from jukinet.model.config.scenario import TIMELINE_FILE, load
from jukinet.model.core.errors import UserError
from jukinet.model.report.run import execute
from jukinet.model.world.calendar import DAY

AMENDMENT = Path(__file__).resolve().parent.parent / "scenarios" / "amendment_midyear.toml"
MERGERS = [str(c.date) for c, _ in load(None).timeline if "network.merged" in c.keys]  # the year's merger dates
IN_FORCE = 183 * DAY  # 2006-10-01, days after 2006-04-01
PROVISION_CHECKS = (
    "every provision logged",
    "provisions only to annex bodies for listed affairs",
    "operators authenticated",
    "lookups by allowed keys",
    "every provision authorised by the policy",
)


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("keys")
    write_keys(folder)
    return folder


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, keys: Path) -> Path:
    out = tmp_path_factory.mktemp("amendment") / "run"
    execute(load(AMENDMENT), 0.001, 2, out, sign=keys)
    return out


def _new_row(run: Path) -> tuple[np.ndarray, np.ndarray]:
    """The provisions made under the new row: its affair, not the random operator errors the center refuses
    (purpose "erroneous": any body may name any affair by mistake)."""
    t = pq.read_table(run / "records" / "provisions.parquet", columns=["time", "affair", "requester", "allowed", "purpose"])
    purpose = np.array(t.column("purpose").cast("string").to_pylist(), dtype=object)
    rows = (np.array(t.column("affair").cast("string").to_pylist(), dtype=object) == "A1-990") & (purpose != "erroneous")
    assert set(t.column("requester").cast("string").filter(rows).to_pylist()) <= {"mofa"}
    return t.column("time").to_numpy()[rows], t.column("allowed").to_numpy(zero_copy_only=False)[rows]


def test_the_new_row_is_provided_for_from_its_date_and_the_audit_finds_it_lawful(run: Path, keys: Path) -> None:
    times, allowed = _new_row(run)
    assert len(times) > 0 and times.min() >= IN_FORCE and allowed.all()
    summary = json.loads((run / "summary.json").read_text())
    raw = (run / TIMELINE_FILE).read_bytes()
    assert summary["timeline_sha256"] == hashlib.sha256(raw).hexdigest()
    assert [e["date"] for e in json.loads(raw)] == sorted({"2006-09-01", "2006-10-01", *MERGERS})
    res = audit(run, keys / "public")
    assert all(res["counts"][c] == 0 for c in PROVISION_CHECKS), res["findings"]
    assert res["counts"]["signed and witnessed heads match the folder"] == 0, res["findings"]


def test_the_audit_judges_by_the_rows_in_force_that_day(run: Path, keys: Path, tmp_path: Path) -> None:
    """Mutant: the folder's timeline says the amendment came three months later (re-hashed into summary.json,
    as an insider could): the provisions made under it before then are named, under C02."""
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    entries = json.loads((copy / TIMELINE_FILE).read_bytes())
    for e in entries:  # the row not yet in force in the configurations of 2006-10-01 .. 2006-12-31
        if "2006-10-01" <= e["date"] < "2007-01-01":
            e["config"]["statute"]["annex"] = [r for r in e["config"]["statute"]["annex"] if r["id"] != "A1-990"]
    raw = json.dumps(entries).encode()
    (copy / TIMELINE_FILE).write_bytes(raw)
    summary = json.loads((copy / "summary.json").read_text())
    summary["timeline_sha256"] = hashlib.sha256(raw).hexdigest()
    (copy / "summary.json").write_text(json.dumps(summary))
    times, _ = _new_row(copy)
    early = int((times < (183 + 92) * DAY).sum())
    res = audit(copy)
    assert early > 0 and res["counts"]["provisions only to annex bodies for listed affairs"] == early
    named = [f for f in res["findings"] if f["constraint"] == "C02" and "A1-990" in f["problem"]]
    assert named and all("mofa received identity information for A1-990, not listed" in f["problem"] for f in named[:1])
    signed = [f for f in audit(copy, keys / "public")["findings"] if f["table"] == TIMELINE_FILE]  # the keys catch the rewrite
    assert [f["problem"] for f in signed] == ["differs from the signed timeline hash (or one is missing)"]


def test_a_timeline_the_summary_does_not_name_is_damage(run: Path, tmp_path: Path) -> None:
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    (copy / TIMELINE_FILE).write_bytes((copy / TIMELINE_FILE).read_bytes().replace(b"2006-10-01", b"2006-10-02"))
    res = audit(copy)
    assert [f["table"] for f in res["findings"] if f["table"] == TIMELINE_FILE] == [TIMELINE_FILE]
    assert "does not match the timeline hash" in next(f["problem"] for f in res["findings"] if f["table"] == TIMELINE_FILE)


def test_an_amendment_may_not_change_the_bodies_registered(scenario_file: Callable[[str], Path]) -> None:
    """A body's links and operators exist from the year's first day: deleting mofa's only row on a date is
    refused with one line naming the entry and the body."""
    path = scenario_file(
        f'[scenario]\nname = "t"\nextends = "{AMENDMENT.parent / "fy2006_as_designed.toml"}"\n'
        '[[timeline]]\ndate = 2006-05-01\nwhat = "row 41 deleted"\nsource = "[ASSUMPTION] test"\n'
        '[[timeline.statute.annex]]\nid = "A1-41"\nremove = true\n'
    )
    with pytest.raises(UserError, match=r"timeline\[2006-05-01\]\.statute\.annex: changes the bodies registered \(-mofa\)"):
        load(path)


def test_prove_and_diff_read_each_configuration() -> None:
    """prove proves C02 in the amendment's configuration (the new row's body and affair listed); diff between
    the days before and after names the new permission."""
    from jukinet.proofs.catalogue import prove

    sc = load(AMENDMENT)
    assert [ch.date.isoformat() for _, _, _, ch in sc.periods() if ch is not None] == sorted(
        {"2006-09-01", "2006-10-01", *MERGERS}
    )
    (oct1,) = [ch for _, _, _, ch in sc.periods() if ch is not None and ch.date.isoformat() == "2006-10-01"]
    assert "annex 1 row 990" in oct1.what and "高崎市" in oct1.what  # joined with that day's mergers
    assert {"statute.annex", "network.merged"} <= set(oct1.keys)
    last = sc.periods()[-1][2]
    assert ("mofa", "A1-990") in last.config.statute.listed and ("mofa", "A1-990") not in sc.config.statute.listed
    assert {r.verdict for r in prove(last, only=("C02",))} == {"PROVED", "CHECKED"}  # C02's queries and its network fact
    cmd = [sys.executable, "-m", "jukinet", "diff", str(AMENDMENT), "--from", "2006-09-30", "--to", "2006-10-01"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "registered    mofa: A1-990" in proc.stdout
    forbids = proc.stdout.split("newly forbids:")[1].splitlines()[1:]  # only what the day's mergers took away
    assert forbids and all("cs:103217" in x or "cs:405426" in x for x in forbids), forbids


def test_a_new_card_type_from_a_date(scenario_file: Callable[[str], Path], tmp_path: Path) -> None:
    """`cards.signature_algorithm` on a date (issue 11, item 1): cards issued from then make keys of the new type,
    cards issued before keep theirs, and the certification body verifies both (each by its own key type); the
    run's time estimate weighs the key types by their days."""
    from jukinet.model.config.estimate import estimate

    path = scenario_file(
        f'[scenario]\nname = "card_type"\nextends = "{AMENDMENT.parent / "fy2006_baseline.toml"}"\n'
        '[[timeline]]\ndate = 2006-07-01\nwhat = "a new card type"\nsource = "[ASSUMPTION] test"\n'
        'cards.signature_algorithm = "ecdsa-p256"\n'
    )
    sc = load(path)
    execute(sc, 0.001, 1, tmp_path / "run", proofs=None)
    cards = pq.read_table(tmp_path / "run" / "records" / "cards.parquet").to_pylist()
    issued = {r["code"]: r["time"] for r in cards if r["event"] == "issue"}
    certs = [(r["detail"], issued.get(r["code"], -1.0)) for r in cards if r["event"] == "jpki_issue"]
    day = 91 * DAY  # 2006-07-01
    assert {d for d, at in certs if at >= day} == {"certificate issued (ecdsa-p256)"}
    assert {d for d, at in certs if at < day} == {"certificate issued (rsa-1024)"}
    verified = [r["detail"] for r in cards if r["event"] in ("verify_ok", "verify_fail")]
    assert verified.count("valid") > 0 and "signature does not verify" not in verified  # both types verify
    assert estimate(sc, 1.0).seconds < estimate(load(AMENDMENT.parent / "fy2006_baseline.toml"), 1.0).seconds

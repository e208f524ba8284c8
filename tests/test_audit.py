"""The log audit of a run (C09 chain, C08, C02 ...): clean on a clean run; names the record on
every kind of tampering with the access log."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from jukinet.model.audit.checks import audit
from jukinet.model.config.scenario import load
from jukinet.model.report.run import execute


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("audit") / "run"
    execute(load(Path(__file__).resolve().parent.parent / "scenarios" / "fy2006_as_designed.toml"), 0.0005, 5, out)
    return out


def _tampered(clean: Path, tmp: Path, change: Callable[[pa.Table], pa.Table], table: str = "access_log") -> Path:
    run = tmp / "run"
    shutil.copytree(clean, run)
    path = run / "records" / f"{table}.parquet"
    pq.write_table(change(pq.read_table(path)), path)
    return run


def _chain_findings(run: Path) -> list[dict[str, object]]:
    return [f for f in audit(run)["findings"] if f["table"] == "access_log" and f["constraint"] == "C09"]


def test_clean_run_audits_clean(clean_run: Path) -> None:
    res = audit(clean_run)
    assert res["clean"], res["findings"]
    proc = subprocess.run([sys.executable, "-m", "jukinet", "audit", str(clean_run)], capture_output=True, text=True)
    assert proc.returncode == 0 and "clean: every check passed" in proc.stdout


def test_the_year_as_it_ran_audits_with_its_c16_breaches_named(tmp_path: Path) -> None:
    """The embedded defaults (FY2006 as it ran): the audit names every change Kunitachi and Yamatsuri never
    sent and every one Yokohama withheld, as C16 (Art. 30-5, 30-11) findings, and nothing else; exit 1."""
    out = tmp_path / "run"
    s = execute(load(None), 0.0005, 5, out)
    res = audit(out)
    findings = res["findings"]  # at most 20 listed per check; the counts are whole
    assert findings and {f["constraint"] for f in findings} == {"C16"}
    held = [f for f in findings if f["problem"] == "cs:141003 withheld a change from notification"]
    never = [f for f in findings if f["problem"] == "never stored at the center"]
    assert held and len(held) + len(never) == len(findings)
    counts = {k: v for k, v in res["counts"].items() if v}
    assert counts == {
        "no resident withheld": s["figures"]["notifications_withheld"]["value"],
        "notifications reached the center": s["figures"]["notifications_not_sent_disconnected"]["value"],
    }
    proc = subprocess.run([sys.executable, "-m", "jukinet", "audit", str(out)], capture_output=True, text=True)
    assert proc.returncode == 1 and "C16" in proc.stdout


def test_edited_record_is_named(clean_run: Path, tmp_path: Path) -> None:
    def edit(t: pa.Table) -> pa.Table:
        codes = t.column("code").to_pylist()
        codes[100] = 12345678903
        return t.set_column(t.schema.get_field_index("code"), "code", pa.array(codes, pa.int64()))

    findings = _chain_findings(_tampered(clean_run, tmp_path, edit))
    assert findings and findings[0]["record"] == 100 and "does not match its hash" in str(findings[0]["problem"])


def test_deleted_record_is_named(clean_run: Path, tmp_path: Path) -> None:
    findings = _chain_findings(_tampered(clean_run, tmp_path, lambda t: pa.concat_tables([t.slice(0, 100), t.slice(101)])))
    assert findings[0]["record"] == 101 and "deleted" in str(findings[0]["problem"])


def test_inserted_record_is_named(clean_run: Path, tmp_path: Path) -> None:
    findings = _chain_findings(
        _tampered(clean_run, tmp_path, lambda t: pa.concat_tables([t.slice(0, 101), t.slice(100, 1), t.slice(101)]))
    )
    assert findings[0]["record"] == 100 and "inserted" in str(findings[0]["problem"])


def test_reordered_records_are_named(clean_run: Path, tmp_path: Path) -> None:
    findings = _chain_findings(
        _tampered(
            clean_run, tmp_path, lambda t: pa.concat_tables([t.slice(0, 100), t.slice(101, 1), t.slice(100, 1), t.slice(102)])
        )
    )
    assert findings[0]["record"] == 101 and "out of order" in str(findings[0]["problem"])


def test_truncated_tail_is_named(clean_run: Path, tmp_path: Path) -> None:
    n = pq.read_table(clean_run / "records" / "access_log.parquet").num_rows
    findings = _chain_findings(_tampered(clean_run, tmp_path, lambda t: t.slice(0, n - 10)))
    assert len(findings) == 1 and findings[0]["record"] == n - 10 and "tail truncated" in str(findings[0]["problem"])


def test_a_provision_edited_or_deleted_is_named_without_keys(clean_run: Path, tmp_path: Path) -> None:
    """Issue 30: the center's log record of each provision states its code, time and decision, so the unsigned
    audit checks both ways: a provision whose code was edited, and a provision row deleted, are named."""

    def edit(t: pa.Table) -> pa.Table:
        codes = t.column("code").to_pylist()
        codes[10] = codes[10] + 11 if codes[10] + 11 < 10**11 else codes[10] - 11
        return t.set_column(t.schema.get_field_index("code"), "code", pa.array(codes, pa.int64()))

    seq = pq.read_table(clean_run / "records" / "provisions.parquet", columns=["seq"]).column("seq").to_pylist()
    edited = [
        f for f in audit(_tampered(clean_run, tmp_path / "e", edit, "provisions"))["findings"] if f["table"] == "provisions"
    ]
    assert [(f["record"], f["constraint"]) for f in edited] == [(seq[10], "C09")], edited
    assert "differs from the center's log record" in str(edited[0]["problem"])
    cut = _tampered(clean_run, tmp_path / "d", lambda t: pa.concat_tables([t.slice(0, 10), t.slice(11)]), "provisions")
    gone = [f for f in audit(cut)["findings"] if f["table"] == "provisions"]
    assert [(f["record"], f["problem"]) for f in gone] == [(seq[10], "the center logged it; the provisions table lacks it")]


def test_audit_of_a_folder_that_is_not_a_run_is_a_clear_error(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "jukinet", "audit", str(tmp_path)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr == f"jukinet: error: {tmp_path}: .jukinet: not a run folder (written by `jukinet run`)\n"


def _flip(path: Path) -> None:
    """Flip bytes in the middle of a file (a data page of a record table)."""
    data = bytearray(path.read_bytes())
    mid = len(data) // 2
    data[mid : mid + 8] = bytes(b ^ 0xFF for b in data[mid : mid + 8])
    path.write_bytes(bytes(data))


def _edit_rule(path: Path) -> None:
    path.write_text(path.read_text(encoding="utf-8").replace('"subject_is_requester"', '"registered"', 1), encoding="utf-8")


def _unlink(rel: str) -> Callable[[Path], None]:
    return lambda run: (run / rel).unlink()


def _flip_at(rel: str) -> Callable[[Path], None]:
    return lambda run: _flip(run / rel)


def _truncate(rel: str) -> Callable[[Path], None]:
    return lambda run: (run / rel).write_bytes((run / rel).read_bytes()[:-300])


def _write(rel: str, data: bytes) -> Callable[[Path], None]:
    return lambda run: (run / rel).write_bytes(data)


def whole_log_rows(run: Path) -> int:
    return pq.ParquetFile(run / "records" / "access_log.parquet").metadata.num_rows


def _rewrite(rel: str, change: Callable[[pa.Table], pa.Table]) -> Callable[[Path], None]:
    return lambda run: pq.write_table(change(pq.read_table(run / rel)), run / rel)


PROV, LOG, RES = "records/provisions.parquet", "records/access_log.parquet", "records/residents.parquet"
NOTES, CARDS, CONF = "records/notifications.parquet", "records/cards.parquet", "scenario_resolved.json"
DAMAGE: dict[str, tuple[str, Callable[[Path], None], str]] = {  # issue 12, item 4: a finding naming the file
    "summary deleted": ("summary.json", _unlink("summary.json"), "missing"),
    "summary garbled": ("summary.json", _write("summary.json", b"{\x00\xff"), "damaged"),
    "summary not a summary": ("summary.json", _write("summary.json", b"[1, 2]"), "not a run summary"),
    "configuration deleted": (CONF, _unlink(CONF), "missing"),
    "configuration edited": (CONF, lambda run: _edit_rule(run / CONF), "config_sha256"),
    "provisions bytes flipped": (PROV, _flip_at(PROV), "damaged"),
    "log bytes flipped": (LOG, _flip_at(LOG), "damaged"),
    "residents truncated": (RES, _truncate(RES), "damaged"),
    "notifications deleted": (NOTES, _unlink(NOTES), "missing"),
    "cards deleted": (CARDS, _unlink(CARDS), "missing"),
    "relays deleted": ("records/relays.parquet", _unlink("records/relays.parquet"), "missing"),
    "code changes deleted": ("records/code_changes.parquet", _unlink("records/code_changes.parquet"), "missing"),
    "counter visits truncated": ("records/counter_visits.parquet", _truncate("records/counter_visits.parquet"), "damaged"),
    "log column dropped": (LOG, _rewrite(LOG, lambda t: t.drop_columns(["ref"])), "no column 'ref'"),
    "provision times as text": (
        PROV,
        _rewrite(PROV, lambda t: t.set_column(1, "time", t.column("time").cast(pa.string()))),
        "'time'",
    ),
    "residents without codes": (RES, _rewrite(RES, lambda t: t.drop_columns(["code"])), "no column 'code'"),
}


@pytest.mark.parametrize("name", sorted(DAMAGE))
def test_a_damaged_or_missing_file_is_a_finding_naming_it(name: str, clean_run: Path, tmp_path: Path) -> None:
    file, damage, says = DAMAGE[name]
    run = tmp_path / "run"
    shutil.copytree(clean_run, run)
    damage(run)
    res = audit(run)
    assert not res["clean"] and res["counts"]["files present and intact"] >= 1
    hit = [f for f in res["findings"] if f["table"] == file]
    assert hit and says in hit[0]["problem"] and hit[0]["constraint"] == "C09", res["findings"]
    proc = subprocess.run([sys.executable, "-m", "jukinet", "audit", str(run)], capture_output=True, text=True)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr and file in proc.stdout and "the audit stops" in proc.stdout


def test_records_are_written_with_page_checksums(clean_run: Path) -> None:
    for name in ("provisions", "access_log", "residents", "notifications"):
        meta = pq.ParquetFile(clean_run / "records" / f"{name}.parquet").metadata
        assert meta.num_row_groups >= 1
    assert len(json.loads((clean_run / "summary.json").read_text())["config_sha256"]) == 64


def test_disclosure_from_a_damaged_table_is_one_line(clean_run: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(clean_run, run)
    code = f"{pq.read_table(run / 'records' / 'residents.parquet', columns=['code']).column(0)[0].as_py():011d}"
    _flip(run / "records" / "provisions.parquet")
    cmd = [sys.executable, "-m", "jukinet", "disclose", str(run), "--code", code]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "records/provisions.parquet: damaged" in proc.stderr


def test_the_audit_says_the_same_read_in_batches_of_any_size(
    clean_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 12, item 5: the audit streams every table batch by batch; what carries across a batch's edge (the
    chain's last hash, operators' first action of the day, the provisions logged) carries over: in batches of
    97 rows it finds exactly what it finds in one."""
    from jukinet.model.audit.folder import RunFolder
    from jukinet.model.audit.logscan import Chain

    def tamper(t: pa.Table) -> pa.Table:
        codes = t.column("code").to_pylist()
        codes[150] = codes[500] = 12345678903
        return t.set_column(t.schema.get_field_index("code"), "code", pa.array(codes, pa.int64())).slice(0, t.num_rows - 1)

    run = _tampered(clean_run, tmp_path, tamper)
    whole = audit(run)
    monkeypatch.setattr(RunFolder, "batch_rows", 97)
    assert audit(run) == whole and audit(clean_run)["clean"]
    monkeypatch.setattr(Chain, "PARALLEL_ROWS", 1)  # the chain in stretches of a few days, in worker processes
    monkeypatch.setattr(Chain, "PART_ROWS", 2000)
    assert audit(run) == whole
    # the chain's findings (a record whose code changed may also be named by a check across tables: model/audit/crossscan.py)
    logged = [(f["record"], str(f["problem"])) for f in whole["findings"] if f["table"] == "access_log"]
    chain = [(r, p) for r, p in logged if "does not match its hash" in p or "tail truncated" in p]
    assert [r for r, _ in chain] == [150, 500, whole_log_rows(clean_run) - 1], logged
    assert (
        "does not match its hash" in chain[0][1] and "does not match its hash" in chain[1][1] and "tail truncated" in chain[2][1]
    )


@given(st.lists(st.one_of(st.floats(0, 4e7), st.integers(0, 4e13).map(lambda us: (us + 0.5) / 1e6)), min_size=1, max_size=40))
def test_the_chains_lines_built_by_arrow_are_the_bytes_python_formats(times: list[float]) -> None:
    """The streaming chain check builds `seq|time|...` over whole columns; the time's %.6f by integer
    microseconds, and in Python where a half microsecond makes the rounding doubtful."""
    from jukinet.model.audit.logscan import canonical_lines
    from jukinet.model.sim.hashchain import canonical

    n = len(times)
    b = pa.record_batch(
        {
            "seq": pa.array(range(n), pa.int64()),
            "time": pa.array(times, pa.float64()),
            "node": pa.array(["cs:131016"] * n).dictionary_encode(),
            "operator": pa.array([-1, 7] * (n // 2) + [7] * (n % 2), pa.int32()),
            "action": pa.array(["provide"] * n).dictionary_encode(),
            "code": pa.array([12345678903] * n, pa.int64()),
            "ref": pa.array(range(n), pa.int64()),
        }
    )
    want = [
        canonical(i, t, "cs:131016", o, "provide", 12345678903, i)
        for i, (t, o) in enumerate(zip(times, b.column("operator").to_pylist(), strict=True))
    ]
    assert canonical_lines(b) == want

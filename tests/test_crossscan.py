"""The relations the run folder states across its tables, checked without keys (issue 30, item 3;
model/audit/crossscan.py): each tampering below leaves the log's chain intact and is named by the check that
exists for it, on the table and record it touched; the clean run names nothing."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from jukinet.model.audit.checks import audit
from jukinet.model.audit.crossscan import CHECKS, mix
from jukinet.model.audit.provscan import CHECKS as PROVISION_CHECKS
from jukinet.model.config.scenario import load
from jukinet.model.report.run import execute


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cross") / "run"
    execute(load(Path(__file__).resolve().parent.parent / "scenarios" / "fy2006_as_designed.toml"), 0.0005, 7, out)
    return out


def _set(t: pa.Table, column: str, row: int, value: object) -> pa.Table:
    values = t.column(column).to_pylist()
    values[row] = value
    return t.set_column(t.schema.get_field_index(column), column, pa.array(values, t.schema.field(column).type))


def _drop(t: pa.Table, row: int) -> pa.Table:
    return t.filter(pa.array([i != row for i in range(t.num_rows)]))


def _retired(run: Path) -> int:
    return int(pq.read_table(run / "records" / "code_changes.parquet").column("old")[0].as_py())


TAMPERS: dict[str, tuple[str, Callable[[pa.Table, Path], pa.Table], str, str]] = {
    # name: (table edited, the edit, the check that names it, the table it is named on)
    "a notification's code edited": (
        "notifications",
        lambda t, _: _set(t, "code", 3, t.column("code")[3].as_py() + 1),
        "each notification as the CS logged it",
        "notifications",
    ),
    "a notification's operator edited": (
        "notifications",
        lambda t, _: _set(t, "operator", 5, t.column("operator")[5].as_py() + 1),
        "each notification as the CS logged it",
        "notifications",
    ),
    "a notification deleted": ("notifications", lambda t, _: _drop(t, 4), "every logged notification in the table", "access_log"),
    "a notification's time at the center edited": (
        "notifications",
        lambda t, _: _set(t, "at_center", 6, t.column("at_center")[6].as_py() + 1.0),
        "each notification stored at the center as logged",
        "notifications",
    ),
    "a code change deleted": ("code_changes", lambda t, _: _drop(t, 0), "each code change as logged, both ways", "access_log"),
    "a code change's new code edited": (
        "code_changes",
        lambda t, _: _set(t, "new", 0, t.column("new")[0].as_py() + 1),
        "each code change as logged, both ways",
        "code_changes",
    ),
    "a resident given back a retired code": (
        "residents",
        lambda t, run: _set(t, "code", 0, _retired(run)),
        "retired codes out of use, new codes in use",
        "residents",
    ),
    "a card event for a code nobody held": (
        "cards",
        lambda t, _: _set(t, "code", 0, 99_999_999_999),
        "each card event names a resident of the register",
        "cards",
    ),
    "a provision row copied": (  # issue 30's hostile prober: the copy audited clean
        "provisions",
        lambda t, _: pa.concat_tables([t, t.slice(2, 1)]),
        "each provision as its log record says",
        "provisions",
    ),
}


def test_the_clean_run_names_nothing_and_has_each_relation(clean: Path) -> None:
    res = audit(clean)
    assert all(res["counts"][c] == 0 for c, _ in CHECKS) and res["clean"], res["findings"]
    for table in ("notifications", "code_changes", "cards"):  # each relation is exercised by this run
        assert pq.read_metadata(clean / "records" / f"{table}.parquet").num_rows > 0, table


@pytest.mark.parametrize("name", list(TAMPERS))
def test_a_tampered_relation_is_named_without_keys(name: str, clean: Path, tmp_path: Path) -> None:
    table, edit, check, named_on = TAMPERS[name]
    run = tmp_path / "run"
    shutil.copytree(clean, run)
    path = run / "records" / f"{table}.parquet"
    pq.write_table(edit(pq.read_table(path), run), path, write_page_checksum=True)
    res = audit(run)
    assert res["counts"][check] >= 1, (name, res["counts"])
    assert any(f["table"] == named_on and f["problem"] for f in res["findings"] if check_of(f, check)), res["findings"]
    assert res["counts"]["log chain intact"] == 0  # the log itself untouched: only the relation gives it away


def check_of(finding: dict[str, object], check: str) -> bool:
    return finding["constraint"] == {**dict(CHECKS), **dict(PROVISION_CHECKS)}[check]


def test_the_fingerprint_tells_apart_what_it_mixes() -> None:
    a = np.arange(1000, dtype=np.int64)
    assert len(np.unique(mix(a, a))) == 1000
    assert not (mix(a, a + 1) == mix(a + 1, a)).any()  # the order of the columns matters
    assert (mix(pc.add(pa.array(a), 0).to_numpy(), a) == mix(a, a)).all()  # the same values, the same prints


def test_a_deleted_residents_row_is_a_finding_not_a_stop(clean: Path, tmp_path: Path) -> None:
    """Issue 30 (hostile prober): deleting the residents row of a much-provided code stopped the audit with exit 2
    (its disclosure check asked for a resident who is gone); now the audit goes on and names the code (C12)."""
    run = tmp_path / "run"
    shutil.copytree(clean, run)
    prov = pq.read_table(run / "records" / "provisions.parquet")
    counts = pc.value_counts(prov.filter(prov.column("allowed")).column("code")).to_pylist()
    gone = pa.array([c["values"] for c in sorted(counts, key=lambda c: -c["counts"])[:300]], pa.int64())
    path = run / "records" / "residents.parquet"
    t = pq.read_table(path)
    pq.write_table(t.filter(pc.invert(pc.is_in(t.column("code"), gone))), path)
    found = [f for f in audit(run)["findings"] if f["table"] == "residents" and f["constraint"] == "C12"]
    assert found and all("cannot be disclosed" in str(f["problem"]) for f in found), found

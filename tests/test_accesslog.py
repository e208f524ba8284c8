"""The access log (C09): time order, numbering, and the chain worker agreeing with chaining in place."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from jukinet.model.sim.accesslog import AccessLog
from jukinet.model.sim.hashchain import verify_chain


def _fill(log: AccessLog, seed: int = 1) -> None:
    """A day-by-day mix of single entries and coded batches, written out of time order within a day."""
    rng = np.random.default_rng(seed)
    provide = log.buf.code("action", "provide")
    for day in range(3):
        for t in rng.uniform(day * 86_400.0, (day + 1) * 86_400.0, 500):
            log.add(float(t), f"cs:{int(rng.integers(3)):06d}", int(rng.integers(5)), "notify", int(rng.integers(10**11)), 7)
        t = np.sort(rng.uniform(day * 86_400.0, (day + 1) * 86_400.0, 300))
        log.extend_coded(
            t, "center", rng.integers(0, 9, 300), np.full(300, provide), rng.integers(0, 10**11, 300), np.arange(300)
        )
        log.flush_until(day * 86_400.0)  # a day behind, as the run does
    log.close()


def _columns(table: object) -> list[list[object]]:
    return [table.column(c).to_pylist() for c in ("seq", "time", "node", "operator", "action", "code", "ref")]  # type: ignore[attr-defined]


def test_worker_process_writes_the_same_chain_as_chaining_in_place(tmp_path: Path) -> None:
    inline = AccessLog(None)
    _fill(inline)
    worker = AccessLog(tmp_path / "log.parquet", worker=True)
    _fill(worker)
    assert worker.count == inline.count == 2_400
    assert worker.head == inline.head != bytes(32)
    written = pq.read_table(tmp_path / "log.parquet")
    assert inline.table is not None
    assert _columns(written) == _columns(inline.table)
    assert written.column("hash").to_pylist() == inline.table.column("hash").to_pylist()
    cols = _columns(written)
    assert cols[0] == list(range(2_400))
    assert cols[1] == sorted(cols[1])  # time order
    assert verify_chain(*cols, written.column("hash").to_pylist(), worker.count, worker.head) == []


def test_a_failing_worker_is_a_clear_error(tmp_path: Path) -> None:
    log = AccessLog(tmp_path / "no such folder" / "log.parquet", worker=True)
    log.add(1.0, "center", 1, "provide", 1, 0)
    with pytest.raises(RuntimeError, match="access-log worker failed.*No such file or directory"):
        log.close()


def test_logging_switched_off_records_nothing() -> None:
    log = AccessLog(None, enabled=False)
    _fill(log)
    assert log.count == 0 and log.table is not None and log.table.num_rows == 0

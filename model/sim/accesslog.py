"""The access log while a run goes on (C09): entries collected, numbered, hash-chained and written.

Entries are written out in time order (stably: entries of one instant keep the order they were
written in), numbered and hash-chained (model.sim.hashchain) by `flush_until`, which the run calls each
simulated day for everything older than a day (no entry is ever written with a time earlier than
that), and by `close` at the end.  `count` and `head` are the chain head once closed.

Chaining is sequential by nature (each hash covers the one before), and at full scale it is
some 160 million sha256 calls, so a run hands the numbered, time-ordered batches to a
`ChainWorker`: a second process that chains and writes them while the simulation goes on (the
machine has two cores).  The worker's output is the same as chaining in place (`ChainWriter`);
a test checks that the two give the same head.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from jukinet.model.core.errors import Aborted
from jukinet.model.core.workers import exit_with_parent
from jukinet.model.sim.records import Buffer, Sink

CHAIN_CHUNK = 1_000_000
COLUMNS = ("time", "node", "operator", "action", "code", "ref")


class ChainWriter:
    """Numbers, chains and writes time-ordered batches in this process."""

    def __init__(self, path: Path | None) -> None:
        self.sink = Sink(path) if path is not None else None
        self.count = 0
        self.head = bytes(32)
        self.written: list[pa.Table] = []  # without a file (tests): the chained batches
        self.checkpoints: list[tuple[int, bytes]] = []  # (count, head) after each batch: a simulated day's end

    def write(self, cols: dict[str, np.ndarray], node_names: list[str], action_names: list[str]) -> None:
        from jukinet.model.sim.hashchain import chain

        n = len(cols["time"])
        nodes = np.array(node_names, dtype=object)
        actions = np.array(action_names, dtype=object)
        seq = np.arange(self.count, self.count + n, dtype=np.int64)
        hashes = np.empty((n, 32), dtype=np.uint8)
        prev = self.head
        for lo in range(0, n, CHAIN_CHUNK):  # in chunks, so no column becomes one long Python list
            sl = slice(lo, lo + CHAIN_CHUNK)
            part = chain(
                seq[sl].tolist(),
                cols["time"][sl].tolist(),
                nodes[cols["node"][sl]].tolist(),
                cols["operator"][sl].tolist(),
                actions[cols["action"][sl]].tolist(),
                cols["code"][sl].tolist(),
                cols["ref"][sl].tolist(),
                prev,
            )
            hashes[sl] = np.frombuffer(b"".join(part), dtype=np.uint8).reshape(-1, 32)
            prev = part[-1]
        out = Buffer("access_log")
        out.vocab = {"node": {v: i for i, v in enumerate(node_names)}, "action": {v: i for i, v in enumerate(action_names)}}
        out.chunks = {"seq": [seq], "hash": [hashes], **{k: [cols[k]] for k in COLUMNS}}
        out.rows = n
        table = out.to_arrow()
        if self.sink is not None:
            self.sink.write(table)
        else:
            self.written.append(table)
        self.count += n
        self.head = prev
        self.checkpoints.append((self.count, self.head))

    def close(self) -> tuple[int, bytes, list[tuple[int, bytes]]]:
        if self.sink is not None:
            self.sink.close(Buffer("access_log").to_arrow())
        return self.count, self.head, self.checkpoints


class ChainWorker:
    """A `ChainWriter` in a second process (`python -m jukinet.model.sim.accesslog PATH`), fed pickled batches
    through a pipe; the pipe's buffer bounds how far the simulation runs ahead of it."""

    def __init__(self, path: Path) -> None:
        import importlib.util

        env = dict(os.environ)
        spec = importlib.util.find_spec("jukinet")
        root = str(Path(spec.origin if spec and spec.origin else ".").parent.parent)  # the folder that holds jukinet
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jukinet.model.sim.accesslog", str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )

    def _send(self, item: Any) -> None:
        assert self.proc.stdin is not None
        try:
            pickle.dump(item, self.proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self.proc.stdin.flush()
        except BrokenPipeError:
            self._failed()

    def _failed(self, err: bytes | None = None) -> None:
        if err is None:
            _, err = self.proc.communicate()
        why = err.decode(errors="replace").strip().splitlines()
        raise Aborted(f"the access-log worker failed (exit code {self.proc.returncode}){': ' + why[-1] if why else ''}")

    def write(self, cols: dict[str, np.ndarray], node_names: list[str], action_names: list[str]) -> None:
        self._send((cols, node_names, action_names))

    def close(self) -> tuple[int, bytes, list[tuple[int, bytes]]]:
        self._send(None)
        out, err = self.proc.communicate()
        if self.proc.returncode != 0 or not out:
            self._failed(err)
        count, head, checkpoints = pickle.loads(out)
        return int(count), bytes(head), [(int(c), bytes(h)) for c, h in checkpoints]


def _main(path: str) -> None:
    """The worker: chain and write each batch read from stdin until None; write the head to stdout."""
    exit_with_parent()
    inbox = sys.stdin.buffer
    w = ChainWriter(Path(path))
    while (item := pickle.load(inbox)) is not None:
        w.write(*item)
    sys.stdout.buffer.write(pickle.dumps(w.close()))


class AccessLog:
    """The access log: single entries and whole batches, columnar, chained a day behind."""

    def __init__(self, path: Path | None = None, enabled: bool = True, worker: bool = False) -> None:
        self.buf = Buffer("access_log")  # pending entries (and the node and action vocabularies)
        self.enabled = enabled  # logging switched off in the configuration: nothing is recorded (C09 breaks)
        self.writer: ChainWriter | ChainWorker = (
            ChainWorker(path) if worker and enabled and path is not None else ChainWriter(path)
        )
        self._single: list[tuple[float, int, int, int, int, int]] = []
        self._node = self.buf.vocab["node"]
        self._action = self.buf.vocab["action"]
        self.count = 0
        self.head = bytes(32)
        self.checkpoints: list[tuple[int, bytes]] = []  # (count, head) at each simulated day's end, once closed
        self.table: pa.Table | None = None  # without a file (tests): the whole log once closed

    def add(self, t: float, node: str, operator: int, action: str, code: int, ref: int) -> None:
        if not self.enabled:
            return
        nc, ac = self._node, self._action
        self._single.append((t, nc.setdefault(node, len(nc)), operator, ac.setdefault(action, len(ac)), code, ref))
        if len(self._single) >= 100_000:
            self._flush()

    def extend_coded(
        self, t: np.ndarray, node: str, operator: np.ndarray, action_codes: np.ndarray, code: np.ndarray, ref: np.ndarray
    ) -> None:
        """A batch at one node, actions already encoded with `buf.code("action", ...)`."""
        if not self.enabled:
            return
        n = len(t)
        b = self.buf
        self._flush()
        b.chunks["time"].append(np.asarray(t, dtype=float))
        b.chunks["node"].append(np.full(n, b.code("node", node), np.int32))
        b.chunks["operator"].append(np.asarray(operator, dtype=np.int32))
        b.chunks["action"].append(np.asarray(action_codes, dtype=np.int32))
        b.chunks["code"].append(np.asarray(code, dtype=np.int64))
        b.chunks["ref"].append(np.asarray(ref, dtype=np.int64))
        b.rows += n

    def _flush(self) -> None:
        """Single entries into columns (every field is exact in float64: codes < 2**53)."""
        if not self._single:
            return
        a = np.array(self._single, dtype=np.float64)
        b = self.buf
        b.chunks["time"].append(a[:, 0])
        b.chunks["node"].append(a[:, 1].astype(np.int32))
        b.chunks["operator"].append(a[:, 2].astype(np.int32))
        b.chunks["action"].append(a[:, 3].astype(np.int32))
        b.chunks["code"].append(a[:, 4].astype(np.int64))
        b.chunks["ref"].append(a[:, 5].astype(np.int64))
        b.rows += len(a)
        self._single = []

    def __len__(self) -> int:
        return self.count + self.buf.rows + len(self._single)

    def flush_until(self, t_cut: float) -> None:
        """Hand every pending entry older than t_cut, in time order, to the chain writer."""
        self._flush()
        b = self.buf
        cols = {k: b.column(k) for k in COLUMNS}
        if not len(cols["time"]):
            return
        old = cols["time"] < t_cut
        if not old.any():
            return
        order = np.flatnonzero(old)
        order = order[np.argsort(cols["time"][order], kind="stable")]
        take = {k: v[order] for k, v in cols.items()}
        rest = ~old
        b.chunks = {f.name: [] for f in b.fields}
        for k in COLUMNS:
            b.chunks[k].append(cols[k][rest])
        b.rows = int(rest.sum())
        self.writer.write(take, list(self._node), list(self._action))
        self.count += len(order)

    def close(self) -> None:
        """Write everything left and close; `count` and `head` are then the chain head."""
        self.flush_until(np.inf)
        count, self.head, self.checkpoints = self.writer.close()
        assert count == self.count, (count, self.count)
        if isinstance(self.writer, ChainWriter) and self.writer.sink is None:
            w = self.writer.written
            self.table = pa.concat_tables(w) if w else Buffer("access_log").to_arrow()


if __name__ == "__main__":
    _main(sys.argv[1])

"""The proof verdicts a report carries: every constraint (and L01) over each configuration of the year,
as `jukinet prove` decides them, proved in a second process while the runs go on."""

from __future__ import annotations

import multiprocessing
import signal
import threading
from collections.abc import Sequence
from multiprocessing.connection import Connection

from jukinet.model.config.scenario import Scenario
from jukinet.model.core.workers import exit_with_parent


def verdicts(sc: Scenario) -> dict[str, str]:
    """Per constraint (and L01), its verdict over the year's configurations: PROVED or CHECKED only if it is
    in each; otherwise the first other verdict and in how many configurations."""
    from jukinet.proofs.catalogue import prove, verdict_of

    per: dict[str, list[tuple[str, bool]]] = {}
    for _first, _last, psc, _ in sc.periods():
        results = prove(psc)
        for cid in dict.fromkeys(r.id for r in results):
            binding = all(r.binding for r in results if r.id == cid)
            per.setdefault(cid, []).append((verdict_of(results, cid), binding))
    out = {}
    for cid, vs in per.items():
        bad = [v for v, _ in vs if v not in ("PROVED", "CHECKED")]
        v = vs[0][0] if not bad else f"{bad[0]} in {len(bad)} of {len(vs)} configurations"
        out[cid] = v + ("" if vs[0][1] else " (not claimed)")
    return out


def configurations(scs: Sequence[Scenario]) -> int:
    """How many configurations of the year the proofs of `scs` cover (a year shared by several scenarios, once)."""
    return sum(len(k) for k in _distinct(scs))


def _key(sc: Scenario) -> tuple[str, ...]:
    return tuple(psc.hash for _f, _l, psc, _ in sc.periods())


def _distinct(scs: Sequence[Scenario]) -> dict[tuple[str, ...], Scenario]:
    return {k: sc for sc in scs for k in [_key(sc)]}


def _child(conn: Connection, scs: dict[tuple[str, ...], Scenario]) -> None:
    exit_with_parent()  # a run killed with SIGKILL leaves no prover behind
    try:
        conn.send(("ok", {k: verdicts(sc) for k, sc in scs.items()}))
    except BaseException as exc:  # reported to the parent, which raises it there
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


class Background:
    """The verdicts of several scenarios, proved once per distinct year of configurations (keyed by the hash of
    each period's whole configuration, so nothing that could differ is shared) in one spawned process while
    the caller runs; `cancel` ends that process at once."""

    def __init__(self, scs: Sequence[Scenario]) -> None:
        self._keys = [_key(sc) for sc in scs]
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe(duplex=False)
        self._proc = ctx.Process(target=_child, args=(child, _distinct(scs)), daemon=True, name="jukinet-prove")
        main = threading.current_thread() is threading.main_thread()
        old = signal.getsignal(signal.SIGINT)
        if main:  # the child starts with SIGINT ignored (kept across exec): a Ctrl-C reaches the parent, which ends it
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            self._proc.start()
        finally:
            if main:
                signal.signal(signal.SIGINT, old if old is not None else signal.SIG_DFL)
        child.close()

    def result(self) -> list[dict[str, str]]:
        """Each scenario's verdicts, in the order given (waits for the proofs)."""
        try:
            kind, value = self._conn.recv()
        except EOFError:
            raise RuntimeError(f"the proving process ended without a result (exit code {self._proc.exitcode})") from None
        finally:
            self._proc.join(5)
        if kind != "ok":
            raise RuntimeError(f"the proofs failed: {value}")
        return [value[k] for k in self._keys]

    def __enter__(self) -> Background:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cancel()

    def cancel(self) -> None:
        """End the proving process if it still runs (a result already received is kept by the caller)."""
        if self._proc.is_alive():
            self._proc.terminate()
        self._proc.join(5)
        self._conn.close()

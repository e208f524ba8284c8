"""Faults in the network (issue 13): links down, flapping and slow, crashes of a prefecture server or
the center, a poison batch, a skewed clock.  After the drain every register change is at the center
exactly once and in order (C16), stores reconcile, and the summary gives each fault's drain time.
A stateful test interleaves changes, faults, crashes and time over a small chain of links."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import simpy
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from model.config.scenario import load
from model.report.run import execute
from model.sim.faults import LinkFaults
from model.sim.messages import IdentityStore, Link, Notification

FAULTS = sorted((Path(__file__).resolve().parent.parent / "scenarios" / "faults").glob("*.toml"))
CLEAN = {"lost": 0, "duplicated": 0, "stale": 0, "mismatched": 0}


def _run(path: Path, out: Path, scale: float) -> dict[str, Any]:
    return execute(load(path), scale, 2006, out)


def _clean(summary: dict[str, Any]) -> dict[str, Any]:
    r = summary["reconciliation"]
    assert {k: r[k] for k in CLEAN} == CLEAN, r
    assert r["windows"] and all(w["drain_seconds"] >= 0 for w in r["windows"])
    f = summary["figures"]
    assert f["notifications_at_center"]["value"] == f["notifications"]["value"]  # nothing withheld in these
    return r


def test_there_are_at_least_twenty_fault_scenarios_of_every_kind() -> None:
    kinds = {k for p in FAULTS for k in ("down", "flap", "slow", "crash", "poison", "skew") if f'kind = "{k}"' in p.read_text()}
    assert len(FAULTS) >= 20 and kinds == {"down", "flap", "slow", "crash", "poison", "skew"}
    assert any('link = "center"' in p.read_text() for p in FAULTS)


def test_a_center_crash_resends_what_was_not_acknowledged_and_stores_it_once(tmp_path: Path) -> None:
    r = _clean(_run(FAULTS[[p.stem for p in FAULTS].index("center_crash_midday")], tmp_path / "r", 0.002))
    assert r["resent_after_crash"] > 0 and r["duplicates_suppressed"] == r["resent_after_crash"]


def test_a_poison_batch_is_quarantined_then_replayed_in_order(tmp_path: Path) -> None:
    r = _clean(_run(FAULTS[[p.stem for p in FAULTS].index("poison_setagaya")], tmp_path / "r", 0.002))
    assert r["quarantined"] > 0


@pytest.mark.slow
@pytest.mark.parametrize("path", FAULTS, ids=[p.stem for p in FAULTS])
def test_every_fault_scenario_reconciles_after_the_drain(path: Path, tmp_path: Path) -> None:
    _clean(_run(path, tmp_path / "r", 0.001))


# -- the parts, one at a time ------------------------------------------------------------------------
def _note(i: int, resident: int, seq: int) -> Notification:
    return Notification(i, 0.0, 0, 0, resident, 1000 + resident, "move_within", 1, seq, 0.0)


def test_a_store_keeps_the_newest_change_and_counts_what_it_applies_twice() -> None:
    s = IdentityStore("center", frozenset({"name"}))
    s.apply(_note(0, 7, 2))
    s.apply(_note(1, 7, 1))  # older, arriving late: history only
    assert s.seq[7] == 2 and s.late == 1
    s.apply(_note(0, 7, 2))  # the same notification again: a receiver that failed to recognise it
    assert s.duplicated == 1


def test_a_link_is_down_flapping_and_slow_as_its_faults_say() -> None:
    lf = LinkFaults(down=[(10.0, 20.0), (15.0, 30.0), (50.0, 55.0)], slow=[(100.0, 200.0, 20.0)])
    lf.finish()
    assert [lf.is_up(t) for t in (5, 10, 19, 25, 30, 52, 60)] == [True, False, False, False, True, False, True]
    assert lf.latency_factor(150.0) == 20.0 and lf.latency_factor(250.0) == 1.0


# -- stateful: a chain CS -> prefecture -> center under interleaved faults -----------------------------------
class Chain(RuleBasedStateMachine):
    """Changes of a few residents sent up two store-and-forward hops, from either of two CS (a resident
    who moves is notified by both), while hops go down, the prefecture and the center crash before
    acknowledging their last delivery, and time passes."""

    def __init__(self) -> None:
        super().__init__()
        self.env = simpy.Environment()
        self.pref = IdentityStore("pref", frozenset())
        self.center = IdentityStore("center", frozenset())
        self.faults = [LinkFaults(), LinkFaults(), LinkFaults()]  # cs 0, cs 1, prefecture -> center
        for f in self.faults:
            f.finish()
        self.at_center: dict[int, int] = {}
        self.up = Link(self.env, "pref", 0.5, 60.0, self._at_center, self.faults[2])
        self.cs = [Link(self.env, f"cs{i}", 0.5, 60.0, self._at_pref, self.faults[i]) for i in (0, 1)]
        self.sent: list[Notification] = []
        self.seq: dict[int, int] = {}

    def _at_pref(self, msg: Notification, t: float) -> None:
        if msg.at_prefecture == msg.at_prefecture:  # sent again after a crash: recognised
            return
        msg.at_prefecture = t
        self.pref.apply(msg)
        self.up.send(msg)

    def _at_center(self, msg: Notification, t: float) -> None:
        if msg.at_center == msg.at_center:
            return
        msg.at_center = t
        self.center.apply(msg)
        self.at_center[msg.id] = self.at_center.get(msg.id, 0) + 1

    @rule(resident=st.integers(0, 2), cs=st.integers(0, 1))
    def change(self, resident: int, cs: int) -> None:
        seq = self.seq[resident] = self.seq.get(resident, 0) + 1
        msg = _note(len(self.sent), resident, seq)
        self.sent.append(msg)
        self.cs[cs].send(msg)

    @rule(hop=st.integers(0, 2), start=st.floats(0, 300), length=st.floats(1, 3_000))
    def link_down(self, hop: int, start: float, length: float) -> None:
        f = self.faults[hop]
        f.down.append((self.env.now + start, self.env.now + start + length))
        f.finish()

    @rule(hop=st.integers(0, 2), length=st.floats(1, 3_000))
    def receiver_crashes_before_acknowledging(self, hop: int, length: float) -> None:
        link = (*self.cs, self.up)[hop]
        f = self.faults[hop]
        f.down.append((self.env.now, self.env.now + length))
        f.finish()
        if link.last is not None:
            link.last = (link.last[0], self.env.now)  # its last delivery was never acknowledged
        link._receiver_crashed(None)

    @rule(seconds=st.floats(0.001, 5_000))
    def time_passes(self, seconds: float) -> None:
        self.env.run(until=self.env.now + seconds)

    @invariant()
    def nothing_stored_twice_and_no_older_state_over_a_newer(self) -> None:
        assert self.pref.duplicated == 0 and self.center.duplicated == 0
        assert all(n == 1 for n in self.at_center.values())
        for store, field in ((self.center, "at_center"), (self.pref, "at_prefecture")):
            for resident, seq in store.seq.items():
                arrived = [m.seq for m in self.sent if m.resident == resident and getattr(m, field) == getattr(m, field)]
                assert seq == max(arrived)

    def teardown(self) -> None:
        self.env.run()  # the drain: faults end, every queue empties
        assert len(self.at_center) == len(self.sent), "a change never reached the center (C16)"
        for resident, seq in self.seq.items():
            assert self.center.seq[resident] == seq and self.pref.seq[resident] == seq


TestChain = Chain.TestCase
TestChain.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)


@pytest.mark.parametrize("mutant", ["store_in_arrival_order", "no_recognition_of_resent_copies"])
def test_the_stateful_test_catches_a_mutant(mutant: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The checks above can fail: a store that applies changes in arrival order, and a center that does not
    recognise a copy sent again after a crash, are each caught."""
    from hypothesis.stateful import run_state_machine_as_test

    if mutant == "store_in_arrival_order":
        apply = IdentityStore.apply

        def naive(self: IdentityStore, msg: Notification) -> None:
            apply(self, msg)
            self.seq[msg.resident] = msg.seq

        monkeypatch.setattr(IdentityStore, "apply", naive)
    else:

        def no_recognition(self: Chain, msg: Notification, t: float) -> None:
            msg.at_center = t
            self.center.apply(msg)
            self.at_center[msg.id] = self.at_center.get(msg.id, 0) + 1

        monkeypatch.setattr(Chain, "_at_center", no_recognition)
    with pytest.raises(AssertionError):
        run_state_machine_as_test(
            Chain, settings=settings(max_examples=200, stateful_step_count=30, deadline=None, report_multiple_bugs=False)
        )

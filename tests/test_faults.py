"""Faults in the network (issue 13): links down, flapping and slow, crashes of a prefecture server or
the center, a poison batch, a skewed clock.  After the drain every register change is at the center
exactly once and in order (C16), stores reconcile, and the summary gives each fault's drain time.
A stateful test drives the run's own traffic over a small network, interleaving changes, moves, code
changes, faults and time, and checks C01, C07, C09, C16 and reconciliation after every step."""

from __future__ import annotations

import functools
import math
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
import simpy
from hypothesis import Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from jukinet.model.config.scenario import Scenario, load
from jukinet.model.law.codes import CodeAuthority, full_codes
from jukinet.model.law.policy import Request, decide
from jukinet.model.report.run import execute
from jukinet.model.sim.accesslog import AccessLog
from jukinet.model.sim.counts import Counts
from jukinet.model.sim.faults import LinkFaults, Window
from jukinet.model.sim.hashchain import verify_chain
from jukinet.model.sim.messages import IdentityStore, Link, Notification, Relay
from jukinet.model.sim.traffic import Traffic

FAULTS = sorted((Path(__file__).resolve().parent.parent / "scenarios" / "faults").glob("*.toml"))
CLEAN = {"lost": 0, "duplicated": 0, "stale": 0, "mismatched": 0}


def _run(path: Path, out: Path, scale: float) -> dict[str, Any]:
    return execute(load(path), scale, 2006, out)


def _clean(summary: dict[str, Any]) -> dict[str, Any]:
    r = summary["reconciliation"]
    assert {k: r[k] for k in CLEAN} == CLEAN, r
    assert r["windows"] and all(w["drain_seconds"] >= 0 for w in r["windows"])
    f = summary["figures"]  # every change sent reaches the center (Kunitachi's and Yamatsuri's are never sent)
    assert (
        f["notifications_at_center"]["value"] == f["notifications"]["value"] - f["notifications_not_sent_disconnected"]["value"]
    )
    return r


def test_there_are_at_least_twenty_fault_scenarios_of_every_kind() -> None:
    kinds = {k for p in FAULTS for k in ("down", "flap", "slow", "crash", "poison", "skew") if f'kind = "{k}"' in p.read_text()}
    assert len(FAULTS) >= 20 and kinds == {"down", "flap", "slow", "crash", "poison", "skew"}
    assert any('link = "center"' in p.read_text() for p in FAULTS)


def test_a_center_crash_resends_what_was_not_acknowledged_and_stores_it_once(tmp_path: Path) -> None:
    """Whether a prefecture link delivered anything in the retry interval before the crash is chance at this
    scale: what was resent (at most one message per prefecture link) is stored once (test_a_crashed_receiver_...)."""
    r = _clean(_run(FAULTS[[p.stem for p in FAULTS].index("center_crash_midday")], tmp_path / "r", 0.002))
    assert r["resent_after_crash"] <= 47 and r["duplicates_suppressed"] == r["resent_after_crash"]


def test_a_crashed_receiver_gets_again_what_it_had_not_acknowledged() -> None:
    """A receiver that crashes within the retry interval after a delivery lost its acknowledgement: the link
    sends that message again (once); after the interval, nothing is sent again."""
    env = simpy.Environment()
    got: list[tuple[int, float]] = []
    link = Link(env, "pref:13", 0.5, 60.0, lambda m, t: got.append((m.id, t)))
    link.send(_note(0, 7, 1))
    env.run(until=10.0)
    link.receiver_crashed()  # 9.5 s after the delivery
    env.run(until=100.0)
    link.receiver_crashed()  # long after the second delivery: acknowledged
    env.run(until=200.0)
    assert [i for i, _ in got] == [0, 0] and link.resent == 1


def test_a_poison_batch_is_quarantined_then_replayed_in_order(tmp_path: Path) -> None:
    r = _clean(_run(FAULTS[[p.stem for p in FAULTS].index("poison_osaka_3days")], tmp_path / "r", 0.002))  # busy in March
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


# -- stateful: the run's own traffic over a small network under interleaved faults ------------------------
MUTANTS = Path(__file__).resolve().parent.parent / "scenarios" / "mutants"
SMALL = ["131016", "132152", "141003"]  # Chiyoda and Kunitachi (Tokyo), Yokohama (Kanagawa)
PREFS = ["13", "14"]
ROWS = 6  # two residents per municipality to start with
KINDS = ("name", "move_within", "birth", "death")


@functools.cache
def _scenario(name: str | None) -> Scenario:
    return load(MUTANTS.parent / "fy2006_as_designed.toml" if name is None else MUTANTS / f"{name}.toml")  # the design


class Network(RuleBasedStateMachine):
    """`model.sim.traffic.Traffic`, the component a run uses, over three CS under two prefecture servers
    and the center, with the scenario's policy: residents' changes, moves between municipalities (the
    transfer notice relayed to the old CS), code changes asked by the resident or by someone else, and
    faults added while it runs (links down, flapping and slow at both levels, a prefecture server or the
    center crashing, a poison batch, a skewed CS clock), while time passes.  After every step: C01 (the
    stores and the notification hold identity information only), C07 (a
    resident's own request is granted, no one else's; codes are never reissued and the old ones stop
    resolving), C09 (every notification, store and forward is in the access log, whose chain verifies),
    C16 (every change is notified; each is stored at most once at each level and no older state
    overwrites a newer one); after the drain, every change is at the center and the stores reconcile."""

    scenario: str | None = None  # a mutant configuration's file stem (scenarios/mutants); None: the defaults

    def __init__(self) -> None:
        super().__init__()
        sc = _scenario(self.scenario)
        self.sc, cfg = sc, sc.config
        self.env = simpy.Environment()
        self.tmp = Path(tempfile.mkdtemp(prefix="jukinet-stateful-"))
        self.auth = CodeAuthority.layout({lg: 16 for lg in SMALL}, cfg.codes, np.random.default_rng(0))
        numbers = self.auth.bulk_issue({lg: ROWS // len(SMALL) for lg in SMALL})
        self.code = np.concatenate([full_codes(numbers[lg]) for lg in SMALL])
        self.muni = [i for i in range(len(SMALL)) for _ in range(ROWS // len(SMALL))]
        self.ever = set(self.code.tolist())  # every code ever held
        self.retired: list[int] = []
        self.log = AccessLog(None, enabled=sc.policy.logging)
        self.traffic = Traffic(
            self.env,
            cfg,
            sc.policy,
            SMALL,
            PREFS,
            np.array([0, 0, 1]),
            self.code,
            self.log,
            Counts(),
            lambda _t, _m: 1,
            self.tmp,
        )
        self.stored_at_center: dict[int, int] = {}
        self.traffic.on_center = lambda msg, _t: self.stored_at_center.__setitem__(
            msg.id, self.stored_at_center.get(msg.id, 0) + 1
        )
        self.changes = 0  # register changes made at the CS
        self.refused_own = self.granted_others = 0
        self.seen_seq: dict[tuple[str, int], int] = {}

    # -- what happens -------------------------------------------------------------------------------
    @rule(row=st.integers(0, ROWS - 1), kind=st.sampled_from(KINDS))
    def change(self, row: int, kind: str) -> None:
        self.changes += 1
        self.traffic.notify(float(self.env.now), row, self.muni[row], kind)

    @rule(row=st.integers(0, ROWS - 1), to=st.integers(0, len(SMALL) - 1))
    def move(self, row: int, to: int) -> None:
        """Moving in: the new CS records it (Art. 22) and sends the transfer notice to the old one (Art. 9(1))."""
        old, t = self.muni[row], float(self.env.now)
        if old == to:
            return
        self.muni[row] = to
        self.changes += 1
        self.traffic.notify(t, row, to, "move_between")
        self.traffic.relay(t, "transfer_notice", to, old, int(self.code[row]))

    @rule(row=st.integers(0, ROWS - 1), by=st.integers(0, ROWS - 1))
    def code_change(self, row: int, by: int) -> None:
        """A code change asked at the counter (Art. 30-3): by the resident (granted) or another (refused)."""
        own = by == row
        req = Request(requester=f"resident:{by}", action="change_code", node="cs", subject_is_requester=own)
        if not decide(self.sc.policy, req).allowed:
            self.refused_own += own
            return
        if not own:
            self.granted_others += 1
            return
        muni, t = self.muni[row], float(self.env.now)
        old = int(self.code[row])
        new = int(self.auth.change(SMALL[muni], f"{old:011d}"))
        self.code[row] = new
        assert new not in self.ever, f"C07: code {new:011d} issued again"
        self.ever.add(new)
        self.retired.append(old)
        self.log.add(t, f"cs:{SMALL[muni]}", 1, "change_code", new, -1)
        self.changes += 1
        self.traffic.notify(t, row, muni, "code_change")

    @rule(
        kind=st.sampled_from(("down", "flap", "slow", "poison", "skew")),
        where=st.integers(0, 5),
        start=st.one_of(st.just(0.0), st.floats(0, 600)),
        length=st.floats(1, 7_200),
    )
    def fault(self, kind: str, where: int, start: float, length: float) -> None:
        cs, pref = [f"cs:{x}" for x in SMALL], [f"pref:{p}" for p in PREFS]
        place = {"poison": cs, "skew": cs}.get(kind, [*cs, *pref])
        t0 = float(self.env.now) + start
        self.traffic.add_fault(Window(kind, place[where % len(place)], t0, t0 + length, 20.0, -3_600.0, 600.0))

    @rule(where=st.sampled_from([*(f"pref:{p}" for p in PREFS), "center"]), length=st.floats(1, 7_200))
    def crash(self, where: str, length: float) -> None:
        """A prefecture server or the center crashes now: what it received in the last retry interval was
        never acknowledged, and is sent again when it is back."""
        t0 = float(self.env.now)
        self.traffic.add_fault(Window("crash", where, t0, t0 + length, 1.0, 0.0, 0.0))

    @rule(seconds=st.one_of(st.floats(0.001, 60), st.floats(60, 5_000)))
    def time_passes(self, seconds: float) -> None:
        self.env.run(until=self.env.now + seconds)

    # -- what must hold after every step ------------------------------------------------------------------
    @invariant()
    def c01_identity_information_only(self) -> None:
        tr, allowed = self.traffic, self.sc.config.statute.identity_items
        for store in (tr.center_store, *tr.pref_store):
            assert store.items <= allowed, f"C01: {store.name} keeps {sorted(store.items - allowed)}"
        assert set(tr.items.split(",")) <= allowed, f"C01: notifications carry {tr.items}"

    @invariant()
    def c07_own_request_granted_and_old_codes_dead(self) -> None:
        assert self.refused_own == 0, "C07: a resident's own request for a new code was refused (Art. 30-3)"
        assert self.granted_others == 0, "C07: a code change asked by someone else was granted"
        assert len(set(self.code.tolist())) == ROWS, "C07: two residents hold one code"
        for old in self.retired:
            assert not self.auth.resolves(f"{old:011d}"), f"C07: retired code {old:011d} still resolves"

    @invariant()
    def c09_every_access_logged_and_chained(self) -> None:
        self.log.flush_until(math.nextafter(float(self.env.now), math.inf))
        written = self.log.writer.written  # type: ignore[union-attr]
        table = pa.concat_tables(written) if written else None
        cols = {k: table.column(k).to_pylist() for k in table.column_names} if table is not None else {}
        entries = set(zip(cols.get("node", []), cols.get("action", []), cols.get("ref", []), strict=True))
        for m in self.traffic.notes:
            cs, pref = f"cs:{SMALL[m.cs]}", f"pref:{PREFS[m.pref]}"
            assert (cs, "notify", m.id) in entries, f"C09: notification {m.id} not in the access log"
            if m.at_prefecture == m.at_prefecture:
                assert (pref, "store", m.id) in entries, f"C09: notification {m.id} stored at {pref} unlogged"
            if m.at_center == m.at_center:
                assert (pref, "forward", m.id) in entries and ("center", "store", m.id) in entries, f"C09: {m.id} unlogged"
        if table is not None:
            seq, time_, node, op, action, code, ref, hashes = (
                cols[k] for k in ("seq", "time", "node", "operator", "action", "code", "ref", "hash")
            )
            w = self.log.writer
            assert not verify_chain(seq, time_, node, op, action, code, ref, hashes, w.count, w.head), "C09: chain broken"

    @invariant()
    def c16_notified_once_and_in_order(self) -> None:
        tr = self.traffic
        assert tr.note_count == self.changes, f"C16: {self.changes - tr.note_count} change(s) never notified"
        assert tr.pref_store[0].duplicated + tr.pref_store[1].duplicated + tr.center_store.duplicated == 0, "C16: stored twice"
        assert all(n == 1 for n in self.stored_at_center.values()), "C16: a notification reached the center twice"
        for store, field in ((tr.center_store, "at_center"), *((s, "at_prefecture") for s in tr.pref_store)):
            for row, seq in store.seq.items():
                here = [m for m in tr.notes if field == "at_center" or tr.pref_store[m.pref] is store]
                arrived = [m.seq for m in here if m.resident == row and getattr(m, field) == getattr(m, field)]
                newest = max(arrived)
                assert seq == newest, f"C16: {store.name} holds change {seq} of resident {row}, newest arrived {newest}"

    def teardown(self) -> None:
        try:
            self.env.run()  # the drain: every fault ends, every queue empties
            tr = self.traffic
            r = tr.reconcile()
            assert {k: r[k] for k in CLEAN} == CLEAN, f"C16: after the drain {r}"
            assert len(self.stored_at_center) == tr.note_count == self.changes, "C16: a change never reached the center"
            lost = sum(1 for m in tr.relays if m.arrived != m.arrived)
            assert lost == 0, f"Art. 9(1): {lost} transfer notice(s) never reached the old municipality"
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)


TestNetwork = Network.TestCase
TestNetwork.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)


@pytest.mark.slow
def test_the_network_holds_over_many_more_interleavings() -> None:
    from hypothesis.stateful import run_state_machine_as_test

    run_state_machine_as_test(Network, settings=settings(max_examples=3_000, stateful_step_count=40, deadline=None))


def _machine(scenario: str | None) -> type[Network]:
    return type(f"Network_{scenario}", (Network,), {"scenario": scenario})


CONFIG_MUTANTS = {
    "c01_center_store_holds_tax": "C01",
    "c01_notification_extra_item": "C01",
    "c07_no_change_at_the_counter": "C07",
    "c07_code_change_by_others": "C07",
    # with logging off the policy permits no notification and no code change (logging_on): nothing leaves the CS
    "c09_logging_off": "(C07|C16)",
    "c16_withholding": "C16",
    "c16_kunitachi_disconnected": r"(C16|Art\. 9\(1\))",  # nothing reaches or leaves a disconnected CS
    "c16_forward_never_permitted": "C16",
}


def _caught(machine: type[Network], constraint: str) -> None:
    from hypothesis.stateful import run_state_machine_as_test

    quick = settings(max_examples=1_000, stateful_step_count=30, deadline=None, phases=[Phase.generate], database=None)
    with pytest.raises(AssertionError, match=f"^{constraint}"):  # found, not shrunk: the message names the constraint
        run_state_machine_as_test(machine, settings=quick)


@pytest.mark.parametrize("mutant", sorted(CONFIG_MUTANTS))
def test_the_stateful_test_catches_a_mutant_configuration(mutant: str) -> None:
    """Each mutant configuration (scenarios/mutants) that breaks C01, C07, C09 or C16 in the traffic of a run
    is caught, by the check its table names."""
    _caught(_machine(mutant), CONFIG_MUTANTS[mutant])


@pytest.mark.parametrize(
    "mutant", ["store_in_arrival_order", "no_recognition_of_resent_copies", "old_code_kept", "forward_unlogged"]
)
def test_the_stateful_test_catches_a_mutant_implementation(mutant: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The checks can fail on the code too: a store that applies changes in arrival order, a center that
    does not recognise a copy sent again after a crash (C16), an authority that does not retire the old code
    (C07), an access log that drops the prefecture's forwards (C09)."""
    if mutant == "store_in_arrival_order":
        apply = IdentityStore.apply

        def naive(self: IdentityStore, msg: Notification) -> None:
            apply(self, msg)
            self.seq[msg.resident] = msg.seq

        monkeypatch.setattr(IdentityStore, "apply", naive)
    elif mutant == "no_recognition_of_resent_copies":
        store = Traffic._at_center

        def no_recognition(self: Traffic, msg: Any, t: float) -> None:
            if not isinstance(msg, Relay):
                msg.at_center = float("nan")
            store(self, msg, t)

        monkeypatch.setattr(Traffic, "_at_center", no_recognition)
    elif mutant == "old_code_kept":
        monkeypatch.setattr(CodeAuthority, "change", lambda self, lg, old: self.issue(lg))
    else:
        add = AccessLog.add

        def unlogged(self: AccessLog, t: float, node: str, operator: int, action: str, code: int, ref: int) -> None:
            if action != "forward":
                add(self, t, node, operator, action, code, ref)

        monkeypatch.setattr(AccessLog, "add", unlogged)
    _caught(Network, {"old_code_kept": "C07", "forward_unlogged": "C09"}.get(mutant, "C16"))

"""Traffic over the network in a run: notifications of register changes (CS -> prefecture ->
center; Art. 30-5, 30-11; C16) and CS-to-CS messages relayed through it, over the store-and-
forward links of model.sim.messages.  A component of the engine: it owns the links, the
messages in flight, the prefecture and center stores and the notification records; it reaches
other parts only through what it is given (the access log, the counters, the operator desk, and a
callback for each notification stored at the center)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import simpy

from jukinet.model.config.schema import Config
from jukinet.model.law.policy import Policy, Request, decide
from jukinet.model.sim.accesslog import AccessLog
from jukinet.model.sim.counts import Counts
from jukinet.model.sim.faults import LinkFaults, Window, links_of, windows
from jukinet.model.sim.messages import IdentityStore, Link, Notification, Relay
from jukinet.model.sim.records import Buffer, Sink
from jukinet.model.sim.writers import notifications_batch, relays_table
from jukinet.model.world.calendar import FiscalCalendar


class Traffic:
    """Sends and receives over the links; records every notification and relay."""

    def __init__(
        self,
        env: simpy.Environment,
        cfg: Config,
        policy: Policy,
        lg: Sequence[str],
        pref_codes: Sequence[str],
        pref_of: np.ndarray,
        code: np.ndarray,
        log: AccessLog,
        counts: Counts,
        operator: Callable[[float, int], int],
        records: Path,
        asked: np.ndarray | None = None,
    ) -> None:
        self.lg, self.pref_of, self.log, self.counts, self.operator = list(lg), pref_of, log, counts, operator
        # per resident row a uniform draw: in a municipality withholding a share of its residents, those whose
        # draw is below the share asked to be withheld (drawn by the engine from the run's generator)
        self.asked_u = asked if asked is not None else np.empty(0)
        self.env = env
        self.cal = FiscalCalendar.of(cfg.scenario.fiscal_year)  # notifications are counted by calendar month
        self._code = code  # the residents' codes, read when a change is notified
        self.cs_node = [f"cs:{x}" for x in lg]
        self.pref_node = [f"pref:{p}" for p in pref_codes]
        self.on_center: Callable[[Notification, float], None] = lambda _msg, _t: None
        items = frozenset(policy.messages["notification"].items) if "notification" in policy.messages else frozenset()
        self.items = ",".join(sorted(items))
        self.pref_store = [IdentityStore(n, policy.stores.get("prefecture", frozenset())) for n in self.pref_node]
        self.center_store = IdentityStore("center", policy.stores.get("center", frozenset()))
        # the policy does not change during a run (model.config.timeline changes no rule): what each CS may notify
        notify = [
            Request(requester=n, action="notify", node="cs", items=items, operator_authenticated=True, operator_in_scope=True)
            for n in self.cs_node
        ]
        self.notify_permitted = [decide(policy, r).allowed for r in notify]
        self.reconfigure(cfg)
        # the prefecture server forwards by a system process: no operator's card is in it (defaults.toml's rule note)
        forward = [
            Request(
                requester=n,
                action="forward",
                node="prefecture",
                items=items,
                operator_authenticated=False,
                operator_in_scope=False,
            )
            for n in self.pref_node
        ]
        self.forward_ok = [decide(policy, r).allowed for r in forward]
        lk = cfg.links

        def links(direction: str, names: list[str], arrive: Callable[[Notification | Relay, float], None]) -> list[Link]:
            return [Link(env, n, lk.latency_s, lk.retry_s, arrive) for n in names]

        self.up_cs = links("up_cs", self.cs_node, self._at_prefecture)
        self.up_pref = links("up_pref", self.pref_node, self._at_center)
        self.down_pref = links("down_pref", self.pref_node, self._relay_at_prefecture)  # type: ignore[arg-type]
        self.down_cs = links("down_cs", self.cs_node, self._relay_arrived)  # type: ignore[arg-type]
        self.poisoned: dict[int, Window] = {}  # CS -> its poison window
        self.skewed: dict[int, Window] = {}  # CS -> its clock skew window
        self.quarantine: dict[int, list[Notification]] = {}  # CS -> its notifications held by its prefecture
        self.windows: list[Window] = []
        self.drain: list[float] = []  # per fault: seconds after its end until what it delayed arrived
        for w in windows(cfg):
            self.add_fault(w)
        self.seq_of: dict[int, int] = {}  # resident row -> its last change number
        self.sent_seq: dict[int, int] = {}  # resident row -> its last change number sent on to the center
        self.routed = [0] * len(self.pref_node)  # notifications sent to each prefecture server
        self.expected_at_center = 0
        self.duplicates_suppressed = 0
        self.notes: list[Notification] = []  # not yet written: written in id order once settled
        self.note_count = 0
        self.note_by_change: dict[str, list[int]] = {}  # change -> notifications per fiscal month
        self.note_buf = Buffer("notifications")
        self.note_sink = Sink(records / "notifications.parquet")
        self.relays: list[Relay] = []

    def reconfigure(self, cfg: Config) -> None:
        """The units connected and the municipalities withholding as `cfg` says: as the run starts and on
        the date of each change of the scenario's timeline (model.config.timeline; C16)."""
        org = cfg.organisation
        self.withholding = {self.lg.index(x): org.withholding_share.get(x, 1.0) for x in org.withholding}  # CS -> share
        if any(0 < v < 1 for v in self.withholding.values()) and len(self.asked_u) < len(self._code):
            raise ValueError("a share of residents withheld needs the residents' draws (Traffic(asked=...))")
        self.disconnected = {self.lg.index(x) for x in cfg.network.disconnected}
        self.notify_ok = [ok and self.withholding.get(i, 0.0) < 1.0 for i, ok in enumerate(self.notify_permitted)]

    def add_fault(self, w: Window) -> None:
        """A fault window (model.sim.faults), from the scenario as the run starts or, in a test, later
        (but not before now): its links go down, flap or slow, a crashed receiver's last
        acknowledgement is lost, a CS's notifications are garbled or its clock skewed."""
        now = float(self.env.now)
        self.windows.append(w)
        self.drain.append(0.0)
        ends = {"up_cs": self.cs_node, "up_pref": self.pref_node, "down_pref": self.pref_node, "down_cs": self.cs_node}
        for direction, node, crashes in links_of(w, self.cs_node, self.pref_node, [int(p) for p in self.pref_of]):
            link = self._links[direction][ends[direction].index(node)]
            if link.faults is None:
                link.faults = LinkFaults()
            link.faults.add(w)
            if crashes:
                self.env.timeout(max(w.start - now, 0.0)).callbacks.append(link.receiver_crashed)
        if w.kind == "poison":
            i = self.cs_node.index(w.where)
            self.poisoned[i] = w
            self.env.timeout(max(w.end - now, 0.0)).callbacks.append(functools.partial(self._fixed, i, w))
        elif w.kind == "skew":
            self.skewed[self.cs_node.index(w.where)] = w

    @property
    def _links(self) -> dict[str, list[Link]]:
        return {"up_cs": self.up_cs, "up_pref": self.up_pref, "down_pref": self.down_pref, "down_cs": self.down_cs}

    # -- sending -----------------------------------------------------------------------------------
    def notify(self, t: float, row: int, muni: int, change: str) -> None:
        """The CS records a change and, if the policy permits, notifies it upward (Art. 30-5; C16)."""
        op = self.operator(t, muni)
        code = int(self._code[row])
        seq = self.seq_of[row] = self.seq_of.get(row, 0) + 1
        share = self.withholding.get(muni, 0.0)
        if not self.notify_ok[muni] or (0 < share < 1 and self.asked_u[row] < share):  # withheld: the resident asked (C16)
            self.counts.add("notifications_withheld")
            self.log.add(t, self.cs_node[muni], op, "withhold", code, -1)
            return
        skew = self.skewed.get(muni)
        clock = t + skew.skew_s if skew is not None and skew.start <= t < skew.end else t  # the CS clock's reading
        msg = Notification(self.note_count, clock, muni, int(self.pref_of[muni]), row, code, change, op, seq, t)
        poison = self.poisoned.get(muni)
        msg.garbled = poison is not None and poison.start <= t < poison.end
        self.note_count += 1
        self.notes.append(msg)
        months = self.note_by_change.get(change)
        if months is None:
            months = self.note_by_change[change] = [0] * 12
        months[self.cal.month_of(t)] += 1
        self.log.add(t, self.cs_node[muni], op, "notify", msg.code, msg.id)
        if muni in self.disconnected:
            self.counts.add("notifications_not_sent_disconnected")
            msg.settled = True
            return
        self.routed[msg.pref] += 1
        if self.forward_ok[msg.pref]:
            self.expected_at_center += 1
            self.sent_seq[row] = seq
        self.up_cs[muni].send(msg)

    def relay(self, t: float, kind: str, src: int, dst: int, code: int) -> None:
        """Send a CS-to-CS message through the network (store-and-forward on every hop)."""
        msg = Relay(len(self.relays), kind, t, src, dst, code)
        self.relays.append(msg)
        self.log.add(t, self.cs_node[src], -1, kind, code, msg.id)
        if src in self.disconnected or dst in self.disconnected:
            self.counts.add("relays_not_sent_disconnected")
            return
        self.up_cs[src].send(msg)

    # -- receiving ---------------------------------------------------------------------------------
    def _relay_up(self, msg: Relay, t: float) -> None:
        """A relay reached its sender's prefecture server: down to the CS if local, else up to the center."""
        p = int(self.pref_of[msg.src])
        if self.pref_of[msg.dst] == p:
            self.down_cs[msg.dst].send(msg)
        else:
            self.up_pref[p].send(msg)

    def _relay_at_prefecture(self, msg: Relay, t: float) -> None:
        self.down_cs[msg.dst].send(msg)

    def _relay_arrived(self, msg: Relay, t: float) -> None:
        if msg.arrived == msg.arrived:  # already here: a copy sent again after a crash
            self.duplicates_suppressed += 1
            return
        msg.arrived = t
        self._drained(msg.time, t)
        self.counts.add("relays_arrived")
        self.log.add(t, self.cs_node[msg.dst], -1, "receive", msg.code, msg.id)

    def _at_prefecture(self, msg: Notification | Relay, t: float) -> None:
        if isinstance(msg, Relay):
            self._relay_up(msg, t)
            return
        if msg.at_prefecture == msg.at_prefecture:  # already stored: sent again after a crash
            self.duplicates_suppressed += 1
            return
        if msg.garbled and msg.cs not in self.poisoned:  # garbled, but the fix came while it was on its way
            msg.garbled = False
        if msg.held:  # already held: sent again after a crash
            self.duplicates_suppressed += 1
            return
        if msg.garbled or msg.cs in self.quarantine:  # a poison batch: held, and all after it, until the fix
            self.quarantine.setdefault(msg.cs, []).append(msg)
            msg.held = True
            self.counts.add("notifications_quarantined")
            self.log.add(t, self.pref_node[msg.pref], -1, "quarantine", msg.code, msg.id)
            return
        self._store_at_prefecture(msg, t)

    def _fixed(self, cs: int, w: Window, _event: object = None) -> None:
        """The fix for a poisoned CS: its held notifications, corrected, are replayed in order (unless a
        later poison window of the same CS still holds them: its own fix replays them)."""
        if self.poisoned.get(cs) is not w:
            return
        t = float(self.env.now)
        del self.poisoned[cs]
        for msg in self.quarantine.pop(cs, []):
            msg.held = False
            msg.garbled = False
            self._store_at_prefecture(msg, t)

    def _store_at_prefecture(self, msg: Notification, t: float) -> None:
        msg.at_prefecture = t
        self.counts.add("notifications_at_prefecture")
        self.pref_store[msg.pref].apply(msg)
        node = self.pref_node[msg.pref]
        self.log.add(t, node, -1, "store", msg.code, msg.id)
        if self.forward_ok[msg.pref]:
            self.log.add(t, node, -1, "forward", msg.code, msg.id)
            self.up_pref[msg.pref].send(msg)
        else:
            msg.settled = True

    def _at_center(self, msg: Notification | Relay, t: float) -> None:
        if isinstance(msg, Relay):  # relayed on, not stored (C01)
            self.down_pref[int(self.pref_of[msg.dst])].send(msg)
            return
        if msg.at_center == msg.at_center:  # already stored: sent again after a crash
            self.duplicates_suppressed += 1
            return
        msg.at_center = t
        msg.settled = True
        self._drained(msg.created, t)
        self.counts.add("notifications_at_center")
        self.center_store.apply(msg)
        self.log.add(t, "center", -1, "store", msg.code, msg.id)
        self.on_center(msg, t)

    def _drained(self, created: float, t: float) -> None:
        for i, w in enumerate(self.windows):
            if created < w.end < t:
                self.drain[i] = max(self.drain[i], t - w.end)

    # -- after the run ------------------------------------------------------------------------------
    def reconcile(self) -> dict[str, object]:
        """After the drain: every change the register sent on at the center once, in order; the stores
        against what was routed to them; each fault's drain time."""
        center = self.center_store
        stored = self.counts.events.get("notifications_at_center", 0)
        pref_applied = [sum(s.applied.values()) for s in self.pref_store]
        held = sum(len(q) for q in self.quarantine.values())
        return {
            "lost": self.expected_at_center - stored,
            "duplicated": center.duplicated + sum(s.duplicated for s in self.pref_store),
            "duplicates_suppressed": self.duplicates_suppressed,
            "resent_after_crash": sum(lk.resent for lk in self.up_cs + self.up_pref + self.down_pref + self.down_cs),
            "late_arrivals": center.late,
            "stale": sum(1 for row, s in self.sent_seq.items() if center.seq.get(row, 0) != s),
            "mismatched": sum(abs(a - r) for a, r in zip(pref_applied, self.routed, strict=True)) + held,
            "quarantined": self.counts.events.get("notifications_quarantined", 0),
            "windows": [
                {"kind": w.kind, "where": w.where, "start_s": w.start, "end_s": w.end, "drain_seconds": d}
                for w, d in zip(self.windows, self.drain, strict=True)
            ],
        }

    # -- records -----------------------------------------------------------------------------------
    @property
    def retries(self) -> int:
        return sum(lk.retries for lk in self.up_cs + self.up_pref + self.down_pref + self.down_cs)

    def flush_notes(self, final: bool = False) -> None:
        """Write the settled notifications at the head of the queue (all of them at the end)."""
        k = 0
        while k < len(self.notes) and (final or self.notes[k].settled):
            k += 1
        if k:
            notifications_batch(self.note_buf, self.note_sink, self.lg, self.items, self.notes[:k])
            del self.notes[:k]

    def close(self) -> pa.Table:
        """Write the last notifications; the relays' table."""
        self.flush_notes(final=True)
        self.note_sink.close(Buffer("notifications").to_arrow())
        return relays_table(self.relays, self.lg)

"""Traffic over the network in a run: notifications of register changes (CS -> prefecture ->
center; Art. 30-5, 30-11; C16) and CS-to-CS messages relayed through it, over the store-and-
forward links of model.sim.messages (a mixin of `model.sim.engine.Simulation`, which holds the state)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from model.sim.messages import Link, Notification, Relay
from model.world.calendar import MONTH

if TYPE_CHECKING:
    from model.sim.accesslog import AccessLog
    from model.sim.card import Card, JPKIAuthority
    from model.sim.messages import IdentityStore
    from model.sim.records import Buffer
    from model.sim.residents import Residents

REVOKING = {"death", "move_in", "move_out", "move_within", "name"}  # changes that lapse a JPKI certificate


class NetworkTraffic:
    """Sending and receiving over the links; the attributes below are the simulation's."""

    res: Residents
    lg: list[str]
    cs_node: list[str]
    pref_node: list[str]
    notify_ok: list[bool]
    forward_ok: list[bool]
    pref_of: np.ndarray
    disconnected: set[int]
    counts: Any
    log: AccessLog
    buf: dict[str, Buffer]
    cards: dict[int, Card]
    jpki: JPKIAuthority
    notes: list[Notification]
    note_count: int
    note_by_change: dict[str, list[int]]
    relays: list[Relay]
    up_cs: list[Link]
    up_pref: list[Link]
    down_pref: list[Link]
    down_cs: list[Link]
    pref_store: list[IdentityStore]
    center_store: IdentityStore
    _operator: Callable[[float, int], int]

    def _notify(self, t: float, row: int, muni: int, change: str) -> None:
        """The CS records a change and, if the policy permits, notifies it upward (Art. 30-5; C16)."""
        op = self._operator(t, muni)
        if not self.notify_ok[muni]:
            self.counts.add("notifications_withheld")
            self.log.add(t, self.cs_node[muni], op, "withhold", int(self.res.code[row]), -1)
            return
        msg = Notification(self.note_count, t, muni, int(self.pref_of[muni]), row, int(self.res.code[row]), change, op)
        self.note_count += 1
        self.notes.append(msg)
        months = self.note_by_change.get(change)
        if months is None:
            months = self.note_by_change[change] = [0] * 12
        months[min(int(t // MONTH), 11)] += 1
        self.log.add(t, self.cs_node[muni], op, "notify", msg.code, msg.id)
        if muni in self.disconnected:
            self.counts.add("notifications_not_sent_disconnected")
            msg.settled = True
            return
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
        msg.arrived = t
        self.counts.add("relays_arrived")
        self.log.add(t, self.cs_node[msg.dst], -1, "receive", msg.code, msg.id)

    def _at_prefecture(self, msg: Notification | Relay, t: float) -> None:
        if isinstance(msg, Relay):
            self._relay_up(msg, t)
            return
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
        msg.at_center = t
        msg.settled = True
        self.counts.add("notifications_at_center")
        self.center_store.apply(msg)
        self.log.add(t, "center", -1, "store", msg.code, msg.id)
        card = self.cards.get(msg.resident)
        if msg.change in REVOKING and card is not None and card.chip.certificate is not None:
            self.jpki.revoke(card.chip.certificate, t)  # change notice to the certification body (Art. 30-11(9))
            self.buf["cards"].add(time=t, code=msg.code, event="revoke", detail=f"{msg.change} reached the center")
            self.counts.add("jpki_revoked")

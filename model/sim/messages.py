"""The network in the simulation: store-and-forward links with acknowledgements and retries, and
the nodes that keep identity information (prefecture servers, the center).

Every register change a CS records becomes a notification (Art. 30-5; C16) that travels
CS -> prefecture server -> center (Art. 30-11).  Each hop is a `Link`: a FIFO queue, one message
in flight, delivery after the link latency, acknowledged on delivery; while the link is down
(a configured fault, model/sim/faults.py) the sender keeps the message and retries, so nothing is
lost; when a receiver crashes before acknowledging, the sender sends the message again and the
receiver recognises it (by its id), so nothing is stored twice.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import simpy

from jukinet.model.sim.faults import LinkFaults


@dataclass(slots=True)
class Notification:
    """A register change on its way up (schema 'notification')."""

    id: int
    time: float
    cs: int  # municipality index
    pref: int  # prefecture index
    resident: int  # row in the resident table
    code: int
    change: str
    operator: int = -1  # the authenticated CS operator who entered the change
    seq: int = 0  # the resident's change number: stores apply a resident's changes in this order
    created: float = float("nan")  # when the CS recorded it (`time` is the CS clock's reading)
    garbled: bool = False  # a poison fault garbled it; the prefecture quarantines it until the fix
    held: bool = False  # in quarantine at its prefecture
    tries: int = 0
    at_prefecture: float = float("nan")  # when the prefecture server stored it
    at_center: float = float("nan")  # when the center stored it
    settled: bool = False  # stored at the center, or known to go no further


@dataclass(slots=True)
class Relay:
    """A CS-to-CS message relayed through the network (CS -> prefecture -> [center -> prefecture] -> CS):
    the move-in notice to the old municipality (転入通知, schema 'transfer_notice') or a resident
    record for a wide-area copy (schema 'wide_area_copy').  Relayed, never stored on the way."""

    id: int
    kind: str
    time: float
    src: int  # municipality index
    dst: int
    code: int
    tries: int = 0
    arrived: float = float("nan")


class Link:
    """A store-and-forward hop: FIFO queue, one message in flight, acknowledgement, retry while down.

    Event callbacks rather than a process per link: one timeout per send attempt.
    """

    def __init__(
        self,
        env: simpy.Environment,
        name: str,
        latency: float,
        retry: float,
        deliver: Callable[[Any, float], None],
        faults: LinkFaults | None = None,
    ) -> None:
        self.env, self.name, self.latency, self.retry = env, name, latency, retry
        self.deliver = deliver
        self.faults = faults
        self.queue: deque[Notification | Relay] = deque()
        self.busy = False
        self.sent = 0
        self.retries = 0
        self.resent = 0  # messages sent again because the receiver crashed before acknowledging
        self.last: tuple[Notification | Relay, float] | None = None  # the last delivery

    def send(self, msg: Notification | Relay) -> None:
        self.queue.append(msg)
        if not self.busy:
            self.busy = True
            self._attempt()

    def is_up(self, t: float) -> bool:
        return self.faults is None or self.faults.is_up(t)

    def _attempt(self, _event: Any = None) -> None:
        self.queue[0].tries += 1
        factor = self.faults.latency_factor(self.env.now) if self.faults else 1.0
        self.env.timeout(self.latency * factor).callbacks.append(self._arrived)

    def receiver_crashed(self, _event: Any = None) -> None:
        """The receiver crashed: what it received in the last retry interval was never acknowledged."""
        if self.last is not None and self.env.now - self.last[1] <= self.retry:
            self.queue.appendleft(self.last[0])
            self.resent += 1
            self.last = None
            if not self.busy:
                self.busy = True
                self._attempt()

    def _arrived(self, _event: Any) -> None:
        if not self.is_up(self.env.now):
            self.retries += 1  # no acknowledgement: keep the message, try again later
            self.env.timeout(self.retry).callbacks.append(self._attempt)
            return
        msg = self.queue.popleft()
        self.last = (msg, self.env.now)
        self.deliver(msg, self.env.now)  # the receiver stores it; delivery is the acknowledgement
        self.sent += 1
        if self.queue:
            self._attempt()
        else:
            self.busy = False


class IdentityStore:
    """What a prefecture server or the center keeps: per resident, the number of changes applied and
    the change history, only for the configured items (C01)."""

    def __init__(self, name: str, items: frozenset[str]) -> None:
        self.name = name
        self.items = items
        self.applied: dict[int, int] = {}  # resident row -> changes applied
        self.seq: dict[int, int] = {}  # resident row -> the newest change number held
        self.history = 0  # superseded/deleted versions retained
        self.late = 0  # changes that arrived after a newer one of the same resident (kept as history only)
        self.duplicated = 0  # notifications applied a second time (the receivers recognise resent ones: 0)
        self._seen = bytearray()  # notification id -> applied

    def apply(self, msg: Notification) -> None:
        """Keep the change; it becomes the resident's current state only if it is newer than what is held,
        so no older state ever overwrites a newer one, whatever order the network delivers them in."""
        if msg.id >= len(self._seen):
            self._seen.extend(bytes(max(msg.id + 1 - len(self._seen), len(self._seen))))
        if self._seen[msg.id]:
            self.duplicated += 1
        self._seen[msg.id] = 1
        self.applied[msg.resident] = self.applied.get(msg.resident, 0) + 1
        self.history += 1
        if msg.seq > self.seq.get(msg.resident, 0):
            self.seq[msg.resident] = msg.seq
        else:
            self.late += 1

"""The network in the simulation: store-and-forward links with acknowledgements and retries, and
the nodes that keep identity information (prefecture servers, the center).

Every register change a CS records becomes a notification (Art. 30-5; C16) that travels
CS -> prefecture server -> center (Art. 30-11).  Each hop is a `Link`: a FIFO queue, one message
in flight, delivery after the link latency, acknowledged on delivery; while the link is down
(a configured fault) the sender keeps the message and retries, so nothing is lost and nothing
is delivered twice.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import simpy


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
        down: list[tuple[float, float]],
    ) -> None:
        self.env, self.name, self.latency, self.retry = env, name, latency, retry
        self.deliver = deliver
        self.down = sorted(down)
        self.queue: deque[Notification | Relay] = deque()
        self.busy = False
        self.sent = 0
        self.retries = 0

    def send(self, msg: Notification | Relay) -> None:
        self.queue.append(msg)
        if not self.busy:
            self.busy = True
            self._attempt()

    def is_up(self, t: float) -> bool:
        return not any(a <= t < b for a, b in self.down)

    def _attempt(self, _event: Any = None) -> None:
        self.queue[0].tries += 1
        self.env.timeout(self.latency).callbacks.append(self._arrived)

    def _arrived(self, _event: Any) -> None:
        if self.down and not self.is_up(self.env.now):
            self.retries += 1  # no acknowledgement: keep the message, try again later
            self.env.timeout(self.retry).callbacks.append(self._attempt)
            return
        msg = self.queue.popleft()
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
        self.history = 0  # superseded/deleted versions retained

    def apply(self, msg: Notification) -> None:
        self.applied[msg.resident] = self.applied.get(msg.resident, 0) + 1
        self.history += 1

"""The network in the simulation: store-and-forward links with acknowledgements and retries, and
the nodes that keep identity information (prefecture servers, the center).

Every register change a CS records becomes a notification (Art. 30-5; C16) that travels
CS -> prefecture server -> center (Art. 30-11).  Each hop is a `Link`: a FIFO queue, one message
in flight, delivery after the link latency, acknowledged on delivery; while the link is down
(a configured fault) the sender keeps the message and retries, so nothing is lost and nothing
is delivered twice.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
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
    tries: int = 0


class Link:
    """A store-and-forward hop: queue, send, acknowledgement, retry while down."""

    def __init__(
        self,
        env: simpy.Environment,
        name: str,
        latency: float,
        retry: float,
        deliver: Callable[[Notification, float], None],
        down: list[tuple[float, float]],
    ) -> None:
        self.env, self.name, self.latency, self.retry = env, name, latency, retry
        self.deliver = deliver
        self.down = sorted(down)
        self.queue: simpy.Store = simpy.Store(env)
        self.sent = 0
        self.retries = 0
        env.process(self._run())

    def send(self, msg: Notification) -> None:
        self.queue.put(msg)

    def is_up(self, t: float) -> bool:
        return not any(a <= t < b for a, b in self.down)

    def _run(self) -> Generator[Any, Any, None]:
        while True:
            msg = yield self.queue.get()
            while True:
                msg.tries += 1
                yield self.env.timeout(self.latency)
                if self.is_up(self.env.now):
                    self.deliver(msg, self.env.now)  # the receiver stores it; delivery is the acknowledgement
                    self.sent += 1
                    break
                self.retries += 1
                yield self.env.timeout(self.retry)


class IdentityStore:
    """What a prefecture server or the center keeps: per resident, the number of changes applied and
    the change history (kept `retention` years), only for the configured items (C01)."""

    def __init__(self, name: str, items: frozenset[str]) -> None:
        self.name = name
        self.items = items
        self.applied: dict[int, int] = {}  # resident row -> changes applied
        self.history = 0  # superseded/deleted versions retained

    def apply(self, msg: Notification) -> None:
        self.applied[msg.resident] = self.applied.get(msg.resident, 0) + 1
        self.history += 1

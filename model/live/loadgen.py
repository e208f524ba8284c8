"""The live load test: a bounded pool of TLS connections, each a requester with its own client certificate,
driven by open-loop arrivals (model.live.workmix); each request's latency measured from its planned arrival
(a late send counts against the center: no coordinated omission), the server's own service time read from
each answer.  Every loop is bounded: the arrivals by the plan, the run by its duration and a drain period,
each request by a timeout, reconnections by a count.  Only the address given is contacted.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from jukinet.model.core.errors import Aborted
from jukinet.model.law.policy import Policy
from jukinet.model.live.client import Connection
from jukinet.model.live.register import Register
from jukinet.model.live.workmix import Mix, Plan

REQUEST_TIMEOUT_S = 30.0
DRAIN_S = 30.0  # after the last arrival, how long answers are awaited
QUEUE_BOUND = 50_000  # arrivals waiting for a free connection; beyond it an arrival is dropped and counted
RECONNECTS = 3  # per connection


@dataclass
class Outcome:
    """What came back, per request kind: latencies (s), the server's service times (s), answers by type."""

    latency: dict[str, list[float]] = field(default_factory=dict)
    service: dict[str, list[float]] = field(default_factory=dict)
    answers: dict[str, dict[str, int]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, latency: float, answer: dict[str, Any]) -> None:
        self.latency.setdefault(kind, []).append(latency)
        s = answer.get("service_s")
        if isinstance(s, float | int):
            self.service.setdefault(kind, []).append(float(s))
        a = self.answers.setdefault(kind, {})
        t = str(answer.get("type"))
        a[t] = a.get(t, 0) + 1

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1


@dataclass(frozen=True)
class Target:
    address: str
    certs: Path
    connections: int


class Driver:
    """Sends a plan's arrivals through a pool of requester connections."""

    def __init__(
        self, target: Target, policy: Policy, mix: Mix, reg: Register, bodies: list[str], rng: np.random.Generator
    ) -> None:
        self.target, self.policy, self.mix, self.reg, self.rng = target, policy, mix, reg, rng
        self.out = Outcome()
        batch_p = float(mix.p[mix.kinds.index("batch:existence_check")])
        batchers = [b for b in bodies if set(policy.bodies[b].affairs) & policy.batch_affairs]
        n = target.connections
        n_batch = 0 if batch_p == 0 or not batchers else max(1, min(n - (batch_p < 1), round(n * batch_p)))
        self.pool = [(batchers[i % len(batchers)], True) for i in range(n_batch)]
        self.pool += [(bodies[i % len(bodies)], False) for i in range(n - n_batch)]
        self.queues = {True: asyncio.Queue[tuple[float, int, int] | None](QUEUE_BOUND)}
        self.queues[False] = self.queues[True] if n_batch == n else asyncio.Queue(QUEUE_BOUND)
        if n_batch == 0:
            self.queues[True] = self.queues[False]
        every = sorted({a for b in policy.bodies.values() for a in b.affairs})
        self.affairs = {b: list(policy.bodies[b].affairs) for b in bodies}
        self.batch_affairs = {b: sorted(set(self.affairs[b]) & policy.batch_affairs) for b in bodies}
        self.foreign = {b: [a for a in every if a not in self.affairs[b]] or ["A9-999"] for b in bodies}
        self.start = 0.0

    def message(self, body: str, kind: str, row: int, rid: int) -> dict[str, Any]:
        r = self.reg.row(row)
        pick = self.rng.integers
        if kind.startswith("interactive:"):
            keys = kind.split(":", 1)[1].split(",")
            aff = self.affairs[body]
            return {"type": "provision_request", "id": rid, "affair": aff[int(pick(len(aff)))], "keys": {k: r[k] for k in keys}}
        if kind.startswith("batch:"):
            aff = self.batch_affairs[body] or self.affairs[body]
            msg = {"type": "provision_request", "id": rid, "affair": aff[int(pick(len(aff)))], "mode": "batch"}
            return {**msg, "keys": {"code": r["code"]}}
        foreign = self.foreign[body]
        return {"type": "provision_request", "id": rid, "affair": foreign[int(pick(len(foreign)))], "keys": {"code": r["code"]}}

    async def _worker(self, body: str, batch: bool) -> None:
        queue = self.queues[batch]
        conn: Connection | None = None
        left = RECONNECTS
        try:
            while (item := await queue.get()) is not None:
                due, kind_i, row = item
                kind = self.mix.kinds[kind_i]
                try:
                    if conn is None:
                        conn = await Connection.open(self.target.address, self.target.certs, body)
                    answer = await conn.ask(self.message(body, kind, row, kind_i), REQUEST_TIMEOUT_S)
                except (OSError, TimeoutError, ConnectionError, asyncio.IncompleteReadError, ValueError) as exc:
                    self.out.error(f"{type(exc).__name__}")
                    if conn is not None:
                        await conn.close()
                    conn = None
                    left -= 1
                    if left < 0:
                        return
                    continue
                self.out.add(kind, time.perf_counter() - self.start - due, answer)
        finally:
            if conn is not None:
                await conn.close()

    async def _dispatch(self, p: Plan) -> None:
        """Each arrival into its class's queue at its time (a full queue drops and counts it)."""
        batch_i = self.mix.kinds.index("batch:existence_check")
        i, n = 0, len(p.times)
        while i < n:
            now = time.perf_counter() - self.start
            due = int(np.searchsorted(p.times, now, side="right"))
            for j in range(i, max(due, i)):
                try:
                    self.queues[bool(p.kinds[j] == batch_i)].put_nowait((float(p.times[j]), int(p.kinds[j]), int(p.subjects[j])))
                except asyncio.QueueFull:
                    self.out.error("dropped: client queue full")
            i = max(due, i)
            if i < n:
                await asyncio.sleep(min(max(float(p.times[i]) - now, 0.0), 0.05))

    async def run(self, p: Plan, duration: float) -> float:
        """Send the plan; the seconds it took (arrivals and the drain)."""
        await self._probe()
        self.start = time.perf_counter()
        workers = [asyncio.create_task(self._worker(b, batch)) for b, batch in self.pool]
        await self._dispatch(p)
        for q in {id(q): q for q in self.queues.values()}.values():
            for _ in workers:
                await q.put(None)
        _, late = await asyncio.wait(workers, timeout=max(0.0, duration - (time.perf_counter() - self.start)) + DRAIN_S)
        for t in late:
            t.cancel()
        await asyncio.gather(*late, return_exceptions=True)
        if late:
            self.out.errors["unanswered at the drain's end"] = sum(q.qsize() for q in self.queues.values()) + len(late)
        return time.perf_counter() - self.start

    async def _probe(self) -> None:
        """One connection first: a refused handshake or a wrong address stops the test in one line."""
        body = self.pool[0][0]
        try:
            conn = await Connection.open(self.target.address, self.target.certs, body)
            answer = await conn.ask({"type": "hello"}, 10.0)
            await conn.close()
        except (OSError, TimeoutError, ConnectionError, asyncio.IncompleteReadError) as exc:
            raise Aborted(
                f"the center at {self.target.address} did not answer a hello as {body} ({type(exc).__name__}: {exc})"
            ) from None
        if answer.get("type") != "info":
            raise Aborted(f"the center at {self.target.address} answered the hello with {answer.get('type')!r}")


async def hello(address: str, certs: Path, requester: str) -> dict[str, Any]:
    """What the center serves (scenario, scale, seed, schemas), asked as one requester."""
    try:
        conn = await Connection.open(address, certs, requester)
        try:
            return await conn.ask({"type": "hello"}, 10.0)
        finally:
            await conn.close()
    except (OSError, TimeoutError, ConnectionError, asyncio.IncompleteReadError) as exc:
        raise Aborted(f"no answer from the center at {address} ({type(exc).__name__}: {exc})") from None


def drive(
    target: Target, policy: Policy, mix: Mix, reg: Register, bodies: list[str], p: Plan, duration: float, seed: int
) -> tuple[Outcome, float]:
    """Run the load test in a new event loop: the outcome and the seconds it took."""

    async def go() -> tuple[Outcome, float]:
        d = Driver(target, policy, mix, reg, bodies, np.random.default_rng(seed))
        took = await d.run(p, duration)
        return d.out, took

    return asyncio.run(go())

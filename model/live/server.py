"""The live center as a server process: asyncio streams, upgraded to mutual TLS 1.3 (model.live.tls), the
length-prefixed protocol (model.live.frames), each request through the desk (model.live.desk).

Bounds: at most `max_connections` connections (one more is closed at once), one request in flight per
connection (the next frame is read after the answer), at most `log_slots` log entries waiting for their
batch (a request waits for a slot before it is decided: the backlog cannot grow without end), a handshake
and every frame within their timeouts.  An answer leaves only after its log entries are fsynced
(model.live.ledger: group commit, one fsync per batch).  A bad certificate, a truncated, late or oversized
frame is named in one line and its connection dropped; the server goes on serving.  SIGINT and SIGTERM stop
it cleanly: no new connection, the log's last batch written, the chain head and the Parquet copy written.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jukinet.model.live.desk import Desk
from jukinet.model.live.frames import FrameError, read_frame, write_frame
from jukinet.model.live.ledger import Entry, Ledger
from jukinet.model.live.tls import peer_name

HANDSHAKE_TIMEOUT_S = 10.0


@dataclass
class Limits:
    max_connections: int = 256
    log_slots: int = 4096  # log entries waiting for their batch's fsync, at most
    log_batch: int = 2048  # entries per fsync, at most
    frame_timeout_s: float = 10.0


@dataclass
class Counters:
    connections: int = 0
    refused_connections: int = 0  # over the limit
    bad_certificates: int = 0
    bad_frames: int = 0
    requests: int = 0
    service_s: float = 0.0
    started: float = field(default_factory=time.time)


class CenterServer:
    """The provision service on one address: `await serve()` until `stop()` (or SIGINT / SIGTERM)."""

    def __init__(
        self,
        desk: Desk,
        ledger: Ledger,
        ctx: ssl.SSLContext,
        host: str,
        port: int,
        limits: Limits | None = None,
        say: Callable[[str], None] = print,
    ) -> None:
        self.desk, self.ledger, self.ctx, self.host, self.port = desk, ledger, ctx, host, port
        self.limits = limits or Limits()
        self.say = say
        self.counters = Counters()
        self.open: set[asyncio.Task[Any]] = set()
        self.pending: list[tuple[list[Entry], list[dict[str, Any]], asyncio.Future[None]]] = []
        self.wake = asyncio.Event()
        self.stopping = asyncio.Event()
        self.slots = asyncio.Semaphore(self.limits.log_slots)
        self.address = ""

    def stop(self) -> None:
        self.stopping.set()

    async def serve(self, ready: Callable[[str], None] | None = None) -> dict[str, Any]:
        """Serve until stopped; the counters and the log head."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, self.stop)
        server = await asyncio.start_server(self._connection, self.host, self.port, limit=2**16, backlog=512)
        sock = server.sockets[0].getsockname()
        self.address = f"{sock[0]}:{sock[1]}" if ":" not in sock[0] else f"[{sock[0]}]:{sock[1]}"
        logger = asyncio.create_task(self._logger())
        if ready is not None:
            ready(self.address)
        try:
            await self.stopping.wait()
        finally:
            server.close()
            for task in list(self.open):
                task.cancel()
            await asyncio.gather(*self.open, return_exceptions=True)
            self.wake.set()
            self.stopping.set()
            await logger
            await server.wait_closed()
            self.ledger.close()
        return self.summary()

    def summary(self) -> dict[str, Any]:
        c, t = self.counters, self.desk.tally
        return {
            "address": self.address,
            "seconds": time.time() - c.started,
            "connections": c.connections,
            "connections_refused_over_limit": c.refused_connections,
            "bad_certificates": c.bad_certificates,
            "bad_frames": c.bad_frames,
            "requests": c.requests,
            "mean_service_s": c.service_s / c.requests if c.requests else None,
            "provided": t.provided,
            "refused": t.refused,
            "not_found": t.not_found,
            "malformed": t.malformed,
            "decided_by_rule": dict(sorted(t.by_rule.items())),
            "log": {"count": self.ledger.count, "head": self.ledger.head.hex(), "batches": self.ledger.batches},
        }

    # -- the access log: group commit -------------------------------------------------------------------
    async def _log(self, entries: list[Entry], rows: list[dict[str, Any]] | None = None) -> None:
        """Queue entries (and their provision rows) for the next batch and wait until they are fsynced (their slots
        already taken)."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.pending.append((entries, rows or [], done))
        self.wake.set()
        await asyncio.shield(done)

    async def _logger(self) -> None:
        """Write what is pending as one batch, fsynced in a thread while the loop serves; until stopped and empty."""
        while True:
            await self.wake.wait()
            self.wake.clear()
            if not self.pending:
                if self.stopping.is_set():
                    return
                continue
            batch, self.pending = self.pending, []
            entries = [e for es, _, _ in batch for e in es]
            rows = [r for _, rs, _ in batch for r in rs]
            for lo in range(0, max(len(entries), 1), self.limits.log_batch):
                await asyncio.to_thread(self.ledger.append, entries[lo : lo + self.limits.log_batch], rows if lo == 0 else [])
            for es, _, done in batch:
                for _ in es:
                    self.slots.release()
                if not done.done():
                    done.set_result(None)
            if self.pending:
                self.wake.set()

    # -- one connection ------------------------------------------------------------------------------
    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        peer = writer.get_extra_info("peername")
        where = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        if len(self.open) >= self.limits.max_connections or self.stopping.is_set() or task is None:
            self.counters.refused_connections += 1
            writer.close()
            return
        self.open.add(task)
        try:
            requester = await self._handshake(writer, where)
            if requester is not None:
                await self._requests(reader, writer, requester, where)
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError) as exc:
            self.say(f"jukinet serve: {where}: connection lost ({type(exc).__name__}); dropped")
        finally:
            self.open.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 1.0)

    async def _handshake(self, writer: asyncio.StreamWriter, where: str) -> str | None:
        """The requester the client certificate names, or None (named in one line) if the handshake fails."""
        try:
            await writer.start_tls(self.ctx, ssl_handshake_timeout=HANDSHAKE_TIMEOUT_S)
        except (ssl.SSLError, ConnectionError, TimeoutError, OSError) as exc:
            self.counters.bad_certificates += 1
            why = getattr(exc, "reason", None) or type(exc).__name__
            self.say(f"jukinet serve: {where}: TLS handshake refused ({why}); connection dropped")
            return None
        requester = peer_name(writer.get_extra_info("ssl_object"))
        if requester is None:
            self.counters.bad_certificates += 1
            self.say(f"jukinet serve: {where}: no client certificate common name; connection dropped")
            return None
        self.counters.connections += 1
        await self.slots.acquire()
        await self._log([self.desk.login(requester)])
        return requester

    async def _requests(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, requester: str, where: str) -> None:
        while True:
            try:
                msg = await read_frame(reader, timeout=self.limits.frame_timeout_s)
            except FrameError as exc:
                self.counters.bad_frames += 1
                self.say(f"jukinet serve: {where} ({requester}): {exc}; connection dropped")
                return
            if msg is None:
                return
            for _ in range(2):  # a request takes two log slots before it is decided (most make one entry, a few two)
                await self.slots.acquire()
            t0 = time.perf_counter()
            answer, entries, rows = self.desk.handle(requester, msg)
            service = time.perf_counter() - t0
            self.counters.requests += 1
            self.counters.service_s += service
            extra = len(entries) - 2
            for _ in range(max(extra, 0)):  # a lookup by the four items can provide several residents
                await self.slots.acquire()
            for _ in range(max(-extra, 0)):
                self.slots.release()
            if entries:
                await self._log(entries, rows)
            answer["service_s"] = service
            await write_frame(writer, answer)


def run(server: CenterServer, ready: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run the server in a new event loop until it is stopped."""
    return asyncio.run(server.serve(ready))

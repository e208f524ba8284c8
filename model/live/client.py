"""A requester's connection to the live center: TLS 1.3 with its client certificate, one request in flight."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from pathlib import Path
from typing import Any

from jukinet.model.core.errors import UserError
from jukinet.model.live.frames import read_frame, write_frame
from jukinet.model.live.tls import client_context

CONNECT_TIMEOUT_S = 10.0


def split_address(address: str) -> tuple[str, int]:
    """HOST:PORT (an IPv6 host in brackets) or one line naming what is allowed."""
    host, sep, port = address.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UserError("ADDRESS", address, "allowed: HOST:PORT, e.g. 127.0.0.1:7443")
    return host, int(port)


class Connection:
    """One requester's TLS connection to the center."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, requester: str) -> None:
        self.reader, self.writer, self.requester = reader, writer, requester

    @staticmethod
    async def open(address: str, certs: Path, requester: str, timeout: float = CONNECT_TIMEOUT_S) -> Connection:
        host, port = split_address(address)
        ctx = client_context(certs, requester)
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, ssl=ctx, server_hostname=host, limit=2**16), timeout
        )
        return Connection(reader, writer, requester)

    async def ask(self, message: dict[str, Any], timeout: float = 30.0) -> dict[str, Any]:
        """Send one message and read its answer."""
        await write_frame(self.writer, message)
        answer = await read_frame(self.reader, timeout=timeout, idle=timeout)
        if answer is None:
            raise ConnectionError("the center closed the connection")
        return answer

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(OSError, TimeoutError, ssl.SSLError):
            await asyncio.wait_for(self.writer.wait_closed(), 2.0)

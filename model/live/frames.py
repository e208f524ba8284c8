"""The live center's application protocol on the wire: a frame is a 4-byte big-endian length and a body of
that many bytes, the body one UTF-8 JSON object (model.live.messages).  No HTTP, SMTP, FTP or Telnet: the
Act's system used none (issue 31).

A frame longer than MAX_FRAME, a stream that ends inside a frame, or a body that is not a JSON object is a
`FrameError`: the server names it in one line and drops the connection.
"""

from __future__ import annotations

import asyncio
import json
import struct
from typing import Any

HEADER = struct.Struct(">I")
MAX_FRAME = 64 * 1024  # bytes of a body: a provision request or answer is well under 2 KiB
READ_TIMEOUT_S = 10.0  # a frame's body must arrive within this once its header has (slowloris)
IDLE_TIMEOUT_S = 120.0  # a connection with no frame for this long is closed


class FrameError(Exception):
    """A frame the protocol refuses: oversized, truncated, late or not a JSON object."""


def encode(message: dict[str, Any]) -> bytes:
    """One message as a frame (length + body)."""
    body = json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    if len(body) > MAX_FRAME:
        raise FrameError(f"frame of {len(body)} bytes exceeds the limit of {MAX_FRAME}")
    return HEADER.pack(len(body)) + body


def decode(body: bytes) -> dict[str, Any]:
    """A frame's body as a message (a JSON object)."""
    try:
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise FrameError("frame body is not UTF-8 JSON") from None
    if not isinstance(value, dict):
        raise FrameError("frame body is not a JSON object")
    return value


async def read_frame(
    reader: asyncio.StreamReader, limit: int = MAX_FRAME, timeout: float = READ_TIMEOUT_S, idle: float = IDLE_TIMEOUT_S
) -> dict[str, Any] | None:
    """The next message, or None at a clean end of stream (between frames): its header within `idle` seconds,
    its body within `timeout` more."""
    try:
        head = await asyncio.wait_for(reader.readexactly(HEADER.size), max(idle, timeout))
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            return None
        raise FrameError(f"truncated frame header ({len(exc.partial)} of {HEADER.size} bytes)") from None
    except TimeoutError:
        raise FrameError(f"no frame within {max(idle, timeout):g} s") from None
    (size,) = HEADER.unpack(head)
    if size > limit:
        raise FrameError(f"oversized frame: {size} bytes announced, limit {limit}")
    try:
        body = await asyncio.wait_for(reader.readexactly(size), timeout)
    except asyncio.IncompleteReadError as exc:
        raise FrameError(f"truncated frame: {len(exc.partial)} of {size} bytes before the stream ended") from None
    except TimeoutError:
        raise FrameError(f"frame body of {size} bytes not complete within {timeout:g} s") from None
    return decode(body)


async def write_frame(writer: asyncio.StreamWriter, message: dict[str, Any]) -> None:
    writer.write(encode(message))
    await writer.drain()

"""The access log's tamper-evident hash chain (C09), its verification, and disclosure (C12).

Each access record is hashed as sha256(previous hash || canonical line), where the canonical
line is `seq|time|node|operator|action|code|ref` (time with microsecond precision).  The run's
summary keeps the chain head (record count and last hash), so a truncated tail is caught too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

GENESIS = bytes(32)


def canonical(seq: int, time: float, node: str, operator: int, action: str, code: int, ref: int) -> bytes:
    return f"{seq}|{time:.6f}|{node}|{operator}|{action}|{code}|{ref}".encode()


def chain(
    seq: Sequence[int],
    time: Sequence[float],
    node: Sequence[str],
    operator: Sequence[int],
    action: Sequence[str],
    code: Sequence[int],
    ref: Sequence[int],
    prev: bytes = GENESIS,
) -> list[bytes]:
    """The chain's hashes for these records, continuing from `prev`."""
    out = []
    h = prev
    sha = hashlib.sha256
    for row in zip(seq, time, node, operator, action, code, ref, strict=True):
        h = sha(h + canonical(*row)).digest()
        out.append(h)
    return out


@dataclass(frozen=True)
class Finding:
    """One problem the log audit found, naming the record."""

    seq: int
    position: int
    problem: str
    constraint: str = "C09"


def verify_chain(
    seq: Sequence[Any],
    time: Sequence[Any],
    node: Sequence[Any],
    operator: Sequence[Any],
    action: Sequence[Any],
    code: Sequence[Any],
    ref: Sequence[Any],
    hashes: Sequence[Any],
    head_count: int,
    head_hash: bytes,
) -> list[Finding]:
    """Check every link of the chain and the head; name the first record of each break.

    An edited record no longer matches its hash; a deleted, inserted or moved record breaks the
    sequence numbers and the link from its neighbour; a truncated tail falls short of the head.
    """
    findings: list[Finding] = []
    seen: dict[int, int] = {}
    for x in seq:
        seen[int(x)] = seen.get(int(x), 0) + 1
    prev = GENESIS
    for i in range(len(seq)):
        s = int(seq[i])
        if s != i:
            if s < i or seen.get(s, 0) > 1:
                kind = "inserted (its number appears twice)" if seen.get(s, 0) > 1 else "out of order"
            else:
                kind = "out of order (seq {i} comes later)" if i in seen else f"missing before it (seq {i} deleted)"
            findings.append(Finding(s, i, f"record seq {s} at position {i}: sequence broken, a record is " + kind.format(i=i)))
        line = canonical(s, float(time[i]), str(node[i]), int(operator[i]), str(action[i]), int(code[i]), int(ref[i]))
        if hashlib.sha256(prev + line).digest() != hashes[i]:
            findings.append(
                Finding(
                    s,
                    i,
                    f"record seq {s}: does not match its hash from the previous record "
                    "(edited, or its neighbour was removed or moved)",
                )
            )
        prev = bytes(hashes[i])
        if len(findings) > 50:
            break
    if len(seq) != head_count:
        last = int(seq[-1]) if len(seq) else -1
        findings.append(
            Finding(
                last + 1,
                len(seq),
                f"log holds {len(seq)} records, the chain head says {head_count}: "
                f"records from seq {last + 1} are missing (tail truncated)",
            )
        )
    elif len(seq) and bytes(hashes[-1]) != head_hash:
        findings.append(Finding(int(seq[-1]), len(seq) - 1, "the last hash differs from the chain head"))
    return findings

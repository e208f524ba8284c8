"""The live center's provision desk: each request decided by the project's evaluator (`decide`, the rules the
proofs compile and the simulation enforces), answered from the identity store, and its access logged: a
provision per resident provided, a refusal with the rule and articles behind it (C02, C09, C10).

The requester is the body the TLS handshake authenticated (model.live.tls), and its operator authenticated
with it (C08): each connection logs a `login` first.  Decisions are cached per request shape, as the
simulation's desk caches them (model.sim.provision): the resident asked about does not change a decision.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any

from jukinet.model.law.policy import Decision, Policy, Request, decide
from jukinet.model.live.ledger import Entry
from jukinet.model.live.messages import Asked, Malformed, Schemas, parse
from jukinet.model.live.store import IdentityStore
from jukinet.model.sim.provision import BODY_OPERATORS

NODE = "center"
Shape = tuple[str, str, str, frozenset[str], frozenset[str]]


@dataclass
class Tally:
    """What the desk answered, by outcome."""

    provided: int = 0
    refused: int = 0
    not_found: int = 0
    malformed: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)


class Desk:
    """Decides, answers and logs provision requests for one server."""

    def __init__(self, policy: Policy, store: IdentityStore, info: dict[str, Any], per_body: int = 1) -> None:
        self.policy, self.store, self.info = policy, store, info
        self.schemas = Schemas.of(policy)
        self.body_index = {b: i for i, b in enumerate(sorted(policy.bodies))}
        self.per_body = per_body
        self.cache: dict[Shape, Decision] = {}
        self.seq = 0  # every provision (a resident provided) and every refusal: the log's `ref` (set on a resume)
        self.sessions: dict[int, int] = {}  # operator -> the day of its last login
        fy = int(info.get("fiscal_year", 2006))
        self.epoch = dt.datetime(fy, 4, 1, tzinfo=dt.timezone(dt.timedelta(hours=9))).timestamp()  # 2006-04-01 00:00 JST
        self.tally = Tally()

    def operator(self, requester: str) -> int:
        """The operator id of a requester's terminal (as model.sim.provision numbers a body's operators)."""
        return BODY_OPERATORS + self.body_index.get(requester, len(self.body_index)) * self.per_body

    def login(self, requester: str) -> Entry:
        """The operator's login as a connection authenticates (C08)."""
        op, t = self.operator(requester), self.now()
        self.sessions[op] = int(t // 86400)
        return Entry(t, NODE, op, "login", 0, -1)

    def hello(self, requester: str) -> dict[str, Any]:
        return {
            "type": "info",
            "requester": requester,
            "request_keys": sorted(self.schemas.request_keys),
            "answer_items": list(self.schemas.answer_items),
            "allowed_keys": sorted(sorted(k) for k in self.policy.allowed_keys),
            "affairs": list(self.policy.bodies[requester].affairs) if requester in self.policy.bodies else [],
            **self.info,
        }

    def decide(self, requester: str, a: Asked) -> Decision:
        keys = frozenset(a.keys)
        shape = (requester, a.affair, a.mode, keys, a.items)
        hit = self.cache.get(shape)
        if hit is None:
            r = Request(
                requester=requester,
                action="provide",
                node=NODE,
                affair=a.affair,
                keys=frozenset() if a.mode == "batch" else keys,
                items=a.items,
                mode=a.mode,
                operator_authenticated=True,
            )
            hit = self.cache[shape] = decide(self.policy, r)
        return hit

    def now(self) -> float:
        """Seconds since the fiscal year's start (the time of the run's records), to the microsecond the log keeps."""
        return float(f"{time.time() - self.epoch:.6f}")

    def _session(self, op: int, t: float, out: list[Entry]) -> None:
        """A login for an operator's first act of a day (C08: the audit wants one per operator and day)."""
        day = int(t // 86400)
        if self.sessions.get(op) != day:
            self.sessions[op] = day
            out.append(Entry(t, NODE, op, "login", 0, -1))

    def handle(self, requester: str, msg: dict[str, Any]) -> tuple[dict[str, Any], list[Entry], list[dict[str, Any]]]:
        """The answer to one message, the log entries it makes and its provision rows (one per resident provided,
        or one for a refusal)."""
        if msg.get("type") == "hello":
            return self.hello(requester), [], []
        try:
            asked = parse(msg, self.schemas)
        except Malformed as exc:
            self.tally.malformed += 1
            return {"type": "error", "id": msg.get("id") if isinstance(msg.get("id"), int) else None, "error": str(exc)}, [], []
        d = self.decide(requester, asked)
        rule = d.rule or "default-deny"
        self.tally.by_rule[rule] = self.tally.by_rule.get(rule, 0) + 1
        t = self.now()
        op = self.operator(requester)
        entries: list[Entry] = []
        self._session(op, t, entries)
        code = asked.keys.get("code")
        head = {"id": asked.id, "rule": rule, "articles": list(d.articles)}
        row = {
            "time": t, "requester": requester, "level": self.policy.requester_kind(requester), "affair": asked.affair,
            "mode": asked.mode, "keys": "batch" if asked.mode == "batch" else ",".join(sorted(asked.keys)),
            "operator": op, "rule": rule, "articles": ",".join(d.articles), "reason": d.reason, "purpose": "live",
            "operator_authenticated": True,
        }  # fmt: skip
        if not d.allowed:
            self.tally.refused += 1
            seq = self._next(1)
            subject = code if isinstance(code, int) else 0
            entries.append(Entry(t, NODE, op, "refuse", subject, seq))
            answer = {"type": "refusal", "seq": seq, **head, "reason": d.reason, "constraints": list(d.constraints)}
            return answer, entries, [{**row, "seq": seq, "code": subject, "identifier": 0, "allowed": False}]
        found = self.store.lookup(dict(asked.keys))
        if not found:
            self.tally.not_found += 1
            entries.append(Entry(t, NODE, op, "no_match", 0, -1))
            return {"type": "not_found", **head}, entries, []
        self.tally.provided += 1
        first = self._next(len(found))
        items = [i for i in self.schemas.answer_items if i in asked.items]
        residents = [{i: r[i] for i in items if i in r} for r in found]
        rows = []
        for i, r in enumerate(found):
            entries.append(Entry(t, NODE, op, "provide", r["code"], first + i))
            rows.append({**row, "seq": first + i, "code": r["code"], "identifier": r["code"], "allowed": True})
        return {"type": "provision", "seq": first, **head, "residents": residents}, entries, rows

    def _next(self, n: int) -> int:
        seq = self.seq
        self.seq += n
        return seq

"""The live center's messages: a request is a JSON object read from one frame (model.live.frames), checked
against the configuration's message schemas (`[policy] messages`: the `provision_request` a recipient sends
carries query keys and the affair only, C03 and C10; the `provision` the center answers carries the items of
identity information its schema lists, C02).

    {"type": "hello"}                                   -> {"type": "info", ...}: the register served, the schemas
    {"type": "provision_request", "id": 7, "affair": "A1-1-2", "mode": "interactive",
     "keys": {"code": 12345678901}, "items": ["name", "address"]}          ("items": default every item of `provision`)
                                                        -> {"type": "provision" | "refusal" | "not_found", ...}
    anything else                                       -> {"type": "error", "error": "..."} (the connection stays)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jukinet.model.law.policy import QUERY_KEYS, Policy

REQUEST = "provision_request"
ANSWER = "provision"
MODES = ("interactive", "batch")
MAX_VALUE = 200  # characters of one key value


class Malformed(ValueError):
    """A request the schema refuses: answered with an error, never decided."""


@dataclass(frozen=True)
class Schemas:
    """What a request may carry and what an answer carries, from the configuration."""

    request_keys: frozenset[str]  # the provision_request's items: the query keys a request may name
    answer_items: tuple[str, ...]  # the provision's items, in schema order

    @staticmethod
    def of(policy: Policy) -> Schemas:
        missing = [m for m in (REQUEST, ANSWER) if m not in policy.messages]
        if missing:
            raise ValueError(f"[policy] messages has no {', '.join(missing)}: the live center needs both")
        return Schemas(frozenset(policy.messages[REQUEST].items), policy.messages[ANSWER].items)


@dataclass(frozen=True)
class Asked:
    """One provision request as read from the wire."""

    id: int | None
    affair: str
    mode: str
    keys: dict[str, str | int]
    items: frozenset[str]


def _text(msg: dict[str, Any], key: str, default: str | None = None) -> str:
    value = msg.get(key, default)
    if not isinstance(value, str) or not value or len(value) > MAX_VALUE:
        raise Malformed(f"{key}: {value!r:.60}; allowed: a string of 1..{MAX_VALUE} characters")
    return value


def parse(msg: dict[str, Any], schemas: Schemas) -> Asked:
    """The request a message makes, or `Malformed` naming the key and what is allowed."""
    if msg.get("type") != REQUEST:
        raise Malformed(f"type: {msg.get('type')!r:.60}; allowed: hello, {REQUEST}")
    rid = msg.get("id")
    if rid is not None and (not isinstance(rid, int) or isinstance(rid, bool)):
        raise Malformed(f"id: {rid!r:.60}; allowed: an integer")
    mode = _text(msg, "mode", "interactive")
    if mode not in MODES:
        raise Malformed(f"mode: {mode!r}; allowed: {', '.join(MODES)}")
    keys = msg.get("keys")
    allowed = sorted(schemas.request_keys | {"wildcard"})
    if not isinstance(keys, dict) or not keys or not all(k in QUERY_KEYS and k in allowed for k in keys):
        raise Malformed(f"keys: {keys!r:.60}; allowed: an object of query keys among {', '.join(allowed)}")
    for k, v in keys.items():
        if not isinstance(v, str | int) or isinstance(v, bool) or (isinstance(v, str) and len(v) > MAX_VALUE):
            raise Malformed(f"keys.{k}: {v!r:.60}; allowed: a string or an integer")
    items = msg.get("items", list(schemas.answer_items))
    if not isinstance(items, list) or not all(isinstance(i, str) and len(i) <= MAX_VALUE for i in items):
        raise Malformed(f"items: {items!r:.60}; allowed: a list of item names")
    if not set(items) <= set(schemas.answer_items):
        extra = sorted(set(items) - set(schemas.answer_items))
        raise Malformed(f"items: {extra}; allowed: items of {ANSWER}: {', '.join(schemas.answer_items)}")
    return Asked(rid, _text(msg, "affair"), mode, dict(keys), frozenset(items))

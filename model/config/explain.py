"""A schema error of a merged scenario as one line: the key by its ids (`policy.rules[ID].when`) and what is allowed."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from jukinet.model.config.schema import Config
from jukinet.model.core.errors import UserError


def _key_path(loc: tuple[int | str, ...], data: dict[str, Any]) -> str:
    """('policy', 'rules', 3, 'when') -> 'policy.rules[center.provide.national].when'."""
    parts: list[str] = []
    node: Any = data
    for part in loc:
        if isinstance(part, int):
            ident = node[part].get("id") if isinstance(node, list) and part < len(node) and isinstance(node[part], dict) else None
            parts[-1] += f"[{ident if ident is not None else part}]"
        else:
            parts.append(str(part))
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            node = None
    return ".".join(parts)


def _allowed_keys(loc: tuple[int | str, ...]) -> list[str]:
    model: Any = Config
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if hasattr(model, "model_fields") else None
        if field is None:
            return []
        ann = field.annotation
        args = getattr(ann, "__args__", ())
        model = next((a for a in (ann, *args) if hasattr(a, "model_fields")), None)
        if model is None:
            return []
    return sorted(model.model_fields) if hasattr(model, "model_fields") else []


def explain(err: ValidationError, data: dict[str, Any], source: str) -> UserError:
    e = err.errors()[0]
    loc = tuple(e["loc"])
    key = _key_path(loc, data)
    if e["type"] == "extra_forbidden":
        allowed = _allowed_keys(loc)
        return UserError(source, key, f"unknown key; allowed: {', '.join(allowed)}")
    if e["type"] == "missing":
        return UserError(source, key, "required key is missing")
    if key == "scenario.name" and e["type"] == "string_pattern_mismatch":
        return UserError(
            source,
            key,
            f"got {str(e['input'])[:80]!r}; allowed: a folder-safe name of letters, digits, '_', '-', '.' "
            "(starting with a letter or digit, at most 80 characters)",
        )
    msg = e["msg"].removeprefix("Value error, ")
    msg = msg[0].lower() + msg[1:]
    if isinstance(e["input"], dict | list):
        return UserError(source, key, msg)
    shown = repr(e["input"])
    shown = shown if len(shown) <= 80 else f"{shown[:60]}... ({len(shown):,} characters)"  # one line, whatever was given
    return UserError(source, key, f"got {shown}; {msg}")

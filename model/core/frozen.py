"""The base of every configuration record."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Frozen(BaseModel):
    """Base of every configuration record: immutable, unknown keys rejected, no silent coercion
    ("yes" is not a boolean, 2.5 is not an integer), and no infinite or NaN number."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, allow_inf_nan=False)

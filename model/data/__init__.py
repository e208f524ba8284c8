"""Data files shipped with jukinet (statute, annex tables, calibration, default configuration)."""

from __future__ import annotations

import tomllib
from importlib.resources import files
from typing import Any


def read_toml(name: str) -> dict[str, Any]:
    """Load one of the package's TOML data files."""
    with files(__name__).joinpath(name).open("rb") as f:
        return tomllib.load(f)


def read_text(name: str) -> str:
    return files(__name__).joinpath(name).read_text(encoding="utf-8")

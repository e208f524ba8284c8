"""Stamps for results: scenario name and hash, seed, package version, git commit (Covasim-style)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from jukinet.model import __version__


def git_commit() -> str:
    """The commit of the source tree jukinet runs from, or 'unknown' outside a git checkout."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return out.stdout.strip() if out.returncode == 0 else "unknown"


def stamp(scenario_name: str, scenario_hash: str, seed: int) -> dict[str, Any]:
    return {
        "scenario": scenario_name,
        "scenario_hash": scenario_hash,
        "seed": seed,
        "version": __version__,
        "git_commit": git_commit(),
    }

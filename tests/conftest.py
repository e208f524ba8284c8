"""Shared fixtures and hypothesis profiles (ci: derandomized, bounded; dev: more examples)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from jukinet.model.config.scenario import Scenario, load

settings.register_profile("ci", max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=400, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def baseline() -> Scenario:
    return load(REPO / "scenarios" / "fy2006_baseline.toml")


@pytest.fixture
def scenario_file(tmp_path: Path) -> Callable[[str], Path]:
    """Write a scenario TOML into a temporary file and return its path."""

    def write(text: str, name: str = "s.toml") -> Path:
        p = tmp_path / name
        p.write_text(text, encoding="utf-8")
        return p

    return write


@pytest.fixture(scope="session")
def signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A small run of the as-designed scenario signed with fresh keys: (the run folder, the keys folder).
    Tests copy the run before changing it."""
    from jukinet.model.audit.trust import write_keys
    from jukinet.model.report.run import execute

    base = tmp_path_factory.mktemp("trust")
    keys = base / "keys"
    keys.mkdir()
    write_keys(keys)
    design = Path(__file__).resolve().parent.parent / "scenarios" / "fy2006_as_designed.toml"
    execute(load(design), 0.0005, 7, base / "run", sign=keys)
    return base / "run", keys


@pytest.fixture
def signed_copy(signed: tuple[Path, Path], tmp_path: Path) -> Path:
    """A copy of the signed run (`signed`) to change: tmp_path/run."""
    import shutil

    run = tmp_path / "run"
    shutil.copytree(signed[0], run)
    return run

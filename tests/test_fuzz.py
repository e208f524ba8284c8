"""Fuzzing the inputs (issue 13): hypothesis writes scenario files (well-typed and not) and command
lines; every one ends in exit 0, 1 or 2 with at most one error line and no traceback, and nothing is
written.  The heavy work itself is replaced by a sentinel: a command line that reaches it passed
every check.  The fast tier runs a few dozen cases; the slow tier (`-m slow`) runs 5,000 of each
(issue 30: at least 10,000 generated cases).  The command lines are drawn from jukinet's own parser: every
command, every flag, values of each flag's type and hostile ones; the scenarios from every key of the defaults."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import math
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from jukinet.model.cli.main import build_parser, main
from jukinet.model.data import read_toml

HOSTILE_TEXT = ["../../x", "/", "~", "..", "", " ", "１２３", "cs:131016", "center", "pref:13", "a" * 300, "nan", "-1"]


def _leaves(x: Any, path: str = "") -> list[tuple[str, Any]]:
    if isinstance(x, dict):
        return [leaf for k, v in x.items() for leaf in _leaves(v, f"{path}.{k}" if path else k)]
    return [(path, x)]


LEAVES = _leaves(read_toml("defaults.toml"))
scalars = st.one_of(
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=20),
    st.sampled_from(HOSTILE_TEXT),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=6,
)


def _near(default: Any) -> st.SearchStrategy[Any]:
    """A value of the default's own type (often valid), or anything."""
    if isinstance(default, bool):
        same: st.SearchStrategy[Any] = st.booleans()
    elif isinstance(default, int):
        same = st.integers(-10, 10**12) | st.just(default)
    elif isinstance(default, float):
        same = st.floats(-1e3, 1e12) | st.just(default) | st.sampled_from([math.inf, math.nan, 0.0, -0.0])
    elif isinstance(default, str):
        same = st.sampled_from(HOSTILE_TEXT) | st.just(default)
    elif isinstance(default, list) and default and isinstance(default[0], dict):
        same = st.lists(st.fixed_dictionaries({k: _near(v) for k, v in default[0].items()}), max_size=3)
    elif isinstance(default, list):
        same = st.just(default) | st.lists(st.floats(-5, 5), min_size=len(default), max_size=len(default))
    else:
        same = st.just(default)
    return st.one_of(same, same, values)


def toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) else repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=True)
    if isinstance(v, dt.date):  # the defaults' [[timeline]] dates: a TOML date literal
        return v.isoformat()
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    return "{" + ", ".join(f"{json.dumps(str(k))} = {toml_value(x)}" for k, x in v.items()) + "}"


@st.composite
def scenario_text(draw: st.DrawFn) -> str:
    if draw(st.integers(0, 9)) == 0:
        return draw(st.text(max_size=200))  # not TOML at all, usually
    chosen = draw(st.lists(st.sampled_from(LEAVES), min_size=1, max_size=6, unique_by=lambda leaf: leaf[0]))
    lines = ['scenario.name = "fuzz"'] if draw(st.booleans()) else []
    for path, default in chosen:
        lines.append(f"{path} = {toml_value(draw(_near(default)))}")
    return "\n".join(lines) + "\n"


def _call(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            rc = main(argv)
        except SystemExit as e:  # argparse: usage errors exit 2, --help exits 0
            rc = int(e.code or 0)
    return rc, err.getvalue()


def _assert_one_line(rc: int, err: str) -> None:
    assert rc in (0, 1, 2), (rc, err)
    assert "Traceback" not in err, err
    if rc == 2:
        errors = [x for x in err.splitlines() if "error:" in x]
        assert len(errors) == 1, err


class Reached(Exception):
    """The command passed every check and reached its work."""


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    import jukinet.model.cli.run as cr
    import jukinet.model.cli.workbench as wb
    import jukinet.model.live.center as lc
    import jukinet.model.live.loadgen as lg
    import jukinet.model.queueing.loadtest as lt
    import jukinet.model.report.run as rr
    import jukinet.model.workbench.verdicts as vd
    import jukinet.proofs.catalogue as cat
    import jukinet.proofs.diff as pd
    import jukinet.proofs.mutation as mut

    def reached(*_a: Any, **_k: Any) -> Any:
        raise Reached

    work = [(rr, "Simulation"), (lt, "loadtest"), (lt, "capacity"), (cat, "prove"), (mut, "run_mutants"), (pd, "diff")]
    work += [(cr, "Background"), (vd, "Background"), (wb, "_run_grid"), (lc, "build"), (lg, "hello")]
    for module, name in work:
        monkeypatch.setattr(module, name, reached)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def check_scenario(text: str, root: Path) -> None:
    f = root / "s.toml"
    f.write_text(text, encoding="utf-8")
    before = _files(root)
    rc, err = _call(["check", str(f)])
    event(f"check exit {rc}")
    _assert_one_line(rc, err)
    assert _files(root) == before


def check_command(argv: list[str], root: Path) -> None:
    before = _files(root)
    try:
        rc, err = _call(argv)
    except Reached:
        event("reached the work")
        rc, err = 0, ""
    else:
        event(f"exit {rc}")
    _assert_one_line(rc, err)
    if rc == 0 and argv[0] in ("keys", "tls-keys"):  # those two write what they were asked to: cleared for the next
        for made in sorted(_files(root) - before, key=len):
            target = root / made
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
    assert _files(root) == before, argv


def _grammar() -> dict[str, list[argparse.Action]]:
    """Every command of jukinet's own parser with every argument it takes (not a hand list)."""
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {name: [a for a in sp._actions if not isinstance(a, argparse._HelpAction)] for name, sp in sub.choices.items()}


GRAMMAR = _grammar()
PLACES = ["s.toml", "fifo", "folder", "missing.toml", "d.json", "out/x", "/dev/null", "folder/../s.toml"]
TOKENS = HOSTILE_TEXT + PLACES + ["0", "1", "0.01", "1e-9", "1e300", "inf", "nan", "p99<2s", "tcp://127.0.0.1:1", "9" * 40]


def _value(action: argparse.Action) -> st.SearchStrategy[str]:
    """A value for an argument: of its declared type or choices often, anything from the hostile list always."""
    typed: st.SearchStrategy[str] = st.sampled_from(TOKENS)
    if action.choices:
        typed = st.sampled_from([str(c) for c in action.choices])
    elif action.type is int or getattr(action.type, "__name__", "") == "seed":
        typed = st.integers(-(2**65), 2**65).map(str)
    elif getattr(action.type, "__name__", "") in ("float", "number"):  # jukinet.model.cli.number: ASCII floats
        typed = st.floats(allow_nan=True, allow_infinity=True).map(repr)
    return st.one_of(typed, st.sampled_from(TOKENS), st.text(max_size=12))


@st.composite
def argv_st(draw: st.DrawFn) -> list[str]:
    command = draw(st.sampled_from([*GRAMMAR, "nope"]))
    argv = [command]
    for action in draw(st.lists(st.sampled_from(GRAMMAR.get(command) or [None]), max_size=6)):
        if action is None:
            argv.append(draw(st.sampled_from(TOKENS)))
        elif not action.option_strings:  # a positional
            argv.append(draw(_value(action)))
        else:
            argv.append(draw(st.sampled_from(action.option_strings)))
            if action.nargs != 0 and draw(st.integers(0, 9)) > 0:  # a flag without its value, now and then
                argv.append(draw(_value(action)))
    return argv


def _prepare(root: Path) -> None:
    """The places the tokens name: a scenario, a FIFO (blocks a reader for ever), a folder, a disclosure file."""
    if not (root / "s.toml").exists():
        (root / "s.toml").write_text('scenario.name = "fuzz"\n', encoding="utf-8")
        os.mkfifo(root / "fifo")
        (root / "folder").mkdir()
        (root / "d.json").write_text('{"code": "1", "proof": [[[[]]]]}', encoding="utf-8")


FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
SLOW = settings(
    max_examples=5_000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


@FAST
@given(scenario_text())
def test_generated_scenarios_are_accepted_or_refused_in_one_line(sandbox: Path, text: str) -> None:
    check_scenario(text, sandbox)


@FAST
@given(argv_st())
def test_generated_command_lines_are_accepted_or_refused_in_one_line(sandbox: Path, argv: list[str]) -> None:
    _prepare(sandbox)
    check_command(argv, sandbox)


@pytest.mark.slow
@SLOW
@given(scenario_text())
def test_five_thousand_generated_scenarios(sandbox: Path, text: str) -> None:
    check_scenario(text, sandbox)


@pytest.mark.slow
@SLOW
@given(argv_st())
def test_five_thousand_generated_command_lines(sandbox: Path, argv: list[str]) -> None:
    _prepare(sandbox)
    check_command(argv, sandbox)


def test_the_fuzz_harness_catches_a_traceback_and_a_written_file(sandbox: Path) -> None:
    """The checks above can fail: a traceback, two error lines, and a file left behind are caught."""
    with pytest.raises(AssertionError):
        _assert_one_line(2, "Traceback (most recent call last):\n")
    with pytest.raises(AssertionError):
        _assert_one_line(2, "jukinet: error: a\njukinet: error: b\n")
    before = _files(sandbox)
    (sandbox / "left.txt").write_text("x")
    assert _files(sandbox) != before
    os.remove(sandbox / "left.txt")

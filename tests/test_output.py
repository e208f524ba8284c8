"""Output safety (issue 13, item 1): jukinet replaces only folders it wrote, of the same kind; refuses
the root, the home folder and folders that hold the current one; a second command writing the same
folder fails at once; the temporary folders of killed commands are removed (only jukinet's own);
SIGINT and SIGTERM end with one line, exit 130 and nothing written."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from jukinet.model.core.errors import UserError
from jukinet.model.core.output import MARKER, TMP_MARKER, atomic_dir


def test_a_folder_of_the_users_files_is_refused_and_kept(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.txt").write_text("years of work")
    with pytest.raises(UserError, match="is a folder jukinet did not write"), atomic_dir(mine, "run"):
        pass
    assert (mine / "thesis.txt").read_text() == "years of work"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]


@pytest.mark.parametrize("where", ["/", "~", ".", ".."])
def test_root_home_and_folders_holding_the_current_one_are_refused(where: str, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserError, match="root or home|holds the current folder"), atomic_dir(Path(where), "run"):
        pass


def test_a_file_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "notes.txt"
    f.write_text("x")
    with pytest.raises(UserError, match="is a file"), atomic_dir(f, "run"):
        pass
    assert f.read_text() == "x"


def test_own_folder_of_the_same_kind_is_replaced_whole_and_another_kind_refused(tmp_path: Path) -> None:
    out = tmp_path / "r"
    with atomic_dir(out, "run") as tmp:
        (tmp / "a.txt").write_text("1")
    assert json.loads((out / MARKER).read_text())["kind"] == "run"
    with atomic_dir(out, "run") as tmp:
        (tmp / "b.txt").write_text("2")
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "b.txt"]
    with pytest.raises(UserError, match="is a jukinet run folder, not a loadtest folder"), atomic_dir(out, "loadtest"):
        pass
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]  # no lock, temporary or old folder left


def test_force_replaces_a_jukinet_folder_of_another_kind_but_never_the_users(tmp_path: Path) -> None:
    out = tmp_path / "r"
    with atomic_dir(out, "run") as tmp:
        (tmp / "a.txt").write_text("1")
    with atomic_dir(out, "loadtest", force=True) as tmp:
        (tmp / "b.txt").write_text("2")
    assert json.loads((out / MARKER).read_text())["kind"] == "loadtest"
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "b.txt"]
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.txt").write_text("years of work")
    with pytest.raises(UserError, match="did not write .*--force or not"), atomic_dir(mine, "run", force=True):
        pass
    assert (mine / "thesis.txt").read_text() == "years of work"


def test_force_on_the_command_line_replaces_another_kind(tmp_path: Path) -> None:
    """`jukinet prove --report DIR` over a run folder: exit 2 and one line; with --force the report replaces it."""
    out = tmp_path / "r"
    with atomic_dir(out, "run") as tmp:
        (tmp / "a.txt").write_text("1")
    design = str(Path(__file__).resolve().parent.parent / "scenarios" / "fy2006_as_designed.toml")  # all PROVED: exit 0
    cmd = [sys.executable, "-m", "jukinet", "prove", design, "--on", "2006-04-01", "--report", str(out)]
    bad = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "--force replaces it" in bad.stderr
    assert (out / "a.txt").exists()
    good = subprocess.run([*cmd, "--force"], capture_output=True, text=True, check=False)
    assert good.returncode == 0, good.stderr
    assert json.loads((out / MARKER).read_text())["kind"] == "proof-report" and (out / "report.md").exists()


def test_a_failure_inside_leaves_the_old_folder_and_no_temporary(tmp_path: Path) -> None:
    out = tmp_path / "r"
    with atomic_dir(out, "run") as tmp:
        (tmp / "a.txt").write_text("1")
    with pytest.raises(RuntimeError), atomic_dir(out, "run") as tmp:
        (tmp / "half.txt").write_text("half")
        raise RuntimeError("the run failed")
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "a.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]


def test_a_second_writer_of_the_same_folder_fails_at_once(tmp_path: Path) -> None:
    out = tmp_path / "r"
    with atomic_dir(out, "run"):
        started = time.perf_counter()
        with pytest.raises(UserError, match="another jukinet command is writing"), atomic_dir(out, "run"):
            pass
        assert time.perf_counter() - started < 1.0
    assert (out / MARKER).exists()


def test_stale_temporary_folders_of_killed_commands_are_removed_but_look_alikes_kept(tmp_path: Path) -> None:
    stale = tmp_path / ".r.tmp-999999"
    stale.mkdir()
    (stale / TMP_MARKER).touch()
    look_alike = tmp_path / ".r.tmp-1"
    look_alike.mkdir()
    (look_alike / "mine.txt").write_text("mine")
    with atomic_dir(tmp_path / "r", "run"):
        pass
    assert not stale.exists()
    assert (look_alike / "mine.txt").read_text() == "mine"


def test_unsafe_scenario_names_are_refused(tmp_path: Path) -> None:
    from jukinet.model.config.scenario import load

    for name in ("../../x", "/etc/x", ".hidden", "a/b", ""):
        f = tmp_path / "s.toml"
        f.write_text(f"[scenario]\nname = {json.dumps(name)}\n")
        with pytest.raises(UserError, match="scenario.name: got .*allowed: a folder-safe name"):
            load(f)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_run_ends_with_one_line_exit_130_and_nothing_written(sig: int, tmp_path: Path) -> None:
    out = tmp_path / "run"
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "jukinet", "run", "--scale", "0.002", "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    with proc:  # a failure below leaves no run behind, nor its pipes open for the next test to find
        try:
            deadline = time.monotonic() + 60
            while not any(p.name.startswith(".run.tmp-") for p in tmp_path.iterdir()):  # the run has started writing
                assert time.monotonic() < deadline and proc.poll() is None
                time.sleep(0.1)
            time.sleep(1.0)
            children = _children(proc.pid)  # the process proving the run's constraints meanwhile, among them
            assert children
            proc.send_signal(sig)
            _, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
    skip = ("simulated time", "estimated need", "proving")
    lines = [x for x in err.splitlines() if x.strip() and not any(w in x for w in skip)]
    assert proc.returncode == 130, err
    assert lines == ["jukinet: interrupted; no result folder was written or changed"], err
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no run folder, temporary folder or lock
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{c}").exists() and "Z" not in _state(c) for c in children):  # none left running
        assert time.monotonic() < deadline, [c for c in children if Path(f"/proc/{c}").exists()]
        time.sleep(0.1)


def test_a_run_killed_outright_leaves_no_worker_running(tmp_path: Path) -> None:
    """Issue 30: SIGKILL, which no handler sees, left the run's prover (and could leave its log worker) running
    on: each worker ends itself within seconds once its parent is gone (model.core.workers.exit_with_parent)."""
    out = tmp_path / "run"
    proc = subprocess.Popen(
        [sys.executable, "-m", "jukinet", "run", "--scale", "0.002", "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    with proc:
        try:
            deadline = time.monotonic() + 60
            children: list[int] = []
            while not any(b"jukinet.model.sim.accesslog" in _cmdline(c) for c in children):  # it starts after the prover
                assert time.monotonic() < deadline and proc.poll() is None
                time.sleep(0.1)
                children = _children(proc.pid)
            time.sleep(1.0)  # the prover at work, not still reading what it was sent
            proc.kill()
            proc.wait(10)
        finally:
            if proc.poll() is None:
                proc.kill()
    deadline = time.monotonic() + 20
    while any(Path(f"/proc/{c}").exists() and "Z" not in _state(c) for c in children):
        assert time.monotonic() < deadline, [c for c in children if Path(f"/proc/{c}").exists()]
        time.sleep(0.2)


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _children(pid: int) -> list[int]:
    return [int(c) for t in Path(f"/proc/{pid}/task").iterdir() for c in (t / "children").read_text().split()]


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


def test_a_negative_seed_is_one_line_and_exit_2() -> None:
    r = subprocess.run([sys.executable, "-m", "jukinet", "run", "--seed", "-1"], capture_output=True, text=True)
    assert r.returncode == 2
    want = "jukinet run: error: argument --seed: got -1; allowed: an integer 0 .. 2**63 - 1 (see jukinet run --help)"
    assert r.stderr.strip().splitlines() == [want]


def test_force_never_replaces_a_keys_folder(tmp_path: Path) -> None:
    """Issue 30: `run --out K --force` deleted the signing keys in K, and `run --sign K --out K --force` replaced the
    keys it signed with; private keys cannot be made again, so only `jukinet keys --force` replaces them."""
    from jukinet.model.audit.trust import write_keys
    from jukinet.model.core.output import atomic_dir, check_target

    keys = tmp_path / "K"
    with atomic_dir(keys, "keys") as tmp:
        write_keys(tmp)
    before = sorted(p.relative_to(keys) for p in keys.rglob("*"))
    for kind in ("run", "loadtest", "compare"):
        with pytest.raises(UserError, match="is a jukinet keys folder"):
            check_target(keys, kind, force=True)
    assert check_target(keys, "keys", force=True) == keys.resolve()
    assert sorted(p.relative_to(keys) for p in keys.rglob("*")) == before


def test_force_never_removes_a_file_the_user_put_into_a_jukinet_folder(tmp_path: Path) -> None:
    """Issue 30 (hostile prober): `run --out RUN` over a run folder deleted a user's notes and a keys folder put inside
    it, and `keys --out K --force` everything else in K.  The marker lists what jukinet wrote; anything else stops it."""
    from jukinet.model.audit.trust import write_keys
    from jukinet.model.core.output import atomic_dir, check_target

    run = tmp_path / "run"
    with atomic_dir(run, "run") as tmp:
        (tmp / "records").mkdir()
        (tmp / "records" / "t.parquet").write_bytes(b"x")
    assert check_target(run, "run") == run.resolve()  # what jukinet wrote, it may write again
    (run / "records" / "mine.csv").write_text("the user's")
    for kind, force in (("run", False), ("run", True), ("keys", True), ("compare", True)):
        with pytest.raises(UserError, match="1 file\\(s\\) jukinet did not write there \\(the first: records/mine.csv"):
            check_target(run, kind, force=force)
    keys = tmp_path / "K"
    with atomic_dir(keys, "keys") as tmp:
        write_keys(tmp)
    (keys / "spare.pem").write_text("another key")
    with pytest.raises(UserError, match="spare.pem"):
        check_target(keys, "keys", force=True)
    assert (run / "records" / "mine.csv").exists() and (keys / "spare.pem").exists()


def test_a_killed_replicas_scratch_folder_is_cleared_by_the_next(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 30: a compare killed with SIGKILL left its replicas' temporary folders; the next replica's
    `scratch` removes those whose process is gone, and keeps a live one's and any look-alike."""
    import tempfile

    from jukinet.model.core.output import scratch

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    gone = subprocess.Popen(["true"])
    gone.wait()
    stale = tmp_path / f"jukinet-replica-{gone.pid}-x1"
    live = tmp_path / f"jukinet-replica-{os.getpid()}-x2"
    other = tmp_path / "jukinet-replica-notapid-x3"
    for d in (stale, live, other):
        (d / "run").mkdir(parents=True)
    with scratch("replica") as d:
        assert Path(d).name.startswith(f"jukinet-replica-{os.getpid()}-")
    assert not stale.exists() and live.exists() and other.exists()

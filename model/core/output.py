"""Writing a result folder safely and all at once.

A result folder (a run, a load test, a capacity search) is built in a temporary sibling and
renamed into place, so an interrupted or failed command leaves no half-written output.  The tool
only replaces what it wrote: every folder it writes carries a marker naming its kind, and
`atomic_dir` refuses a target that is not a folder of the same kind jukinet wrote (with `--force`:
of any kind jukinet wrote but a keys folder; a folder jukinet did not write never), the root, the
home folder, or a folder that holds the current one.  A lock beside the target makes a second
command writing the same target fail at once; the temporary folders of killed commands are
removed at the next start (only those that carry jukinet's own marker).
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from jukinet.model.core.errors import UserError

MARKER = ".jukinet"  # in every folder jukinet writes: {"kind": ...}
TMP_MARKER = ".jukinet-partial"  # in a temporary folder while it is written


def serves(folder: Path) -> bool:
    """A folder `jukinet serve` writes: a live center's hash-chained access log, which cannot be made again (its
    marker says `"server": true`; a folder of the first live centers, before the flag, has server.json)."""
    try:
        mark = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(mark, dict) and (mark.get("server") is True or (folder / "server.json").is_file())


def read_regular(path: Path, option: str, allowed: str, limit: int = 64 << 20) -> bytes:
    """The bytes of a regular file of at most `limit` bytes.  A FIFO (a reader waits for ever), a device (/dev/zero
    never ends), a folder or a file too large is refused in one line naming it; a missing file raises
    FileNotFoundError for the caller to word."""
    import stat

    mode = path.stat().st_mode
    if not stat.S_ISREG(mode):
        raise UserError(option, str(path), f"not a regular file; allowed: {allowed}")
    with path.open("rb") as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise UserError(option, str(path), f"larger than {limit:,} bytes; allowed: {allowed}")
    return data


def regular_tree(folder: Path, option: str) -> None:
    """Refuse a folder that holds anything but folders and regular files (a FIFO put in a run folder hung the audit
    and ignored SIGTERM)."""
    import stat

    for p in folder.rglob("*"):
        mode = p.lstat().st_mode
        if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
            raise UserError(option, str(p), "not a regular file or folder; allowed: the files jukinet wrote")


KEY_KINDS = ("keys", "tls-keys")  # folders of private keys: only the command that wrote one may write it again


def _written(folder: Path) -> list[str]:
    """Every file a folder holds, by its path inside it, markers aside."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if not p.is_dir() and p.name not in (MARKER, TMP_MARKER))


def listed(folder: Path) -> list[str] | None:
    """The files a jukinet folder's marker lists as written (None: no marker, or one from before the list)."""
    try:
        files = json.loads((folder / MARKER).read_text(encoding="utf-8")).get("files")
    except (OSError, ValueError, AttributeError):
        return None
    return [str(f) for f in files] if isinstance(files, list) else None


def _not_written(folder: Path) -> list[str]:
    """The files of a jukinet folder that its marker does not list as written (a folder marked before the list: none)."""
    files = listed(folder)
    return [] if files is None else [f for f in _written(folder) if f not in set(files)]


def kind_of(folder: Path) -> str | None:
    """The kind a folder's marker names (None: not a folder jukinet wrote)."""
    try:
        return str(json.loads((folder / MARKER).read_text(encoding="utf-8"))["kind"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def check_target(target: Path, kind: str, option: str = "--out", force: bool = False) -> Path:
    """The resolved target, if jukinet may write a `kind` folder there; else a UserError saying why.
    `force` lets a jukinet folder of another kind be replaced; never a folder jukinet did not write."""
    t = target.expanduser().resolve()
    home = Path.home().resolve()
    allowed = f"a new folder, or a {kind} folder jukinet wrote"
    if t == Path(t.anchor) or t == home:
        raise UserError(option, str(target), f"is the root or home folder; allowed: {allowed}")
    if t == Path.cwd().resolve() or t in Path.cwd().resolve().parents:
        raise UserError(option, str(target), f"holds the current folder; allowed: {allowed}")
    if t.exists() or t.is_symlink():
        if not t.is_dir():
            raise UserError(option, str(target), f"is a file; allowed: {allowed}")
        found = kind_of(t)
        if found is None and any(t.iterdir()):
            why = "is a folder jukinet did not write (nothing was changed, --force or not)"
            raise UserError(option, str(target), f"{why}; allowed: {allowed}")
        if serves(t):  # a live center's access log cannot be made again: nothing replaces it
            why = "is a folder `jukinet serve` writes (a live center's access log; nothing was changed, --force or not)"
            raise UserError(option, str(target), f"{why}; allowed: {allowed}")
        if found in KEY_KINDS and kind != found:  # private keys cannot be made again: nothing else replaces them
            raise UserError(
                option,
                str(target),
                f"is a jukinet {found} folder (private keys; nothing was changed, --force or not); allowed: {allowed}",
            )
        strangers = _not_written(t)
        if strangers:  # a file of the user's put into a jukinet folder is theirs: nothing replaces the folder
            why = f"holds {len(strangers)} file(s) jukinet did not write there (the first: {strangers[0]}"
            why += "; nothing was changed, --force or not)"
            raise UserError(option, str(target), f"{why}; allowed: {allowed}")
        if found is not None and found != kind and not force:
            raise UserError(
                option, str(target), f"is a jukinet {found} folder, not a {kind} folder (--force replaces it); allowed: {allowed}"
            )
    return t


@contextmanager
def _lock(target: Path, option: str) -> Iterator[None]:
    """An exclusive lock beside the target, held while the command writes it; the lock file is
    removed again while still held (a command that opened it meanwhile sees it gone and refuses)."""
    lock = target.with_name(f".{target.name}.lock")
    busy = UserError(option, str(target), "another jukinet command is writing this folder now; wait for it")
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            if e.errno in (errno.EAGAIN, errno.EACCES):
                raise busy from None
            raise
        try:
            if os.stat(lock).st_ino != os.fstat(fd).st_ino:
                raise busy
        except FileNotFoundError:
            raise busy from None
        try:
            yield
        finally:
            lock.unlink(missing_ok=True)
    finally:
        os.close(fd)


def _remove_stale(target: Path) -> None:
    """Temporary folders of this target left by killed commands (we hold the lock: none is live)."""
    for pattern, marker in ((f".{target.name}.tmp-*", TMP_MARKER), (f".{target.name}.old-*", MARKER)):
        for p in target.parent.glob(pattern):
            if p.is_dir() and not p.is_symlink() and (p / marker).exists():
                shutil.rmtree(p, ignore_errors=True)


@contextmanager
def atomic_dir(target: Path, kind: str, option: str = "--out", force: bool = False) -> Iterator[Path]:
    """Yield a fresh temporary folder; on success it replaces `target` whole, on error it vanishes
    (with any parent folder this created).  Refuses (UserError, before anything is written) a target
    jukinet may not replace (`check_target`)."""
    t = check_target(target, kind, option, force)
    made = [p for p in (t.parent, *t.parent.parents) if not p.exists()]  # the folders this creates, deepest first
    try:
        t.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UserError(option, str(target), f"cannot create its parent folder ({e.strerror})") from None
    try:
        with _lock(t, option), _replace(t, kind, option, force) as tmp:
            yield tmp
    except BaseException:
        for p in made:  # a failed command leaves no empty folder behind either
            try:
                p.rmdir()
            except OSError:
                break
        raise


@contextmanager
def _replace(t: Path, kind: str, option: str, force: bool) -> Iterator[Path]:
    """Under the lock: a temporary sibling that replaces `t` when the block succeeds."""
    check_target(t, kind, option, force)  # again, under the lock
    _remove_stale(t)
    tmp = t.with_name(f".{t.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(mode=0o755)
    (tmp / TMP_MARKER).touch()
    try:
        yield tmp
        (tmp / MARKER).write_text(json.dumps({"kind": kind, "files": _written(tmp)}) + "\n", encoding="utf-8")
        (tmp / TMP_MARKER).unlink()
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = t.with_name(f".{t.name}.old-{os.getpid()}")
    if t.exists():
        t.rename(old)
    tmp.rename(t)
    shutil.rmtree(old, ignore_errors=True)


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def print_json(data: Any) -> None:
    """A command's --json output on stdout."""
    print(json.dumps(data, ensure_ascii=False, indent=2))


def scratch(kind: str) -> tempfile.TemporaryDirectory[str]:
    """A temporary folder named for its process (`jukinet-KIND-PID-...` in the system's temporary folder), after
    removing those a killed process of the same kind left (its PID no longer running): a replica of a compare
    killed with SIGKILL leaves its folder, and the next one of the kind clears it."""
    base = Path(tempfile.gettempdir())
    for old in base.glob(f"jukinet-{kind}-*-*"):
        pid = old.name.split("-")[2]
        if old.is_dir() and not old.is_symlink() and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    return tempfile.TemporaryDirectory(prefix=f"jukinet-{kind}-{os.getpid()}-")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True

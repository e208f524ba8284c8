"""Errors a user can act on: each carries one line naming the file, the key and what is allowed."""

from __future__ import annotations


class UserError(Exception):
    """Bad input.  The command line prints `str(err)` alone and exits with status 2."""

    def __init__(self, source: str, key: str, message: str) -> None:
        self.source = source
        self.key = key
        self.message = message
        super().__init__(f"{source}: {key}: {message}")


class Aborted(RuntimeError):
    """The command could not finish for a reason outside its input (a worker process killed or failed).  The
    command line prints `str(err)` alone and exits with status 1; no result folder is written or changed."""


def exit_with_parent(seconds: float = 1.0) -> None:
    """In a worker process: end it when the process that started it is gone (killed with SIGKILL, which no
    handler sees), so no orphan goes on computing.  A daemon thread polls the parent's id."""
    import os
    import threading
    import time

    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(seconds)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="jukinet-exit-with-parent").start()

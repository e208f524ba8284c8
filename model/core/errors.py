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

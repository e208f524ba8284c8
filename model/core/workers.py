"""Worker processes: what every process jukinet starts beside the command does for itself."""

from __future__ import annotations


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

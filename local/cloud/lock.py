"""One local cloud per state folder: ``<state>/up.lock``, held (flock) while a cloud runs on it.

A second ``make up`` on the same folder fails at once and names the running one (its pid and start
time are written in the lock file), instead of fighting it for the ports and the Terraform state.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path
from typing import IO

from local.cloud.errors import UpError


class AlreadyRunningError(UpError):
    pass


class Lock:
    """``<state>/up.lock``, held (flock) while a cloud runs on that state folder."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / "up.lock"
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        file = self.path.open("a+")
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            file.seek(0)
            holder = file.read().strip() or "unknown"
            file.close()
            raise AlreadyRunningError(
                f"the local cloud is already running on {self.path.parent} ({holder}).\n"
                f"Its endpoints are in {self.path.parent / 'endpoints.json'}; stop it with Ctrl-C in its "
                "terminal (or kill that pid), or use another --state-dir and other ports."
            ) from error
        file.seek(0)
        file.truncate()
        file.write(f"pid {os.getpid()}, started {time.strftime('%Y-%m-%d %H:%M:%S')}")
        file.flush()
        self._file = file

    def release(self) -> None:
        if self._file is not None:
            self._file.seek(0)
            self._file.truncate()
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None

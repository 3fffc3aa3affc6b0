"""What ``make up`` prints while it starts: numbered stages (``==> [2/3] ...``) and how long each took."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import AsyncIterator
from typing import IO


class Progress:
    def __init__(self, total: int, out: IO[str] = sys.stdout) -> None:
        self.total = total
        self.step = 0
        self.out = out

    def say(self, message: str) -> None:
        print(message, file=self.out, flush=True)

    @contextlib.asynccontextmanager
    async def stage(self, title: str) -> AsyncIterator[None]:
        self.step += 1
        self.say(f"==> [{self.step}/{self.total}] {title}")
        started = time.monotonic()
        yield
        self.say(f"    done in {time.monotonic() - started:.1f} s")

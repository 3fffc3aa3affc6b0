"""Ctrl-C and SIGTERM: the first one while the cloud starts interrupts the step running; any one once
it serves asks it to stop. Either way the stop that follows runs to its end: a second signal does not
cut it short (it would leave child processes and a half-written snapshot behind)."""

from __future__ import annotations

import asyncio
import signal


class StopSignals:
    """Installed in the task that starts and then serves the cloud."""

    def __init__(self) -> None:
        self.received = asyncio.Event()
        main = asyncio.current_task()
        assert main is not None
        self._main = main
        self._starting = True
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, self._on_signal)

    def started(self) -> None:
        """Starting is over: a signal from now on only sets ``received``."""
        self._starting = False

    def _on_signal(self) -> None:
        self.received.set()
        if self._starting:  # interrupt whatever step is running, once
            self._starting = False
            self._main.cancel()

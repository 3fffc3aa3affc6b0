"""The running invocation's deadline, for code far from its Lambda context (the AWS clients' retry
hook in ``common.aws``): the handler calls ``follow(context)`` first thing."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

_followed: list[Callable[[], int]] = []  # the current invocation's clock, once one has started


def follow(context: Any) -> None:
    """From now on, ``remaining_s`` is this invocation's time left."""
    _followed[:] = [context.get_remaining_time_in_millis]


def remaining_s() -> float:
    """Seconds left before the invocation times out; infinite outside an invocation."""
    return _followed[0]() / 1000 if _followed else math.inf


def forget() -> None:
    """No invocation is followed any more (tests)."""
    _followed.clear()

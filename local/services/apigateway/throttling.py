"""Stage throttling: API Gateway's token bucket per method.

A stage's ``*/*`` method settings give every method its own bucket of ``burst`` tokens refilled at
``rate`` per second; a method-specific setting replaces them for that method. A request that finds
the bucket empty gets 429 THROTTLED. A negative limit turns throttling off, as AWS's -1 does.
https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from local.services.apigateway.models import Throttle

STAGE_DEFAULT = "*/*"


class TokenBucket:
    __slots__ = ("_clock", "_rate", "_tokens", "_updated", "burst")

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._rate = rate
        self.burst = burst
        self._tokens = float(burst)
        self._clock = clock
        self._updated = clock()

    def try_acquire(self) -> bool:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._updated) * self._rate)
        self._updated = now
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        return False


def bucket_for(
    throttling: Mapping[str, Throttle],
    resource_path: str,
    http_method: str,
    clock: Callable[[], float] = time.monotonic,
) -> TokenBucket | None:
    """The bucket a method gets from its stage's settings; None when it is not throttled."""
    limits = throttling.get(f"{resource_path.rstrip('/') or ''}/{http_method}") or throttling.get(
        STAGE_DEFAULT
    )
    if limits is None or limits.rate < 0 or limits.burst < 0:
        return None
    return TokenBucket(limits.rate, limits.burst, clock)

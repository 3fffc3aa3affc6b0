"""Ids the local cloud makes for every request: unique, not secret.

One seeded PRNG serves them all: uuid4 and secrets read os.urandom, a syscall per id on the hot path.
"""

from __future__ import annotations

import random
import time

_bits = random.Random().getrandbits  # noqa: S311 (ids, not secrets)


def random_bits(count: int) -> int:
    return _bits(count)


def request_id() -> str:
    """A random version 4 UUID in canonical form, as Lambda's and API Gateway's request ids are."""
    value = _bits(128)
    hexed = f"{value:032x}"
    # The version and RFC 9562 variant digits replace two random ones (uuid.UUID is slower).
    return f"{hexed[:8]}-{hexed[8:12]}-4{hexed[13:16]}-{'89ab'[value & 3]}{hexed[17:20]}-{hexed[20:]}"


def trace_root() -> str:
    """A new X-Ray trace id: ``Root=1-<epoch seconds, 8 hex>-<96 random bits, 24 hex>``."""
    return f"Root=1-{int(time.time()):08x}-{_bits(96):024x}"

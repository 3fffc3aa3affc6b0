"""An API client that retries as a careful browser client does: what it sends again is safe to send
again (a read, or a write under the same Idempotency-Key), after an exponential backoff with full
jitter, at least the Retry-After the API asked for, a bounded number of times.

Retried: 429 (the stage's throttle), 503 (the function's "AWS throttled us"), 409
``request_in_progress`` (the same key's first attempt is still running), and the gateway's 500, 502
and 504. API Gateway answers a Lambda throttle (the function's reserved concurrency reached) with 500
"Internal server error", never 429, and a function that timed out or crashed with 504/502:
https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway-errors.html. The idempotency key is
what makes retrying those writes safe; the load test checks that it is.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Final

import aiohttp

RETRIED_STATUSES: Final = frozenset({429, 500, 502, 503, 504})
RETRIED_CONFLICTS: Final = frozenset({"request_in_progress", "upload_claim_contended"})


@dataclass(frozen=True)
class Backoff:
    attempts: int = 8
    base_s: float = 0.05
    cap_s: float = 2.0

    def delay(self, retry: int, retry_after: float, rng: random.Random) -> float:
        """Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"), never less than
        what the server asked for."""
        return max(retry_after, rng.uniform(0, min(self.cap_s, self.base_s * 2**retry)))


@dataclass
class Answer:
    status: int  # 0: no HTTP answer (connection error or client timeout)
    body: Any
    headers: dict[str, str]
    attempts: int
    latency_ms: float  # the whole call, retries and waits included

    @property
    def error_code(self) -> str | None:
        error = self.body.get("error") if isinstance(self.body, dict) else None
        return error.get("code") if isinstance(error, dict) else None


@dataclass
class Attempts:
    """Every attempt's status, across all calls of a client (0: no HTTP answer)."""

    statuses: Counter[int] = field(default_factory=Counter)
    # 429 and 503 answers that did not say when to come back (a Retry-After header).
    without_retry_after: Counter[int] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.statuses.values())


class RetryingClient:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        api_url: str,
        attempts: Attempts,
        *,
        backoff: Backoff | None = None,
        seed: int = 0,
        timeout_s: float = 35.0,  # beyond API Gateway's 29 s integration timeout
    ) -> None:
        self.session = session
        self.api_url = api_url.rstrip("/")
        self.attempts = attempts
        self.backoff = backoff or Backoff()
        self.rng = random.Random(seed)
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)

    async def get(self, path: str) -> Answer:
        return await self.call("GET", path)

    async def post(self, path: str, body: Any, idempotency_key: str) -> Answer:
        return await self.call("POST", path, body, {"Idempotency-Key": idempotency_key})

    async def call(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> Answer:
        started = time.perf_counter()
        data = None if body is None else json.dumps(body).encode()
        sent_headers = {"Accept": "application/json", **(headers or {})}
        if data is not None:
            sent_headers["Content-Type"] = "application/json"
        for attempt in range(1, self.backoff.attempts + 1):
            status, answer_body, answer_headers = await self._once(method, path, data, sent_headers)
            self.attempts.statuses[status] += 1
            if status in (429, 503) and not any(name.lower() == "retry-after" for name in answer_headers):
                self.attempts.without_retry_after[status] += 1
            if attempt == self.backoff.attempts or not self._retried(status, answer_body):
                break
            retry_after = _seconds(answer_headers.get("Retry-After"))
            await asyncio.sleep(self.backoff.delay(attempt - 1, retry_after, self.rng))
        return Answer(status, answer_body, answer_headers, attempt, (time.perf_counter() - started) * 1000)

    async def _once(
        self, method: str, path: str, data: bytes | None, headers: dict[str, str]
    ) -> tuple[int, Any, dict[str, str]]:
        try:
            async with self.session.request(
                method, self.api_url + path, data=data, headers=headers, timeout=self.timeout
            ) as response:
                raw = await response.read()
                return response.status, _json_or_text(raw), dict(response.headers)
        except (TimeoutError, aiohttp.ClientError) as error:
            return 0, repr(error), {}

    @staticmethod
    def _retried(status: int, body: Any) -> bool:
        if status == 0 or status in RETRIED_STATUSES:
            return True
        code = body.get("error", {}).get("code") if isinstance(body, dict) else None
        return status == 409 and code in RETRIED_CONFLICTS


def _seconds(value: str | None) -> float:
    try:
        return max(0.0, float(value)) if value else 0.0
    except ValueError:
        return 0.0


def _json_or_text(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")

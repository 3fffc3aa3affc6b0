"""Faults the edge injects into AWS calls before they reach the control plane: a rule either answers
a call itself (a service's API error, e.g. ``local.services.dynamodb.faults``) or delays it (latency
between a function and AWS). Rules are set and cleared at runtime (``local.cloud.faults``); with no
rule, a call costs one dictionary lookup."""

from __future__ import annotations

import asyncio
import random
import re
from dataclasses import dataclass
from typing import Any, Final, Protocol

from aiohttp import web
from aiohttp.web_request import BaseRequest

from local.services.dynamodb.faults import FUNCTION_USER_AGENT

_SERVICE: Final = re.compile(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/aws4_request")


class Answering(Protocol):
    def answer(
        self, target: str, user_agent: str, rng: random.Random
    ) -> tuple[int, dict[str, str], bytes] | None: ...


@dataclass(frozen=True)
class LatencyRule:
    """Delay every call a function makes (to ``services`` only, if given) by ``delay_ms``."""

    delay_ms: float
    services: frozenset[str] = frozenset()

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> LatencyRule:
        delay_ms = float(settings.get("delay_ms", 0))
        if not 0 < delay_ms <= 60_000:
            raise ValueError(f"delay_ms must be above 0 and at most 60000, not {delay_ms}")
        services = settings.get("services") or []
        if isinstance(services, str):
            services = [part for part in services.split(",") if part]
        return cls(delay_ms, frozenset(str(service) for service in services))

    def delay_s(self, service: str, user_agent: str) -> float:
        if FUNCTION_USER_AGENT not in user_agent or (self.services and service not in self.services):
            return 0.0
        return self.delay_ms / 1000


class EdgeFaults:
    def __init__(self, seed: int | None = None) -> None:
        self.answering: dict[str, Answering] = {}
        self.latency: dict[str, LatencyRule] = {}
        self.rng = random.Random(seed)  # noqa: S311  (which calls fail, not a secret)

    def remove(self, fault_id: str) -> None:
        self.answering.pop(fault_id, None)
        self.latency.pop(fault_id, None)

    async def apply(self, request: BaseRequest) -> web.Response | None:
        """Delay ``request`` as the latency rules say; an answer of its own if a rule gives one."""
        if not self.answering and not self.latency:
            return None
        user_agent = request.headers.get("User-Agent", "")
        match = _SERVICE.search(request.headers.get("Authorization", ""))
        service = match.group(1) if match else ""
        delay = sum(rule.delay_s(service, user_agent) for rule in self.latency.values())
        if delay:
            await asyncio.sleep(delay)
        target = request.headers.get("X-Amz-Target", "")
        for rule in self.answering.values():
            answer = rule.answer(target, user_agent, self.rng)
            if answer is not None:
                status, headers, body = answer
                await request.read()  # the call is consumed, as a refused call is
                return web.Response(status=status, headers=headers, body=body)
        return None

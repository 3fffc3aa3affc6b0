"""The execution role's credentials Lambda gives each execution environment.

Lambda assumes the function's execution role and hands the environment the temporary credentials
(``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``); the session is named after
the function, so the caller's ARN is ``arn:aws:sts::<account>:assumed-role/<role>/<function>``.
https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html
Here the executor calls STS AssumeRole on the control plane (moto's STS issues the keys, and the IAM
patch evaluates what they sign against the role's policies). A session is reused for new
environments of the same function and role until it is near its end; moto never expires it, so an
environment older than the session keeps working (on AWS, Lambda refreshes it).
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from local.control_client import ControlPlaneClient

SESSION_S = 3600  # AssumeRole's default and a role's default maximum
RENEW_BEFORE_S = 300


@dataclass(frozen=True)
class RoleSession:
    access_key_id: str
    secret_access_key: str
    session_token: str


class RoleOf(Protocol):
    """What a session is for (a FunctionVersion)."""

    @property
    def name(self) -> str: ...
    @property
    def role(self) -> str: ...


class ExecutionRoles:
    def __init__(self, client: ControlPlaneClient, clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.clock = clock
        self._sessions: dict[tuple[str, str], tuple[RoleSession, float]] = {}

    async def of(self, function: RoleOf) -> RoleSession | None:
        """The session for a function's role (None when it names none: the administrator's key)."""
        role, name = function.role, function.name
        if not role:
            return None
        key = (role, name)
        cached = self._sessions.get(key)
        if cached is not None and self.clock() < cached[1] - RENEW_BEFORE_S:
            return cached[0]
        answer = await self.client.query_call(
            "sts",
            "AssumeRole",
            {"RoleArn": role, "RoleSessionName": name[:64], "DurationSeconds": str(SESSION_S)},
        )
        session = _parse(answer)
        self._sessions[key] = (session, self.clock() + SESSION_S)
        return session


def _parse(answer: bytes) -> RoleSession:
    document = ET.fromstring(answer)  # noqa: S314 - moto's own answer, from loopback

    def text(tag: str) -> str:
        found = next((e.text for e in document.iter() if e.tag.rsplit("}", 1)[-1] == tag), None)
        if not found:
            raise ValueError(f"AssumeRole answered without {tag}")
        return found

    return RoleSession(text("AccessKeyId"), text("SecretAccessKey"), text("SessionToken"))

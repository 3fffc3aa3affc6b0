"""Each environment's execution-role session: AssumeRole once per function and role, renewed near its end."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from local.services.lambda_.credentials import RENEW_BEFORE_S, SESSION_S, ExecutionRoles

ANSWER = """<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
<Credentials><AccessKeyId>ASIA{n}</AccessKeyId><SecretAccessKey>secret{n}</SecretAccessKey>
<SessionToken>token{n}</SessionToken></Credentials></AssumeRoleResult></AssumeRoleResponse>"""


@dataclass
class FakeControlPlane:
    calls: list[dict[str, str]] = field(default_factory=list)

    async def query_call(self, service: str, action: str, params: dict[str, str]) -> bytes:
        assert (service, action) == ("sts", "AssumeRole")
        self.calls.append(params)
        return ANSWER.format(n=len(self.calls)).encode()


@dataclass(frozen=True)
class Function:
    name: str
    role: str


def test_a_session_per_function_and_role_named_after_the_function_renewed_before_its_end() -> None:
    control, now = FakeControlPlane(), [0.0]
    roles = ExecutionRoles(control, clock=lambda: now[0])  # type: ignore[arg-type]
    api = Function("postcards", "arn:aws:iam::123456789012:role/postcards-api")

    async def scenario() -> list[Any]:
        first = await roles.of(api)
        again = await roles.of(api)
        other = await roles.of(Function("thumbnails", "arn:aws:iam::123456789012:role/thumbs"))
        now[0] = SESSION_S - RENEW_BEFORE_S + 1
        renewed = await roles.of(api)
        return [first, again, other, renewed]

    first, again, other, renewed = asyncio.run(scenario())

    assert first == again
    assert (first.access_key_id, first.secret_access_key, first.session_token) == (
        "ASIA1",
        "secret1",
        "token1",
    )
    assert other.access_key_id == "ASIA2"
    assert renewed.access_key_id == "ASIA3"
    assert control.calls[0] == {
        "RoleArn": "arn:aws:iam::123456789012:role/postcards-api",
        "RoleSessionName": "postcards",
        "DurationSeconds": str(SESSION_S),
    }


def test_a_function_without_a_role_runs_with_the_administrator_key() -> None:
    roles = ExecutionRoles(FakeControlPlane())  # type: ignore[arg-type]

    assert asyncio.run(roles.of(Function("f", ""))) is None

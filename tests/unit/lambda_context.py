"""The ``context`` the Lambda runtime passes to a handler, for the functions' unit tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from tests.unit.stack import REGION


@dataclass
class FakeLambdaContext:
    """The attributes the handlers and Powertools read. The defaults are the postcards API's, as API
    Gateway invokes it (through its alias ``live``); the other functions' fixtures say theirs."""

    function_name: str = "postcards-test-postcards"
    function_version: str = "7"
    qualifier: str | None = "live"  # what the caller invoked: an alias, a version or nothing
    memory_limit_in_mb: int = 256
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    remaining_ms: int = 10_000

    @property
    def invoked_function_arn(self) -> str:
        arn = f"arn:aws:lambda:{REGION}:123456789012:function:{self.function_name}"
        return f"{arn}:{self.qualifier}" if self.qualifier else arn

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return f"2026/01/31/[{self.function_version}]0123456789abcdef0123456789abcdef"

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms

"""INIT's timeout ends with INIT, however the runtime's first /next and the spawn interleave."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from local.services.lambda_ import environment as environment_module
from local.services.lambda_.environment import EnvironmentSpec, ExecutionEnvironment
from local.services.lambda_.invocation import Invocation
from local.services.lambda_.runtime import Runtime
from local.services.logs.sink import LogSink
from tests.local.lambda_.versions import function_version

INIT_TIMEOUT_S = 0.3
# A custom runtime (provided.*): /next, then an answer after INIT's timeout has passed.
BOOTSTRAP = f"""#!{sys.executable}
import os, time, urllib.request
api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation/"
with urllib.request.urlopen(api + "next") as answer:
    request_id = answer.headers["Lambda-Runtime-Aws-Request-Id"]
time.sleep({INIT_TIMEOUT_S * 2})  # the function's own work, longer than INIT's timeout
urllib.request.urlopen(urllib.request.Request(api + request_id + "/response", data=b'"done"'))
with urllib.request.urlopen(api + "next"):
    pass
"""


def _spec(task_root: Path) -> EnvironmentSpec:
    function = function_version("slow", runtime="provided.al2023", handler="unused", timeout_s=30.0)
    runtime = Runtime("provided.al2023", None, "", None, exact=True)
    return EnvironmentSpec(
        function=function, runtime=runtime, task_root=task_root, opt_dir=task_root / "opt",
        region="us-east-1", edge_url="http://127.0.0.1:9", xray_daemon="127.0.0.1:2000",
        init_timeout_s=INIT_TIMEOUT_S, enforce_memory=False,
    )  # fmt: skip


def test_a_first_next_served_before_the_spawn_returns_still_ends_init(tmp_path, monkeypatch):
    # Given a runtime whose first /next is answered before the coroutine that spawned it resumes
    # (what a busy event loop does), and an invocation that outlasts INIT's timeout
    bootstrap = tmp_path / "bootstrap"
    bootstrap.write_text(BOOTSTRAP)
    bootstrap.chmod(0o755)
    spawn = asyncio.create_subprocess_exec
    started: list[ExecutionEnvironment] = []

    async def spawn_then_resume_late(*args, **kwargs):
        process = await spawn(*args, **kwargs)
        await started[0].initialized
        return process

    monkeypatch.setattr(environment_module.asyncio, "create_subprocess_exec", spawn_then_resume_late)

    async def scenario() -> tuple[bytes, list[str], bool]:
        sink = LogSink(None, "none")
        environment = ExecutionEnvironment(_spec(tmp_path), sink)
        started.append(environment)
        await environment.start()
        invocation = Invocation("0f1e2d3c-0000-4000-8000-000000000001", b"{}", environment.function.arn, "")
        try:
            outcome = await environment.invoke(invocation)
            lines = [message for stream in sink.pending for _, message in stream.events]
            return outcome.payload, lines, environment.alive
        finally:
            await environment.stop()

    # When it runs
    payload, lines, alive = asyncio.run(scenario())

    # Then the invocation gets the function's answer: INIT's timer did not outlive INIT
    assert payload == b'"done"'
    assert alive
    assert not [line for line in lines if line.startswith("INIT_REPORT")]

"""The FIS extension's part (``local.services.lambda_.faults``): which invocations a configuration in
S3 affects (share, qualifier, time window) and what is done to them; S3 is read again after the
poll interval, in the background."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from local.services.fis.configuration import FaultConfiguration
from local.services.lambda_.fis_extension import FaultSource
from local.services.lambda_.functions import FunctionVersion
from tests.local.lambda_.versions import function_version


class FakeS3:
    """ListObjectsV2 and GetObject on one bucket, as the control client's rest_call answers them."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.lists = 0

    async def rest_call(self, service: str, method: str, path: str, **options: Any) -> tuple[int, bytes]:
        if path == "/bucket":
            self.lists += 1
            prefix = options["query"]["prefix"]
            keys = "".join(
                f"<Contents><Key>{k}</Key></Contents>" for k in self.objects if k.startswith(prefix)
            )
            return (
                200,
                f'<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">{keys}</ListBucketResult>'.encode(),
            )
        return 200, self.objects[path.removeprefix("/bucket/")]


def _function(location: str | None = "arn:aws:s3:::bucket/FisConfigs/") -> FunctionVersion:
    environment = {"AWS_FIS_CONFIGURATION_LOCATION": location} if location else {}
    return function_version("api", environment=environment)


def _configuration(action: str, qualifier: str | None = None, **parameters: str) -> FaultConfiguration:
    return FaultConfiguration(
        "EXP1", action.rsplit("-", 1)[-1], action, "api", qualifier, parameters, 0.0, 100.0
    )


def _put(s3: FakeS3, configuration: FaultConfiguration) -> None:
    s3.objects[f"FisConfigs/api/{configuration.experiment_id}-{configuration.action_name}.json"] = (
        configuration.to_json()
    )


def test_a_share_of_invocations_gets_the_fault(monkeypatch: Any) -> None:
    s3 = FakeS3()
    _put(
        s3, _configuration("aws:lambda:invocation-error", invocationPercentage="30", preventExecution="true")
    )
    rolls = iter([0.29, 0.30, 0.99])
    source = FaultSource(s3, clock=lambda: 50.0, roll=lambda: next(rolls))  # type: ignore[arg-type]

    faults = [asyncio.run(source.fault_for(_function(), None)) for _ in range(3)]

    first = faults[0]
    assert first is not None
    assert first.prevent_execution
    assert first.answer is not None
    assert json.loads(first.answer.payload)["errorType"] == "FisInjectedError"
    assert first.answer.failed
    assert faults[1:] == [None, None]


def test_delay_and_http_response_combine_and_a_qualifier_narrows(monkeypatch: Any) -> None:
    s3 = FakeS3()
    _put(s3, _configuration("aws:lambda:invocation-add-delay", startupDelayMilliseconds="1500"))
    _put(
        s3,
        _configuration(
            "aws:lambda:invocation-http-integration-response",
            qualifier="live",
            statusCode="503",
            contentTypeHeader="text/plain",
            preventExecution="false",
        ),
    )
    source = FaultSource(s3, clock=lambda: 50.0, roll=lambda: 0.0)  # type: ignore[arg-type]

    by_alias = asyncio.run(source.fault_for(_function(), "live"))
    unqualified = asyncio.run(source.fault_for(_function(), None))

    assert by_alias is not None
    assert by_alias.delay_s == 1.5
    assert not by_alias.prevent_execution
    assert by_alias.answer is not None
    assert json.loads(by_alias.answer.payload) == {
        "statusCode": 503,
        "headers": {"Content-Type": "text/plain"},
        "body": "",
    }
    assert unqualified is not None
    assert unqualified.delay_s == 1.5
    assert unqualified.answer is None


def test_outside_its_window_or_without_the_location_nothing_happens() -> None:
    s3 = FakeS3()
    _put(s3, _configuration("aws:lambda:invocation-error"))
    late = FaultSource(s3, clock=lambda: 100.0, roll=lambda: 0.0)  # type: ignore[arg-type]
    assert asyncio.run(late.fault_for(_function(), None)) is None
    assert asyncio.run(late.fault_for(_function(location=None), None)) is None


def test_s3_is_read_again_after_the_poll_interval_in_the_background() -> None:
    s3 = FakeS3()
    now = [10.0]
    source = FaultSource(s3, poll_interval_s=1.0, clock=lambda: now[0], roll=lambda: 0.0)  # type: ignore[arg-type]

    async def scenario() -> list[Any]:
        seen = [await source.fault_for(_function(), None)]  # first read: awaited, nothing there
        _put(s3, _configuration("aws:lambda:invocation-error"))
        seen.append(await source.fault_for(_function(), None))  # within the interval: the old copy
        now[0] = 11.5
        seen.append(await source.fault_for(_function(), None))  # stale: served, refreshed behind
        await asyncio.sleep(0.01)
        seen.append(await source.fault_for(_function(), None))
        return seen

    seen = asyncio.run(scenario())
    assert seen[:3] == [None, None, None]
    assert seen[3] is not None
    assert s3.lists == 2


def test_after_two_idle_intervals_an_invocation_waits_for_the_current_configuration() -> None:
    # Given a fault read while an experiment ran, and the experiment then stopped (its configuration
    # deleted) while nothing invoked the function for longer than two poll intervals
    s3 = FakeS3()
    now = [10.0]
    source = FaultSource(s3, poll_interval_s=1.0, clock=lambda: now[0], roll=lambda: 0.0)  # type: ignore[arg-type]
    _put(s3, _configuration("aws:lambda:invocation-error"))

    async def scenario() -> list[Any]:
        seen = [await source.fault_for(_function(), None)]
        s3.objects.clear()
        now[0] = 12.5
        # When the next invocation comes
        seen.append(await source.fault_for(_function(), None))
        return seen

    # Then it is not failed by the stopped experiment: it read S3 again before deciding, as the
    # extension's own poller would have
    during, after = asyncio.run(scenario())
    assert during is not None
    assert after is None
    assert s3.lists == 2

"""The Lambda executor end to end: functions deployed and invoked through the AWS endpoint (edge),
run by awslambdaric in execution environments of their own."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from threading import Barrier
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.local.cloud_support import RunningCloud, invoke

Deploy = Callable[..., str]


def test_cold_start_then_warm_reuse_of_the_same_environment(cloud: RunningCloud, deploy: Deploy) -> None:
    # Given a function that was never invoked
    name = deploy(cloud)

    # When it is invoked twice in a row
    _, first = invoke(cloud, name, {"n": 1})
    _, second = invoke(cloud, name, {"n": 2})

    # Then the first ran in a new environment and the second reused it
    assert first["cold"] is True
    assert second["cold"] is False
    assert second["pid"] == first["pid"]
    assert second["stream"] == first["stream"]
    assert second["event"] == {"n": 2}


def test_the_environment_looks_like_lambda(cloud: RunningCloud, deploy: Deploy) -> None:
    # Given a function with its own environment variables and memory size
    name = deploy(cloud, MemorySize=256, Environment={"Variables": {"GREETING": "hi"}})

    # When it runs
    answer, result = invoke(cloud, name)

    # Then it sees Lambda's variables, its own, and Lambda's module search path
    env = result["env"]
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == name
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["_HANDLER"] == "probe.handler"
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.13"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == f"/aws/lambda/{name}"
    assert env["AWS_LAMBDA_LOG_STREAM_NAME"].endswith(result["stream"][-32:])
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "us-east-1"
    # the execution role's temporary credentials, not the administrator's key
    assert env["AWS_ACCESS_KEY_ID"] != "test"
    assert env["AWS_SESSION_TOKEN"] not in ("", "test")
    assert env["AWS_ENDPOINT_URL"] == cloud.aws_endpoint_url
    assert env["AWS_ENDPOINT_URL"].startswith("https://")
    assert env["AWS_CA_BUNDLE"] == cloud.ca_bundle  # the function's SDK verifies the endpoint with it
    assert env["AWS_LAMBDA_INITIALIZATION_TYPE"] == "on-demand"
    assert env["_X_AMZN_TRACE_ID"].startswith("Root=1-")
    assert env["AWS_LAMBDA_RUNTIME_API"].startswith("127.0.0.1:")
    assert result["path"][1] == env["LAMBDA_TASK_ROOT"] or env["LAMBDA_TASK_ROOT"] in result["path"]
    assert result["path"].index(env["LAMBDA_TASK_ROOT"]) < result["path"].index(env["LAMBDA_RUNTIME_DIR"])
    assert result["invoked_arn"] == f"arn:aws:lambda:us-east-1:123456789012:function:{name}"
    assert 0 < result["remaining_ms"] <= 10_000
    assert answer["ExecutedVersion"] == "$LATEST"
    assert answer["StatusCode"] == 200


def test_a_handler_exception_is_reported_the_lambda_way(cloud: RunningCloud, deploy: Deploy) -> None:
    # Given a function whose handler raises
    name = deploy(cloud)

    # When it is invoked
    answer, error = invoke(cloud, name, {"raise": "boom"})

    # Then the invoke succeeds with Lambda's error document and X-Amz-Function-Error
    assert answer["StatusCode"] == 200
    assert answer["FunctionError"] == "Unhandled"
    assert error["errorType"] == "ValueError"
    assert error["errorMessage"] == "boom"
    assert any("raise ValueError" in frame for frame in error["stackTrace"])


def test_a_timeout_kills_the_environment_and_the_next_request_gets_a_fresh_one(
    cloud: RunningCloud, deploy: Deploy
) -> None:
    # Given a warm function with a 1 s timeout
    name = deploy(cloud, Timeout=1)
    _, warm = invoke(cloud, name)

    # When an invocation runs longer than that
    answer, error = invoke(cloud, name, {"sleep": 5})
    _, after = invoke(cloud, name)

    # Then it fails as Lambda reports timeouts, and the next one runs in a new environment
    assert answer["FunctionError"] == "Unhandled"
    assert error["errorType"] == "Sandbox.Timedout"
    assert error["errorMessage"].endswith("Task timed out after 1.00 seconds")
    assert after["cold"] is True
    assert after["pid"] != warm["pid"]


def test_a_crash_is_reported_and_the_next_request_gets_a_fresh_environment(
    cloud: RunningCloud, deploy: Deploy
) -> None:
    # Given a warm function
    name = deploy(cloud)
    _, warm = invoke(cloud, name)

    # When its process exits in the middle of an invocation
    answer, error = invoke(cloud, name, {"exit": 3})
    _, after = invoke(cloud, name)

    # Then Lambda's Runtime.ExitError comes back and a new environment serves the next request
    assert answer["FunctionError"] == "Unhandled"
    assert error["errorType"] == "Runtime.ExitError"
    assert "Runtime exited with error: exit status 3" in error["errorMessage"]
    assert after["cold"] is True
    assert after["pid"] != warm["pid"]


def test_an_import_error_is_a_runtime_import_module_error(cloud: RunningCloud, deploy: Deploy) -> None:
    # Given a function whose module imports a package it does not ship
    name = deploy(
        cloud,
        files={"broken.py": "import not_shipped_anywhere\n\ndef handler(e, c):\n    return 1\n"},
        handler="broken.handler",
    )

    # When it is invoked
    answer, error = invoke(cloud, name)

    # Then awslambdaric's init error reaches the caller
    assert answer["FunctionError"] == "Unhandled"
    assert error["errorType"] == "Runtime.ImportModuleError"
    assert "Unable to import module 'broken'" in error["errorMessage"]
    assert "not_shipped_anywhere" in error["errorMessage"]


def test_a_missing_handler_function_is_a_handler_not_found_error(cloud: RunningCloud, deploy: Deploy) -> None:
    name = deploy(cloud, handler="probe.no_such_handler")

    answer, error = invoke(cloud, name)

    assert answer["FunctionError"] == "Unhandled"
    assert error["errorType"] == "Runtime.HandlerNotFound"


def test_memory_above_the_function_size_kills_the_environment(cloud: RunningCloud, deploy: Deploy) -> None:
    # Given a 128 MB function
    name = deploy(cloud, MemorySize=128)
    _, warm = invoke(cloud, name)

    # When an invocation touches 300 MB
    answer, error = invoke(cloud, name, {"allocate_mb": 300})
    _, after = invoke(cloud, name)

    # Then it fails with Runtime.OutOfMemory and the environment is gone
    assert answer["FunctionError"] == "Unhandled"
    assert error["errorType"] == "Runtime.OutOfMemory"
    assert after["pid"] != warm["pid"]


@pytest.mark.parametrize("qualifier", [None, "live"])
def test_reserved_concurrency_throttles_a_burst_with_429(
    cloud: RunningCloud, deploy: Deploy, qualifier: str | None
) -> None:
    # Given a function (invoked as such, or through an alias, as API Gateway does) with reserved
    # concurrency 2, set after its version was published, whose invocations take a while
    name = deploy(cloud)
    client = cloud.client("lambda")
    if qualifier:
        version = client.publish_version(FunctionName=name)["Version"]
        client.create_alias(FunctionName=name, Name=qualifier, FunctionVersion=version)
    client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=2)
    burst = 6
    start = Barrier(burst)
    target = {"Qualifier": qualifier} if qualifier else {}

    def call(_: int) -> Any:
        start.wait()
        try:
            return invoke(cloud, name, {"sleep": 2}, **target)[1]
        except ClientError as error:
            return error.response

    # When six invocations arrive at once
    with ThreadPoolExecutor(burst) as pool:
        answers = list(pool.map(call, range(burst)))

    # Then two run and four are throttled as Lambda throttles
    throttled = [a for a in answers if "Error" in a]
    served = [a for a in answers if "Error" not in a]
    assert len(served) == 2
    assert len(throttled) == 4
    for answer in throttled:
        assert answer["ResponseMetadata"]["HTTPStatusCode"] == 429
        assert answer["Error"]["Code"] == "TooManyRequestsException"
        assert answer["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    assert len({a["pid"] for a in served}) == 2


def test_reserved_concurrency_zero_stops_a_function(cloud: RunningCloud, deploy: Deploy) -> None:
    name = deploy(cloud)
    cloud.client("lambda").put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)

    with pytest.raises(ClientError) as raised:
        invoke(cloud, name)

    assert raised.value.response["Error"]["Code"] == "TooManyRequestsException"


def test_reserved_concurrency_holds_for_versions_and_aliases_published_before_it(
    cloud: RunningCloud, deploy: Deploy
) -> None:
    # Given a version published with the function and an alias on it (as Terraform's publish = true
    # does), then the function's concurrency reserved: it belongs to the function, not to a version
    name = deploy(cloud, Publish=True)
    client = cloud.client("lambda")
    client.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)

    # When the version and the alias are invoked
    for qualifier in ("1", "live"):
        with pytest.raises(ClientError) as raised:
            invoke(cloud, name, Qualifier=qualifier)

        # Then both are held to it
        assert raised.value.response["Error"]["Code"] == "TooManyRequestsException"
        assert raised.value.response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    assert client.get_function(FunctionName=name, Qualifier="live")["Concurrency"] == {
        "ReservedConcurrentExecutions": 0
    }


def test_an_event_invocation_is_retried_twice_then_dropped(cloud: RunningCloud, deploy: Deploy) -> None:
    # Given a function that always fails
    name = deploy(cloud)

    # When it is invoked asynchronously
    answer, _ = invoke(cloud, name, {"raise": "always"}, InvocationType="Event")
    request_id = answer["ResponseMetadata"]["RequestId"]

    # Then the caller gets 202 at once; Lambda runs it three times in all, then drops it
    assert answer["StatusCode"] == 202
    cloud.wait_for_log(f"dropped asynchronous event {request_id}", timeout_s=60)
    # The drop comes after the last attempt; its log lines reach CloudWatch with the next batch.
    starts = _wait_for_messages(cloud, name, f"START RequestId: {request_id}", count=3)
    assert len(starts) == 3


def _queue(cloud: RunningCloud, name: str) -> tuple[str, str]:
    """A new SQS queue: (URL, ARN)."""
    sqs = cloud.client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def _receive_one(cloud: RunningCloud, queue_url: str) -> dict[str, Any]:
    """The first message's body as JSON, long-polling for at most ~30 s."""
    sqs = cloud.client("sqs")
    for _ in range(6):
        messages = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=5).get("Messages", [])
        if messages:
            return dict(json.loads(messages[0]["Body"]))
    raise AssertionError(f"no message in {queue_url}")


def _send_records_to(
    cloud: RunningCloud, name: str, qualifier: str | None = None, **destinations: str
) -> None:
    """No retries; OnSuccess / OnFailure destinations as given (ARNs), for ``qualifier`` or $LATEST."""
    cloud.client("lambda").put_function_event_invoke_config(
        FunctionName=name,
        MaximumRetryAttempts=0,
        DestinationConfig={when: {"Destination": arn} for when, arn in destinations.items()},
        **({"Qualifier": qualifier} if qualifier else {}),
    )


def test_a_failed_event_leaves_its_record_in_the_on_failure_queue(
    cloud: RunningCloud, deploy: Deploy
) -> None:
    # Given a function that always fails, without retries, whose failures go to an SQS queue
    name = deploy(cloud)
    queue_url, queue_arn = _queue(cloud, f"{name}-failures")
    _send_records_to(cloud, name, OnFailure=queue_arn)

    # When it is invoked asynchronously
    answer, _ = invoke(cloud, name, {"raise": "always"}, InvocationType="Event")

    # Then the queue gets Lambda's record of the invocation: what was asked, and how it failed
    record = _receive_one(cloud, queue_url)
    context = record["requestContext"]
    assert context["requestId"] == answer["ResponseMetadata"]["RequestId"]
    assert context["condition"] == "RetriesExhausted"
    assert context["approximateInvokeCount"] == 1
    assert context["functionArn"].endswith(f":function:{name}:$LATEST")
    assert record["requestPayload"] == {"raise": "always"}
    assert record["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    assert record["responsePayload"]["errorType"] == "ValueError"
    assert record["responsePayload"]["errorMessage"] == "always"


def test_an_alias_has_an_event_invoke_config_of_its_own(cloud: RunningCloud, deploy: Deploy) -> None:
    # Given a failing function whose live alias sends its failures to one queue (replacing an
    # earlier choice) and whose unqualified $LATEST sends them to another, as Terraform configures
    # the alias
    name = deploy(cloud)
    lam = cloud.client("lambda")
    lam.create_alias(
        FunctionName=name, Name="live", FunctionVersion=lam.publish_version(FunctionName=name)["Version"]
    )
    _, replaced_arn = _queue(cloud, f"{name}-replaced")
    live_url, live_arn = _queue(cloud, f"{name}-live")
    latest_url, latest_arn = _queue(cloud, f"{name}-latest")
    _send_records_to(cloud, name, "live", OnFailure=replaced_arn)
    _send_records_to(cloud, name, "live", OnFailure=live_arn)
    _send_records_to(cloud, name, OnFailure=latest_arn)

    # When the alias and the function are each invoked asynchronously
    through_alias, _ = invoke(cloud, name, {"raise": "live"}, InvocationType="Event", Qualifier="live")
    unqualified, _ = invoke(cloud, name, {"raise": "latest"}, InvocationType="Event")

    # Then each record went to its own configuration's queue
    live = _receive_one(cloud, live_url)
    assert live["requestContext"]["requestId"] == through_alias["ResponseMetadata"]["RequestId"]
    assert live["requestContext"]["functionArn"].endswith(f":function:{name}:live")
    latest = _receive_one(cloud, latest_url)
    assert latest["requestContext"]["requestId"] == unqualified["ResponseMetadata"]["RequestId"]
    config = lam.get_function_event_invoke_config(FunctionName=name, Qualifier="live")
    assert config["FunctionArn"].endswith(":live")
    assert config["DestinationConfig"]["OnFailure"]["Destination"] == live_arn


def test_a_successful_event_invokes_the_on_success_function_with_its_record(
    cloud: RunningCloud, deploy: Deploy
) -> None:
    # Given a function whose successes go to another function (which logs what it gets)
    name, receiver = deploy(cloud), deploy(cloud)
    receiver_arn = cloud.client("lambda").get_function(FunctionName=receiver)["Configuration"]["FunctionArn"]
    _send_records_to(cloud, name, OnSuccess=receiver_arn)

    # When it is invoked asynchronously and succeeds
    answer, _ = invoke(cloud, name, {"hello": "destinations"}, InvocationType="Event")

    # Then the receiver is invoked with the record, the function's answer in it
    logged = _wait_for_messages(cloud, receiver, "event ", count=1)[0]
    record = json.loads(logged.split("event ", 1)[1])
    assert record["requestContext"]["requestId"] == answer["ResponseMetadata"]["RequestId"]
    assert record["requestContext"]["condition"] == "Success"
    assert record["requestPayload"] == {"hello": "destinations"}
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
    assert record["responsePayload"]["event"] == {"hello": "destinations"}


def test_records_reach_sns_topics_and_eventbridge_buses(cloud: RunningCloud, deploy: Deploy) -> None:
    # Given a failing function recorded to an SNS topic and a succeeding one to the default event
    # bus, each delivering on to a queue
    failing, succeeding = deploy(cloud), deploy(cloud)
    sns_queue, sns_queue_arn = _queue(cloud, f"{failing}-sns")
    topic = cloud.client("sns").create_topic(Name=f"{failing}-records")["TopicArn"]
    cloud.client("sns").subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=sns_queue_arn, Attributes={"RawMessageDelivery": "true"}
    )
    _send_records_to(cloud, failing, OnFailure=topic)
    bus_queue, bus_queue_arn = _queue(cloud, f"{succeeding}-bus")
    events = cloud.client("events")
    rule = f"{succeeding}-records"
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["lambda"]}))
    events.put_targets(Rule=rule, Targets=[{"Id": "queue", "Arn": bus_queue_arn}])
    bus = events.describe_event_bus(Name="default")["Arn"]
    _send_records_to(cloud, succeeding, OnSuccess=bus)

    # When each is invoked asynchronously
    failed, _ = invoke(cloud, failing, {"raise": "via sns"}, InvocationType="Event")
    succeeded, _ = invoke(cloud, succeeding, {"via": "eventbridge"}, InvocationType="Event")

    # Then the topic carried the failure's record, and the bus the success's, as Lambda's event
    record = _receive_one(cloud, sns_queue)
    assert record["requestContext"]["requestId"] == failed["ResponseMetadata"]["RequestId"]
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    event = _receive_one(cloud, bus_queue)
    assert event["source"] == "lambda"
    assert event["detail-type"] == "Lambda Function Invocation Result - Success"
    assert event["detail"]["requestContext"]["requestId"] == succeeded["ResponseMetadata"]["RequestId"]
    assert event["detail"]["requestPayload"] == {"via": "eventbridge"}


def test_an_event_invocation_that_succeeds_runs_once(cloud: RunningCloud, deploy: Deploy) -> None:
    name = deploy(cloud)

    answer, _ = invoke(cloud, name, {"hello": "async"}, InvocationType="Event")
    request_id = answer["ResponseMetadata"]["RequestId"]

    reports = _wait_for_messages(cloud, name, f"REPORT RequestId: {request_id}", count=1)
    assert len(reports) == 1
    assert not any("Status: error" in r for r in reports)


def test_report_lines_with_init_duration_reach_cloudwatch_logs(cloud: RunningCloud, deploy: Deploy) -> None:
    # Given a function invoked cold and then warm
    name = deploy(cloud, MemorySize=192)
    first, _ = invoke(cloud, name)
    second, _ = invoke(cloud, name)
    first_id = first["ResponseMetadata"]["RequestId"]
    second_id = second["ResponseMetadata"]["RequestId"]

    # When CloudWatch Logs is read back through the edge
    cold = _wait_for_messages(cloud, name, f"REPORT RequestId: {first_id}", count=1)[0]
    warm = _wait_for_messages(cloud, name, f"REPORT RequestId: {second_id}", count=1)[0]

    # Then the REPORT lines carry Lambda's fields, Init Duration only on the cold start
    for report in (cold, warm):
        fields = dict(part.split(": ", 1) for part in report.split("\t")[1:])
        assert fields["Duration"].endswith(" ms")
        assert int(fields["Billed Duration"].removesuffix(" ms")) >= 1
        assert fields["Memory Size"] == "192 MB"
        assert 5 <= int(fields["Max Memory Used"].removesuffix(" MB")) <= 192
    assert "\tInit Duration: " in cold
    assert "Init Duration" not in warm
    streams = cloud.client("logs").describe_log_streams(logGroupName=f"/aws/lambda/{name}")["logStreams"]
    assert len(streams) == 1
    assert streams[0]["logStreamName"].startswith(time.strftime("%Y/%m/%d/[$LATEST]", time.gmtime()))
    printed = _log_messages(cloud, name, "probe loaded")
    assert printed


def test_what_aws_logs_tail_asks_for_is_answered(cloud: RunningCloud, deploy: Deploy) -> None:
    # `aws logs tail` is AWS CLI v2 only, which is not on PyPI: this replays its calls
    # (awscli/customizations/logs/tail.py): FilterLogEvents pages with interleaved=True from
    # --since; --follow polls again from the newest timestamp and skips eventIds it has shown.
    # Given a function invoked once
    name = deploy(cloud)
    first, _ = invoke(cloud, name)
    first_id = first["ResponseMetadata"]["RequestId"]
    _wait_for_messages(cloud, name, f"REPORT RequestId: {first_id}", count=1)
    logs = cloud.client("logs")
    query = {"logGroupName": f"/aws/lambda/{name}", "interleaved": True}
    query["startTime"] = int((time.time() - 600) * 1000)  # --since 10m, the default

    # When the tail reads every page since then
    pages = logs.get_paginator("filter_log_events").paginate(**query)
    shown = [event for page in pages for event in page["events"]]

    # Then it gets the invocation's lines in time order, each with what the tail prints and keys on
    messages = [event["message"] for event in shown]
    assert any(m.startswith(f"START RequestId: {first_id}") for m in messages)
    assert any(m.startswith(f"REPORT RequestId: {first_id}") for m in messages)
    assert [event["timestamp"] for event in shown] == sorted(event["timestamp"] for event in shown)
    for event in shown:
        assert {"eventId", "timestamp", "ingestionTime", "logStreamName", "message"} <= event.keys()
    assert len({event["eventId"] for event in shown}) == len(shown)

    # When it follows: another invocation, then a poll from the newest timestamp seen
    second, _ = invoke(cloud, name)
    second_id = second["ResponseMetadata"]["RequestId"]
    _wait_for_messages(cloud, name, f"REPORT RequestId: {second_id}", count=1)
    seen = {event["eventId"] for event in shown}
    query["startTime"] = max(event["timestamp"] for event in shown)
    polled = logs.filter_log_events(**query)["events"]
    new = [event["message"] for event in polled if event["eventId"] not in seen]

    # Then only the new invocation's lines are new
    assert any(m.startswith(f"REPORT RequestId: {second_id}") for m in new)
    assert not any(first_id in m for m in new)


def test_log_type_tail_returns_the_invocation_log(cloud: RunningCloud, deploy: Deploy) -> None:
    name = deploy(cloud)
    invoke(cloud, name)

    answer, _ = invoke(cloud, name, {"tail": True}, LogType="Tail")

    tail = base64.b64decode(answer["LogResult"]).decode()
    request_id = answer["ResponseMetadata"]["RequestId"]
    assert f"START RequestId: {request_id}" in tail
    assert 'event {"tail": true}' in tail
    assert f"REPORT RequestId: {request_id}" in tail


def test_an_updated_function_runs_its_new_code_in_new_environments(
    cloud: RunningCloud, deploy: Deploy
) -> None:
    # Given a warm function
    name = deploy(cloud, files={"app.py": "def handler(e, c):\n    return 'v1'\n"}, handler="app.handler")
    assert invoke(cloud, name)[1] == "v1"

    # When its code is updated through the edge
    from tests.local.cloud_support import zip_of

    cloud.client("lambda").update_function_code(
        FunctionName=name, ZipFile=zip_of({"app.py": "def handler(e, c):\n    return 'v2'\n"})
    )

    # Then the next invocation runs the new code
    assert invoke(cloud, name)[1] == "v2"


def test_versions_and_aliases_run_the_code_they_point_at(cloud: RunningCloud, deploy: Deploy) -> None:
    from tests.local.cloud_support import zip_of

    name = deploy(
        cloud,
        files={"app.py": "def handler(e, c):\n    return ['v1', c.invoked_function_arn]\n"},
        handler="app.handler",
    )
    client = cloud.client("lambda")
    version = client.publish_version(FunctionName=name)["Version"]
    client.create_alias(FunctionName=name, Name="live", FunctionVersion=version)
    client.update_function_code(
        FunctionName=name,
        ZipFile=zip_of({"app.py": "def handler(e, c):\n    return ['v2', c.invoked_function_arn]\n"}),
    )

    by_alias, (code_alias, arn_alias) = invoke(cloud, f"{name}:live")
    by_arn, (code_arn, _) = invoke(
        cloud, f"arn:aws:lambda:us-east-1:123456789012:function:{name}", Qualifier="live"
    )
    latest, (code_latest, _) = invoke(cloud, name)

    assert (code_alias, code_arn, code_latest) == ("v1", "v1", "v2")
    assert by_alias["ExecutedVersion"] == by_arn["ExecutedVersion"] == version
    assert latest["ExecutedVersion"] == "$LATEST"
    assert arn_alias.endswith(f":function:{name}:live")


def test_provisioned_concurrency_prewarms_environments(cloud: RunningCloud, deploy: Deploy) -> None:
    # Given a published version behind an alias
    name = deploy(cloud)
    client = cloud.client("lambda")
    version = client.publish_version(FunctionName=name)["Version"]
    client.create_alias(FunctionName=name, Name="live", FunctionVersion=version)

    # When provisioned concurrency is configured on the alias
    client.put_provisioned_concurrency_config(
        FunctionName=name, Qualifier="live", ProvisionedConcurrentExecutions=1
    )
    config = client.get_provisioned_concurrency_config(FunctionName=name, Qualifier="live")
    _wait_for_messages(cloud, name, "probe loaded", count=1)  # the environment initialised on its own
    answer, result = invoke(cloud, name, Qualifier="live")

    # Then the invocation finds an initialised environment of that kind: no Init Duration
    assert config["Status"] == "READY"
    assert result["env"]["AWS_LAMBDA_INITIALIZATION_TYPE"] == "provisioned-concurrency"
    report = _wait_for_messages(
        cloud, name, f"REPORT RequestId: {answer['ResponseMetadata']['RequestId']}", 1
    )[0]
    assert "Init Duration" not in report

    # And when the configuration is deleted, the provisioned environment goes away
    client.delete_provisioned_concurrency_config(FunctionName=name, Qualifier="live")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and Path(f"/proc/{result['pid']}").exists():
        time.sleep(0.1)
    assert not Path(f"/proc/{result['pid']}").exists()


def test_unknown_functions_and_bad_payloads_are_refused_like_lambda(cloud: RunningCloud) -> None:
    client = cloud.client("lambda")

    with pytest.raises(ClientError) as missing:
        client.invoke(FunctionName="no-such-function", Payload=b"{}")
    with pytest.raises(ClientError) as not_json:
        client.invoke(FunctionName="no-such-function", Payload=b"{not json")

    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert not_json.value.response["Error"]["Code"] in {
        "InvalidRequestContentException",
        "ResourceNotFoundException",
    }


def test_invalid_json_payload_is_an_invalid_request_content_error(
    cloud: RunningCloud, deploy: Deploy
) -> None:
    name = deploy(cloud)

    with pytest.raises(ClientError) as raised:
        cloud.client("lambda").invoke(FunctionName=name, Payload=b"{not json")

    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert raised.value.response["Error"]["Code"] == "InvalidRequestContentException"


def test_dry_run_checks_without_running(cloud: RunningCloud, deploy: Deploy) -> None:
    name = deploy(cloud)

    answer = cloud.client("lambda").invoke(FunctionName=name, InvocationType="DryRun")

    assert answer["StatusCode"] == 204
    assert _log_messages(cloud, name, "START") == []


def test_get_function_gives_a_code_location_that_downloads_the_zip(
    cloud: RunningCloud, deploy: Deploy
) -> None:
    import ssl
    import urllib.request

    from tests.local.cloud_support import PROBE

    name = deploy(cloud)

    location = cloud.client("lambda").get_function(FunctionName=name)["Code"]["Location"]
    assert location.startswith(cloud.aws_endpoint_url)  # on the edge, by the scheme it was asked by
    with urllib.request.urlopen(
        location, context=ssl.create_default_context(cafile=cloud.ca_bundle)
    ) as response:
        data = response.read()

    import io
    import zipfile

    assert zipfile.ZipFile(io.BytesIO(data)).read("probe.py").decode() == PROBE


def _log_messages(cloud: RunningCloud, name: str, needle: str) -> list[str]:
    logs = cloud.client("logs")
    try:
        events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
    except ClientError as error:
        if error.response["Error"]["Code"] == "ResourceNotFoundException":
            return []
        raise
    return [e["message"] for e in events if needle in e["message"]]


def _wait_for_messages(
    cloud: RunningCloud, name: str, needle: str, count: int, timeout_s: float = 30
) -> list[str]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = _log_messages(cloud, name, needle)
        if len(found) >= count:
            return found
        time.sleep(0.2)
    raise AssertionError(f"{count} log events with {needle!r} not in /aws/lambda/{name} within {timeout_s} s")


def test_json_roundtrip_of_unicode_payloads(cloud: RunningCloud, deploy: Deploy) -> None:
    name = deploy(cloud, files={"app.py": "def handler(e, c):\n    return e\n"}, handler="app.handler")
    event = {"text": "Grüße ✉ 📮", "list": [1, 2.5, None, True]}

    _, result = invoke(cloud, name, event)

    assert result == event
    assert json.dumps(result, ensure_ascii=False)

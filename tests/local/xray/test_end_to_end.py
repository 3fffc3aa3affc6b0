"""X-Ray and CloudWatch on the local cloud end to end: one request is one trace across API Gateway,
Lambda and DynamoDB; the aws CLI and boto3 read it; OTLP spans join; throttles raise an alarm that
notifies its topic and clears."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlparse

import pytest
from botocore.exceptions import ClientError
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

from tests.local.cloud_support import RunningCloud

T = TypeVar("T")
WAIT_S = 60


def eventually(probe: Callable[[], T | None], what: str, timeout_s: float = WAIT_S) -> T:
    """``probe()``'s first answer that is not None, polled until ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = probe()
        if found is not None:
            return found
        time.sleep(0.2)
    raise AssertionError(f"{what}: not within {timeout_s} s")


def new_root() -> str:
    return f"1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}"


@pytest.fixture(scope="module")
def xray(cloud: RunningCloud) -> Any:
    return cloud.client("xray")


@pytest.fixture(scope="module")
def sample_everything(xray: Any) -> Iterator[None]:
    """A rule ahead of Terraform's (1 a second, then 10 %): every API request is traced."""
    rule = {
        "RuleName": f"e2e-{uuid.uuid4().hex[:8]}",
        "Priority": 1,
        "FixedRate": 1.0,
        "ReservoirSize": 0,
        "ServiceName": "*",
        "ServiceType": "AWS::ApiGateway::Stage",
        "Host": "*",
        "HTTPMethod": "*",
        "URLPath": "/v1/*",
        "ResourceARN": "*",
        "Version": 1,
    }
    xray.create_sampling_rule(SamplingRule=rule)
    yield
    xray.delete_sampling_rule(RuleName=rule["RuleName"])


def api_request(cloud: RunningCloud, path: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    """GET ``path`` through the custom domain; (status, the Root of the X-Amzn-Trace-Id answered)."""
    gateway = urlparse(str(cloud.endpoints["apigateway_url"]))
    connection = http.client.HTTPConnection(gateway.hostname or "127.0.0.1", gateway.port, timeout=60)
    try:
        domain = f"api.{cloud.endpoints['domain_name']}"
        connection.request("GET", path, headers={"Host": domain, **(headers or {})})
        response = connection.getresponse()
        response.read()
        trace = response.getheader("X-Amzn-Trace-Id") or ""
        return response.status, trace.split(";")[0].removeprefix("Root=")
    finally:
        connection.close()


def segments_of(xray: Any, trace_id: str) -> list[dict[str, Any]]:
    traces = xray.batch_get_traces(TraceIds=[trace_id])["Traces"]
    return [json.loads(s["Document"]) for t in traces for s in t["Segments"]]


def whole_trace(xray: Any, trace_id: str, origins: set[str]) -> list[dict[str, Any]]:
    """The trace's segments once every origin in ``origins`` has one."""

    def probe() -> list[dict[str, Any]] | None:
        found = segments_of(xray, trace_id)
        return found if origins <= {s.get("origin") for s in found} else None

    return eventually(probe, f"trace {trace_id} with {sorted(origins)}")


def walk(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("subsegments") or ():
        yield from walk(child)


REQUEST_ORIGINS = {"AWS::ApiGateway::Stage", "AWS::Lambda", "AWS::Lambda::Function", "AWS::DynamoDB::Table"}


@pytest.mark.usefixtures("sample_everything")
def test_one_api_request_is_one_trace_across_the_gateway_lambda_and_dynamodb(cloud: RunningCloud, xray: Any):
    # Given a request to the API through the custom domain
    status, root = api_request(cloud, "/v1/postcards")
    assert status == 200

    # Then its trace holds the stage's, Lambda's two and DynamoDB's segments
    found = whole_trace(xray, root, REQUEST_ORIGINS)
    by_origin = {s["origin"]: s for s in found}
    stage, service = by_origin["AWS::ApiGateway::Stage"], by_origin["AWS::Lambda"]
    function, dynamodb = by_origin["AWS::Lambda::Function"], by_origin["AWS::DynamoDB::Table"]
    assert stage["name"].endswith(f"/{cloud.endpoints['stage']}")  # <api name>/<stage>
    assert "parent_id" not in stage

    # ... each child under its parent: the stage's Lambda call, Lambda's service segment, the function
    (call,) = [s for s in stage["subsegments"] if s["name"] == "Lambda"]
    assert service["parent_id"] == call["id"]
    assert function["parent_id"] == service["id"]
    function_nodes = {node["id"]: node for node in walk(function)}
    assert dynamodb["parent_id"] in function_nodes
    assert {"Invocation", "Overhead"} <= {s["name"] for s in function["subsegments"]}

    # ... and each child's time inside its parent's
    def inside(child: dict[str, Any], parent: dict[str, Any]) -> bool:
        return parent["start_time"] <= child["start_time"] <= child["end_time"] <= parent["end_time"]

    assert inside(call, stage)
    assert inside(service, call)
    assert inside(function, service)
    assert inside(dynamodb, function_nodes[dynamodb["parent_id"]])
    for node in walk(function):
        assert inside(node, function)


@pytest.mark.usefixtures("sample_everything")
def test_the_trace_id_in_the_functions_log_lines_is_the_gateways(cloud: RunningCloud, xray: Any):
    status, root = api_request(cloud, "/v1/postcards")
    assert status == 200
    found = whole_trace(xray, root, {"AWS::Lambda::Function"})
    (function,) = [s for s in found if s.get("origin") == "AWS::Lambda::Function"]
    logs = cloud.client("logs")
    group = cloud.endpoints["terraform_outputs"]["functions"]["postcards"]["log_group"]

    def lines_with_the_trace() -> list[str] | None:
        events = logs.filter_log_events(logGroupName=group)["events"]
        return [e["message"] for e in events if root in e["message"]] or None

    lines = eventually(lines_with_the_trace, f"a log line of {group} naming {root}")
    # Lambda's REPORT line names the trace and the function segment, as on AWS
    (report,) = [line for line in lines if line.startswith("REPORT ")]
    assert f"XRAY TraceId: {root}\tSegmentId: {function['id']}\tSampled: true" in report


def test_an_incoming_trace_header_is_continued(cloud: RunningCloud, xray: Any):
    root, parent = new_root(), uuid.uuid4().hex[:16]

    status, answered = api_request(
        cloud, "/v1/postcards", {"X-Amzn-Trace-Id": f"Root={root};Parent={parent};Sampled=1"}
    )

    assert (status, answered) == (200, root)
    found = whole_trace(xray, root, {"AWS::ApiGateway::Stage", "AWS::Lambda::Function"})
    (stage,) = [s for s in found if s.get("origin") == "AWS::ApiGateway::Stage"]
    assert stage["parent_id"] == parent
    assert {s["trace_id"] for s in found} == {root}


def test_a_sampled_out_request_leaves_no_trace(cloud: RunningCloud, xray: Any):
    # Given a request the caller sampled out, then one it sampled
    dropped, kept = new_root(), new_root()
    assert api_request(cloud, "/v1/postcards", {"X-Amzn-Trace-Id": f"Root={dropped};Sampled=0"})[0] == 200
    assert api_request(cloud, "/v1/postcards", {"X-Amzn-Trace-Id": f"Root={kept};Sampled=1"})[0] == 200

    # When the second one's trace is complete (so anything of the first would have arrived)
    whole_trace(xray, kept, REQUEST_ORIGINS)

    # Then the first left nothing
    answer = xray.batch_get_traces(TraceIds=[dropped])
    assert answer["Traces"] == []
    assert answer["UnprocessedTraceIds"] == [dropped]


def test_a_handler_error_shows_as_a_fault(cloud: RunningCloud, xray: Any, deploy: Callable[..., str]):
    name = deploy(cloud, TracingConfig={"Mode": "Active"})
    root = new_root()
    client = cloud.client("lambda")

    def with_trace(request: Any, **_: Any) -> None:
        request.headers["X-Amzn-Trace-Id"] = f"Root={root};Sampled=1"

    client.meta.events.register("before-sign.lambda.Invoke", with_trace)
    answer = client.invoke(FunctionName=name, Payload=json.dumps({"raise": "bad postcard"}).encode())
    assert answer["FunctionError"] == "Unhandled"

    found = whole_trace(xray, root, {"AWS::Lambda", "AWS::Lambda::Function"})
    (function,) = [s for s in found if s.get("origin") == "AWS::Lambda::Function"]
    assert function["fault"] is True
    (invocation,) = [s for s in function["subsegments"] if s["name"] == "Invocation"]
    assert invocation["cause"]["exceptions"] == [{"type": "ValueError", "message": "bad postcard"}]
    start = datetime.now(UTC) - timedelta(minutes=5)
    summaries = xray.get_trace_summaries(
        StartTime=start,
        EndTime=datetime.now(UTC) + timedelta(minutes=1),
        FilterExpression=f'service("{name}") {{ fault }}',
    )["TraceSummaries"]
    assert [s["Id"] for s in summaries] == [root]


@pytest.mark.usefixtures("sample_everything")
def test_aws_xray_get_trace_summaries_through_the_aws_cli_lists_the_request(cloud: RunningCloud, xray: Any):
    status, root = api_request(cloud, "/v1/postcards")
    assert status == 200
    whole_trace(xray, root, {"AWS::ApiGateway::Stage"})
    now = int(time.time())
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CA_BUNDLE": cloud.ca_bundle,  # the edge is HTTPS, verified with the local CA
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    aws = Path(sys.executable).with_name("aws")
    done = subprocess.run(
        [
            str(aws),
            "xray",
            "get-trace-summaries",
            "--endpoint-url",
            cloud.aws_endpoint_url,
            "--start-time",
            str(now - 300),
            "--end-time",
            str(now + 60),
            "--filter-expression",
            "http.status = 200",
            "--output",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert root in {s["Id"] for s in json.loads(done.stdout)["TraceSummaries"]}


def test_an_otlp_span_posted_to_the_collector_shows_up(cloud: RunningCloud, xray: Any):
    otel_trace, span = uuid.uuid4().hex, uuid.uuid4().hex[:16]
    request = trace_service_pb2.ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    attribute = resource_spans.resource.attributes.add()
    attribute.key, attribute.value.string_value = "service.name", "otel-worker"
    sent = resource_spans.scope_spans.add().spans.add()
    sent.trace_id, sent.span_id, sent.name = bytes.fromhex(otel_trace), bytes.fromhex(span), "job"
    sent.start_time_unix_nano = time.time_ns()
    sent.end_time_unix_nano = sent.start_time_unix_nano + 5_000_000
    edge = urlparse(cloud.aws_endpoint_url)
    connection = http.client.HTTPConnection(edge.hostname or "127.0.0.1", edge.port, timeout=30)
    try:
        connection.request(
            "POST",
            "/v1/traces",
            body=request.SerializeToString(),
            headers={"Content-Type": "application/x-protobuf"},
        )
        response = connection.getresponse()
        assert response.status == 200
        response.read()
    finally:
        connection.close()

    (segment,) = segments_of(xray, f"1-{otel_trace[:8]}-{otel_trace[8:]}")
    assert (segment["id"], segment["name"]) == (span, "otel-worker")


def test_a_burst_that_throttles_raises_throttles_and_an_alarm_that_fires_notifies_and_clears(
    cloud: RunningCloud, deploy: Callable[..., str]
):
    # Given a function that takes one invocation at a time, an alarm on its throttles (10 s periods)
    # and a queue subscribed to the alarm's topic
    name = deploy(cloud)
    # cloud.client makes no retries: each Invoke reaches Lambda once.
    lambda_ = cloud.client("lambda")
    lambda_.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    sns, sqs, cloudwatch = cloud.client("sns"), cloud.client("sqs"), cloud.client("cloudwatch")
    topic = sns.create_topic(Name=f"{name}-alarms")["TopicArn"]
    queue = sqs.create_queue(QueueName=f"{name}-alarms")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"}
    )
    alarm = f"{name}-throttles"
    cloudwatch.put_metric_alarm(
        AlarmName=alarm,
        Namespace="AWS/Lambda",
        MetricName="Throttles",
        Dimensions=[{"Name": "FunctionName", "Value": name}],
        Statistic="Sum",
        Period=10,
        EvaluationPeriods=1,
        Threshold=0,
        ComparisonOperator="GreaterThanThreshold",
        TreatMissingData="notBreaching",
        AlarmActions=[topic],
        OKActions=[topic],
    )

    # When a burst of invocations arrives at once
    throttled: list[str] = []

    def invoke() -> None:
        try:
            lambda_.invoke(FunctionName=name, Payload=json.dumps({"sleep": 2}).encode())
        except ClientError as error:
            throttled.append(error.response["Error"]["Code"])

    burst = [threading.Thread(target=invoke) for _ in range(4)]
    for thread in burst:
        thread.start()
    for thread in burst:
        thread.join(60)

    # Then some were throttled, Throttles counts them, the alarm goes to ALARM and tells the topic
    assert throttled
    assert set(throttled) == {"TooManyRequestsException"}

    def throttles() -> float | None:
        points = cloudwatch.get_metric_statistics(
            Namespace="AWS/Lambda",
            MetricName="Throttles",
            Dimensions=[{"Name": "FunctionName", "Value": name}],
            StartTime=datetime.now(UTC) - timedelta(minutes=5),
            EndTime=datetime.now(UTC) + timedelta(minutes=1),
            Period=60,
            Statistics=["Sum"],
        )["Datapoints"]
        total = sum(p["Sum"] for p in points)
        return total or None

    assert eventually(throttles, "Throttles datapoints") == len(throttled)

    def state(wanted: str) -> dict[str, Any] | None:
        (described,) = cloudwatch.describe_alarms(AlarmNames=[alarm])["MetricAlarms"]
        return described if described["StateValue"] == wanted else None

    fired = eventually(lambda: state("ALARM"), f"{alarm} in ALARM")
    assert fired["StateReason"].startswith("Threshold Crossed: 1 datapoint [")
    assert json.loads(fired["StateReasonData"])["recentDatapoints"] == [float(len(throttled))]
    # (the topic may first hear of the alarm's INSUFFICIENT_DATA -> OK change, when the alarm's OK
    # actions name it too: the ALARM notification is the one looked for, in the order it came)
    seen_states: list[str] = []

    def alarm_notification() -> dict[str, Any] | None:
        for message in sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages", []):
            body = json.loads(message["Body"])
            seen_states.append(body["NewStateValue"])
            if body["NewStateValue"] == "ALARM":
                return dict(body)
        return None

    notified = eventually(alarm_notification, "the ALARM notification")
    assert notified["NewStateValue"] == "ALARM"
    assert seen_states[-1] == "ALARM"

    # And once the burst is out of the evaluation range, back to OK
    cleared = eventually(lambda: state("OK"), f"{alarm} back to OK", timeout_s=120)
    assert "NonBreaching" in cleared["StateReason"]

"""The X-Ray API as boto3 sees it: the local handlers behind a plain HTTP server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from local.services.xray.api import XRayApi
from local.services.xray.sampling import Sampler, SamplingRules
from local.services.xray.store import TraceStore
from tests.local.xray.support import EPOCH, api_request_trace, segment, trace_id
from tests.local.xray.test_sampling import TERRAFORM_RULE

ACCOUNT = "123456789012"


@pytest.fixture
def api() -> XRayApi:
    clock = lambda: EPOCH + 60  # noqa: E731
    store = TraceStore(clock=clock)
    rules = SamplingRules("us-east-1", ACCOUNT, clock)
    return XRayApi(store, rules, Sampler(rules, clock), ACCOUNT, clock)


@pytest.fixture
def xray(api: XRayApi) -> Iterator[Any]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            response = api.handle(self.path, body)
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            self.wfile.write(response.body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield boto3.client(
            "xray",
            endpoint_url=f"http://127.0.0.1:{server.server_port}",
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
    finally:
        server.shutdown()
        server.server_close()


WINDOW = {
    "StartTime": datetime.fromtimestamp(EPOCH - 60, UTC),
    "EndTime": datetime.fromtimestamp(EPOCH + 60, UTC),
}


def put(xray: Any, documents: list[dict[str, Any]]) -> dict[str, Any]:
    return xray.put_trace_segments(TraceSegmentDocuments=[json.dumps(d) for d in documents])


def test_segments_put_are_listed_read_back_and_graphed(xray):
    # Given two requests, one faulting, and a document X-Ray refuses
    ok, faulty = trace_id(1), trace_id(2)
    answer = put(
        xray, [*api_request_trace(ok), *api_request_trace(faulty, start=EPOCH + 1, fault=True), {"id": "bad"}]
    )
    assert [u["Id"] for u in answer["UnprocessedTraceSegments"]] == ["bad"]

    # When they are listed, with and without a filter
    everything = xray.get_trace_summaries(**WINDOW)
    faults = xray.get_trace_summaries(**WINDOW, FilterExpression='service("postcards") { fault }')

    # Then both show, newest first, and the filter keeps the faulty one
    assert [s["Id"] for s in everything["TraceSummaries"]] == [faulty, ok]
    assert [s["Id"] for s in faults["TraceSummaries"]] == [faulty]
    assert faults["TraceSummaries"][0]["Http"]["HttpStatus"] == 500
    assert everything["TracesProcessedCount"] == 2

    # And BatchGetTraces returns the assembled segments, DynamoDB inferred
    traces = xray.batch_get_traces(TraceIds=[ok, trace_id(9)])
    (trace,) = traces["Traces"]
    assert traces["UnprocessedTraceIds"] == [trace_id(9)]
    names = sorted(json.loads(s["Document"])["name"] for s in trace["Segments"])
    assert names == ["DynamoDB", "postcards", "postcards", "postcards/v1"]
    assert trace["Duration"] == 0.1

    # And the graphs name every service
    graph = xray.get_trace_graph(TraceIds=[ok])
    assert {s["Name"] for s in graph["Services"]} == {"client", "postcards/v1", "postcards", "DynamoDB"}
    service_graph = xray.get_service_graph(**WINDOW)
    function = next(s for s in service_graph["Services"] if s.get("Type") == "AWS::Lambda::Function")
    assert function["SummaryStatistics"]["TotalCount"] == 2
    assert service_graph["StartTime"] == WINDOW["StartTime"]


def test_summaries_are_paged_and_the_time_range_applies(xray):
    put(xray, [segment(trace_id(n), n, "svc", EPOCH, EPOCH + 1) for n in range(1, 131)])
    put(xray, [segment(trace_id(999, epoch=EPOCH + 3600), 999, "later", EPOCH + 3600, EPOCH + 3601)])

    first = xray.get_trace_summaries(**WINDOW)
    second = xray.get_trace_summaries(**WINDOW, NextToken=first["NextToken"])
    paginated = [
        s["Id"]
        for page in xray.get_paginator("get_trace_summaries").paginate(**WINDOW)
        for s in page["TraceSummaries"]
    ]

    assert len(first["TraceSummaries"]) == 100
    assert len(second["TraceSummaries"]) == 30
    assert "NextToken" not in second
    assert sorted(paginated) == sorted(trace_id(n) for n in range(1, 131))


def test_an_unsupported_filter_is_an_invalid_request_naming_it(xray):
    with pytest.raises(ClientError) as error:
        xray.get_trace_summaries(**WINDOW, FilterExpression='edge("a", "b")')

    assert error.value.response["Error"]["Code"] == "InvalidRequestException"
    assert "'edge' is not supported" in error.value.response["Error"]["Message"]
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_the_end_of_a_time_range_cannot_come_before_its_start(xray):
    with pytest.raises(xray.exceptions.InvalidRequestException):
        xray.get_trace_summaries(StartTime=WINDOW["EndTime"], EndTime=WINDOW["StartTime"])


def test_sampling_rules_go_through_their_whole_lifecycle_as_terraform_drives_it(xray):
    # Given the rule Terraform creates, with tags
    created = xray.create_sampling_rule(
        SamplingRule=TERRAFORM_RULE, Tags=[{"Key": "project", "Value": "postcards"}]
    )
    arn = created["SamplingRuleRecord"]["SamplingRule"]["RuleARN"]

    # Then it is listed beside the Default, tagged, updatable, and deletable
    records = xray.get_sampling_rules()["SamplingRuleRecords"]
    assert [r["SamplingRule"]["RuleName"] for r in records] == ["postcards-api", "Default"]
    assert records[0]["SamplingRule"]["URLPath"] == "/v1/*"
    assert isinstance(records[0]["CreatedAt"], datetime)
    assert xray.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "project", "Value": "postcards"}]
    xray.tag_resource(ResourceARN=arn, Tags=[{"Key": "team", "Value": "web"}])
    xray.untag_resource(ResourceARN=arn, TagKeys=["project"])
    assert xray.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "team", "Value": "web"}]
    updated = xray.update_sampling_rule(SamplingRuleUpdate={"RuleName": "postcards-api", "FixedRate": 0.2})
    assert updated["SamplingRuleRecord"]["SamplingRule"]["FixedRate"] == 0.2
    targets = xray.get_sampling_targets(
        SamplingStatisticsDocuments=[
            {
                "RuleName": "postcards-api",
                "ClientID": "a" * 24,
                "Timestamp": WINDOW["EndTime"],
                "RequestCount": 4,
                "SampledCount": 1,
            },
        ]
    )
    assert targets["SamplingTargetDocuments"][0]["FixedRate"] == 0.2
    summaries = xray.get_sampling_statistic_summaries()["SamplingStatisticSummaries"]
    assert summaries[0]["RequestCount"] == 4
    xray.delete_sampling_rule(RuleName="postcards-api")
    assert [r["SamplingRule"]["RuleName"] for r in xray.get_sampling_rules()["SamplingRuleRecords"]] == [
        "Default"
    ]
    with pytest.raises(xray.exceptions.ResourceNotFoundException):
        xray.list_tags_for_resource(ResourceARN=arn)
    with pytest.raises(xray.exceptions.InvalidRequestException, match="does not exist"):
        xray.delete_sampling_rule(RuleName="postcards-api")


def test_an_operation_the_local_x_ray_does_not_serve_says_so(api):
    response = api.handle("/Groups", b"{}")

    assert response.status == 404
    assert response.headers["x-amzn-ErrorType"] == "InvalidRequestException"
    assert "not an X-Ray operation the local cloud serves" in json.loads(response.body)["Message"]

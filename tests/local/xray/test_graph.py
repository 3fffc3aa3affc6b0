"""The service graph and trace summaries of a request through API Gateway, Lambda and DynamoDB."""

from __future__ import annotations

from local.services.xray import documents, graph
from local.services.xray.store import TraceStore
from local.services.xray.summaries import summary
from tests.local.xray.support import EPOCH, api_request_trace, trace_id

ACCOUNT = "123456789012"


def services_by_name(services):
    return {(s["Name"], s.get("Type")): s for s in services}


def test_the_service_graph_draws_client_gateway_lambda_and_dynamodb():
    # Given two requests, one of them faulting in the function
    traces = [
        documents.assemble(api_request_trace(trace_id(1))).segments,
        documents.assemble(api_request_trace(trace_id(2), start=EPOCH + 1, fault=True)).segments,
    ]

    # When the graph is built
    services = graph.service_graph(traces, ACCOUNT)

    # Then the nodes are the client, the stage, Lambda's two and DynamoDB (inferred)...
    nodes = services_by_name(services)
    assert set(nodes) == {
        ("client", "client"),
        ("postcards/v1", "AWS::ApiGateway::Stage"),
        ("postcards", "AWS::Lambda"),
        ("postcards", "AWS::Lambda::Function"),
        ("DynamoDB", "AWS::DynamoDB::Table"),
    }
    assert services[0]["Name"] == "client"
    ids = {key: node["ReferenceId"] for key, node in nodes.items()}

    # ... linked in the order the request crossed them
    def targets(key):
        return {edge["ReferenceId"] for edge in nodes[key]["Edges"]}

    assert targets(("client", "client")) == {ids[("postcards/v1", "AWS::ApiGateway::Stage")]}
    assert targets(("postcards/v1", "AWS::ApiGateway::Stage")) == {ids[("postcards", "AWS::Lambda")]}
    assert targets(("postcards", "AWS::Lambda")) == {ids[("postcards", "AWS::Lambda::Function")]}
    assert targets(("postcards", "AWS::Lambda::Function")) == {ids[("DynamoDB", "AWS::DynamoDB::Table")]}
    assert targets(("DynamoDB", "AWS::DynamoDB::Table")) == set()

    # ... with counts, faults and latency
    function = nodes[("postcards", "AWS::Lambda::Function")]
    assert function["SummaryStatistics"]["TotalCount"] == 2
    assert function["SummaryStatistics"]["OkCount"] == 1
    assert function["SummaryStatistics"]["FaultStatistics"]["TotalCount"] == 1
    assert function["SummaryStatistics"]["TotalResponseTime"] == 0.16
    assert function["DurationHistogram"] == [{"Value": 0.08, "Count": 2}]
    assert function["AccountId"] == ACCOUNT
    assert function["State"] == "active"
    (stage_edge,) = nodes[("client", "client")]["Edges"]
    assert stage_edge["SummaryStatistics"]["TotalCount"] == 2
    assert stage_edge["SummaryStatistics"]["FaultStatistics"]["TotalCount"] == 1
    assert nodes[("postcards/v1", "AWS::ApiGateway::Stage")]["Root"] is True
    assert "AccountId" not in nodes[("DynamoDB", "AWS::DynamoDB::Table")]
    # The stage waited for Lambda as long as its Lambda subsegment lasted (0.09 s).
    (lambda_edge,) = nodes[("postcards/v1", "AWS::ApiGateway::Stage")]["Edges"]
    assert lambda_edge["ResponseTimeHistogram"] == [{"Value": 0.09, "Count": 2}]


def test_segments_outside_the_time_window_are_left_out():
    traces = [documents.assemble(api_request_trace(trace_id(1))).segments]

    services = graph.service_graph(traces, ACCOUNT, start=EPOCH + 10, end=EPOCH + 20)

    assert services == []


def test_a_throttled_call_counts_as_a_throttle_error():
    trace = api_request_trace(trace_id())
    trace[0] |= {"error": True, "throttle": True, "http": {"response": {"status": 429}}}

    services = graph.service_graph([documents.assemble(trace).segments], ACCOUNT)

    stage = services_by_name(services)[("postcards/v1", "AWS::ApiGateway::Stage")]
    assert stage["SummaryStatistics"]["ErrorStatistics"] == {
        "ThrottleCount": 1,
        "OtherCount": 0,
        "TotalCount": 1,
    }
    assert stage["SummaryStatistics"]["OkCount"] == 0


def test_a_trace_summary_has_the_entry_point_http_annotations_and_root_cause():
    store = TraceStore(clock=lambda: EPOCH)
    trace = trace_id()
    for document in api_request_trace(trace, fault=True):
        store.put(document)
    stored = store.get(trace)
    assert stored is not None

    result = summary(stored, ACCOUNT)

    assert result["Id"] == trace
    assert result["StartTime"] == EPOCH
    assert result["Duration"] == 0.1
    assert result["ResponseTime"] == 0.1
    assert (result["HasFault"], result["HasError"], result["HasThrottle"], result["IsPartial"]) == (
        True,
        False,
        False,
        False,
    )
    assert result["Http"] == {
        "HttpURL": "https://api.postcards.localhost/v1/postcards",
        "HttpStatus": 500,
        "HttpMethod": "GET",
        "UserAgent": "curl/8",
        "ClientIp": "127.0.0.1",
    }
    assert result["EntryPoint"] == {
        "Name": "postcards/v1",
        "Names": ["postcards/v1"],
        "Type": "AWS::ApiGateway::Stage",
        "AccountId": ACCOUNT,
    }
    assert result["Annotations"]["table"] == [
        {
            "AnnotationValue": {"StringValue": "postcards"},
            "ServiceIds": [
                {
                    "Name": "postcards",
                    "Names": ["postcards"],
                    "Type": "AWS::Lambda::Function",
                    "AccountId": ACCOUNT,
                }
            ],
        }
    ]
    assert {s["Name"] for s in result["ServiceIds"]} == {"postcards/v1", "postcards", "DynamoDB"}
    causes = {c["Services"][0]["Name"]: c for c in result["FaultRootCauses"]}
    assert set(causes) == {"postcards/v1", "postcards"}
    assert causes["postcards/v1"]["ClientImpacting"] is True

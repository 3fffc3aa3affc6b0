"""Segment documents for the X-Ray tests: a request through API Gateway, Lambda and DynamoDB."""

from __future__ import annotations

from typing import Any

EPOCH = 1_700_000_000.0


def trace_id(number: int = 1, epoch: float = EPOCH) -> str:
    return f"1-{int(epoch):08x}-{number:024x}"


def segment_id(number: int) -> str:
    return f"{number:016x}"


def segment(
    trace: str, number: int, name: str, start: float, end: float | None, **fields: Any
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "trace_id": trace,
        "id": segment_id(number),
        "name": name,
        "start_time": start,
    }
    if end is None:
        document["in_progress"] = True
    else:
        document["end_time"] = end
    return document | fields


def api_request_trace(trace: str, start: float = EPOCH, fault: bool = False) -> list[dict[str, Any]]:
    """What AWS records for GET /v1/postcards: the stage, Lambda's two segments and the SDK's
    DynamoDB subsegment, sent on its own as the X-Ray SDK in a function does."""
    status = 500 if fault else 200
    return [
        segment(
            trace,
            1,
            "postcards/v1",
            start,
            start + 0.100,
            origin="AWS::ApiGateway::Stage",
            http={
                "request": {
                    "method": "GET",
                    "url": "https://api.postcards.localhost/v1/postcards",
                    "user_agent": "curl/8",
                    "client_ip": "127.0.0.1",
                },
                "response": {"status": status},
            },
            annotations={"stage": "v1"},
            fault=fault,
            subsegments=[
                {
                    "id": segment_id(2),
                    "name": "Lambda",
                    "namespace": "aws",
                    "start_time": start + 0.005,
                    "end_time": start + 0.095,
                    "http": {"response": {"status": 200}},
                },
            ],
        ),
        segment(
            trace, 3, "postcards", start + 0.006, start + 0.094, origin="AWS::Lambda", parent_id=segment_id(2)
        ),
        segment(
            trace,
            4,
            "postcards",
            start + 0.010,
            start + 0.090,
            origin="AWS::Lambda::Function",
            parent_id=segment_id(3),
            fault=fault,
            subsegments=[
                {
                    "id": segment_id(5),
                    "name": "Invocation",
                    "start_time": start + 0.010,
                    "end_time": start + 0.088,
                },
                {
                    "id": segment_id(6),
                    "name": "Overhead",
                    "start_time": start + 0.088,
                    "end_time": start + 0.090,
                },
            ],
        ),
        segment(
            trace,
            7,
            "DynamoDB",
            start + 0.020,
            start + 0.030,
            type="subsegment",
            parent_id=segment_id(4),
            namespace="aws",
            aws={"operation": "Query", "table_name": "postcards"},
            http={"response": {"status": 200}},
            annotations={"table": "postcards"},
        ),
    ]

"""The service graph laid out top to bottom by distance from the client, drawn with its numbers."""

from __future__ import annotations

from typing import Any

from local.console.service_map import NODE_H, layout, svg


def service(ref: int, name: str, kind: str, total: int, *edges: int, faults: int = 0) -> dict[str, Any]:
    stats = {
        "TotalCount": total,
        "OkCount": total - faults,
        "TotalResponseTime": total * 0.05,
        "ErrorStatistics": {"TotalCount": 0, "ThrottleCount": 0, "OtherCount": 0},
        "FaultStatistics": {"TotalCount": faults, "OtherCount": faults},
    }
    return {
        "ReferenceId": ref,
        "Name": name,
        "Type": kind,
        "SummaryStatistics": stats,
        "Edges": [{"ReferenceId": e, "SummaryStatistics": stats} for e in edges],
    }


GRAPH = [
    service(0, "client", "client", 0, 1),
    service(1, "api/live", "AWS::ApiGateway::Stage", 4, 2),
    service(2, "fn", "AWS::Lambda", 4, 3),
    service(3, "fn", "AWS::Lambda::Function", 4, 4, 5, faults=1),
    service(4, "cards", "AWS::DynamoDB::Table", 4),
    service(5, "media", "AWS::S3::Bucket", 1),
]


def test_levels_follow_the_calls_from_the_client() -> None:
    drawn = layout(GRAPH)
    levels = {(n.name, n.type): n.level for n in drawn.nodes}
    assert levels == {
        ("client", "client"): 0,
        ("api/live", "AWS::ApiGateway::Stage"): 1,
        ("fn", "AWS::Lambda"): 2,
        ("fn", "AWS::Lambda::Function"): 3,
        ("cards", "AWS::DynamoDB::Table"): 4,
        ("media", "AWS::S3::Bucket"): 4,
    }
    # the two callees of the function side by side, inside the drawing
    cards, media = (n for n in drawn.nodes if n.level == 4)
    assert cards.y == media.y
    assert cards.x != media.x
    assert all(n.x >= 0 and n.x + 250 <= drawn.width and n.y + NODE_H <= drawn.height for n in drawn.nodes)
    assert len(drawn.edges) == 5


def test_the_drawing_shows_counts_latency_and_faults_and_escapes_names() -> None:
    drawn = layout([*GRAPH[:-1], service(5, "<media>", "AWS::S3::Bucket", 1)])
    picture = svg(drawn)
    assert "4 req · avg 50 ms" in picture
    assert 'class="node node-fault"' in picture  # the function had a fault
    assert "&lt;media&gt;" in picture
    assert "<media>" not in picture
    assert "style=" not in picture  # the CSP allows no inline style

"""Which action and resource IAM evaluates for SSM and SQS calls (the functions read their cursor
key from SSM; housekeeping drains a queue)."""

from __future__ import annotations

import json

from local.services.iam.evaluation import Request
from local.services.iam.requests import sqs_requests, ssm_requests

REGION, ACCOUNT = "us-east-1", "123456789012"


def test_a_parameter_is_authorized_on_its_arn_with_or_without_its_leading_slash() -> None:
    for name in ("/postcards/prod/cursor-key", "postcards/prod/cursor-key"):
        body = json.dumps({"Name": name, "WithDecryption": True})

        assert ssm_requests("GetParameter", body, region=REGION, account=ACCOUNT) == [
            Request("ssm:GetParameter", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/postcards/prod/cursor-key")
        ]


def test_parameters_named_by_arn_or_in_a_batch_are_each_authorized() -> None:
    arn = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/a"
    body = json.dumps({"Names": [arn, "/b"]})

    assert [r.resource for r in ssm_requests("GetParameters", body, region=REGION, account=ACCOUNT)] == [
        arn,
        f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/b",
    ]


def test_a_queue_call_is_authorized_on_the_queues_arn_in_either_protocol() -> None:
    url = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/thumbnail-failures"
    expected = [Request("sqs:ReceiveMessage", f"arn:aws:sqs:{REGION}:{ACCOUNT}:thumbnail-failures")]

    as_json = sqs_requests(
        "ReceiveMessage", json.dumps({"QueueUrl": url}), query={}, region=REGION, account=ACCOUNT
    )
    as_query = sqs_requests("ReceiveMessage", "", query={"QueueUrl": [url]}, region=REGION, account=ACCOUNT)

    assert as_json == expected
    assert as_query == expected


def test_get_queue_url_is_authorized_on_the_arn_of_the_queue_it_names() -> None:
    by_name = sqs_requests(
        "GetQueueUrl", json.dumps({"QueueName": "failures"}), query={}, region=REGION, account=ACCOUNT
    )
    of_another_owner = sqs_requests(
        "GetQueueUrl",
        "",
        query={"QueueName": ["failures"], "QueueOwnerAWSAccountId": ["210987654321"]},
        region=REGION,
        account=ACCOUNT,
    )

    assert by_name == [Request("sqs:GetQueueUrl", f"arn:aws:sqs:{REGION}:{ACCOUNT}:failures")]
    assert of_another_owner == [Request("sqs:GetQueueUrl", f"arn:aws:sqs:{REGION}:210987654321:failures")]


def test_calls_without_a_named_resource_are_evaluated_on_star() -> None:
    assert ssm_requests("DescribeParameters", b"{}", region=REGION, account=ACCOUNT) == [
        Request("ssm:DescribeParameters", "*")
    ]
    assert sqs_requests("ListQueues", b"{}", query={}, region=REGION, account=ACCOUNT) == [
        Request("sqs:ListQueues", "*")
    ]

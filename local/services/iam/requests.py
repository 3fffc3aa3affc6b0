"""What IAM evaluates for one API call: the actions, resource ARNs and condition keys it authorizes.

Most calls are one action on one resource. Some are several, each authorized on its own as on AWS:
a DynamoDB batch or transaction is each item's action on its table
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html), and an
S3 DeleteObjects is ``s3:DeleteObject`` on every key
(https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html). Resource ARNs:
https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html and
https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

from local.services.iam.evaluation import Request

# TransactWriteItems / TransactGetItems: each item's operation is authorized as its own action.
_TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}


def dynamodb_requests(operation: str, body: bytes | str, *, region: str, account: str) -> list[Request]:
    def table(name: str, index: str | None = None) -> str:
        arn = f"arn:aws:dynamodb:{region}:{account}:table/{name}"
        return f"{arn}/index/{index}" if index else arn

    try:
        document: dict[str, Any] = json.loads(body or "{}")
    except ValueError:
        document = {}
    if operation in {"TransactWriteItems", "TransactGetItems"}:
        requests = []
        for item in document.get("TransactItems", []):
            for kind, detail in item.items():
                action = _TRANSACT_ACTIONS.get(kind, kind)
                requests.append(Request(f"dynamodb:{action}", table(detail.get("TableName", ""))))
        return requests
    if operation in {"BatchGetItem", "BatchWriteItem"}:
        return [Request(f"dynamodb:{operation}", table(name)) for name in document.get("RequestItems", {})]
    if "TableName" in document:
        return [Request(f"dynamodb:{operation}", table(document["TableName"], document.get("IndexName")))]
    return [Request(f"dynamodb:{operation}", "*")]


def s3_requests(
    operation: str, resource: str, *, query: dict[str, Any], body: bytes | str | None, deleting_keys: bool
) -> list[Request]:
    """``resource`` is moto's ARN for the call (the bucket's, or the object's)."""
    if deleting_keys:
        raw = body.encode() if isinstance(body, str) else (body or b"")
        try:
            # A body moto's own parser already accepted; 3.13's expat expands no external entities.
            keys = [k.text or "" for k in ET.fromstring(raw).iter() if k.tag.rsplit("}", 1)[-1] == "Key"]  # noqa: S314
        except ET.ParseError:
            keys = []
        return [Request("s3:DeleteObject", f"{resource}/{key}") for key in keys]
    context = {}
    if operation == "ListBucket":
        prefix = query.get("prefix")
        context["s3:prefix"] = (prefix[0] if isinstance(prefix, list) else prefix) or ""
    return [Request(f"s3:{operation}", resource, context)]


def ssm_requests(operation: str, body: bytes | str, *, region: str, account: str) -> list[Request]:
    """A parameter call on the parameter's ARN (a name with or without its leading slash, or the ARN)
    https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssystemsmanager.html"""
    document = _json(body)
    names = [document["Name"]] if "Name" in document else list(document.get("Names", []))
    if not names:
        return [Request(f"ssm:{operation}", "*")]
    return [Request(f"ssm:{operation}", _parameter_arn(str(name), region, account)) for name in names]


def _parameter_arn(name: str, region: str, account: str) -> str:
    if name.startswith("arn:"):
        return name
    return f"arn:aws:ssm:{region}:{account}:parameter/{name.lstrip('/')}"


def sqs_requests(
    operation: str, body: bytes | str, *, query: dict[str, Any], region: str, account: str
) -> list[Request]:
    """A queue call on the queue's ARN, from its QueueUrl, or GetQueueUrl's QueueName (and owner),
    in the JSON or the query protocol
    https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsqs.html"""
    document = _json(body)

    def field(name: str) -> str | None:
        value = document.get(name) or query.get(name)
        if isinstance(value, list):
            value = value[0] if value else None
        return str(value) if value else None

    if url := field("QueueUrl"):
        owner, name = url.rstrip("/").split("/")[-2:]
        owner = owner if owner.isdigit() else account
    elif queue_name := field("QueueName"):
        owner, name = field("QueueOwnerAWSAccountId") or account, queue_name
    else:
        return [Request(f"sqs:{operation}", "*")]
    return [Request(f"sqs:{operation}", f"arn:aws:sqs:{region}:{owner}:{name}")]


def _json(body: bytes | str | None) -> dict[str, Any]:
    try:
        document = json.loads(body or "{}")
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}

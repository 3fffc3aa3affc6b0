"""A function's AWS calls are evaluated against its execution role, as IAM does.

A function deployed with a role of its own runs the calls the event lists and reports each
outcome; the role's policy is changed on the live role (PutRolePolicy), as a deploy would, and the
next call sees it.
"""

from __future__ import annotations

import json
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from tests.local.cloud_support import RunningCloud, invoke, zip_of

# Runs each call in the event with boto3 and reports its outcome (error code and message, if any).
CALLER = """
import boto3, botocore


def handler(event, context):
    outcomes = []
    for call in event["calls"]:
        client = boto3.client(call["service"])
        try:
            answer = getattr(client, call["operation"])(**call["params"])
            answer.pop("ResponseMetadata", None)
            outcomes.append({"ok": True, "answer": {k: str(v) for k, v in answer.items()}})
        except botocore.exceptions.ClientError as error:
            outcomes.append({"ok": False, "code": error.response["Error"]["Code"],
                             "message": error.response["Error"].get("Message", "")})
    return outcomes
"""

ACCOUNT = "123456789012"


@dataclass
class Caller:
    cloud: RunningCloud
    function: str
    role: str
    table: str
    other_table: str
    bucket: str

    def run(self, *calls: tuple[str, str, dict[str, Any]]) -> list[dict[str, Any]]:
        event = {"calls": [{"service": s, "operation": o, "params": p} for s, o, p in calls]}
        _, outcomes = invoke(self.cloud, self.function, event)
        assert isinstance(outcomes, list), outcomes
        return outcomes

    def allow(self, *statements: dict[str, Any]) -> None:
        """Replace the role's one inline policy, as an apply with a changed policy does."""
        document = {"Version": "2012-10-17", "Statement": list(statements)}
        self.cloud.client("iam").put_role_policy(
            RoleName=self.role, PolicyName="least-privilege", PolicyDocument=json.dumps(document)
        )

    def get_item(self, table: str) -> tuple[str, str, dict[str, Any]]:
        return ("dynamodb", "get_item", {"TableName": table, "Key": {"id": {"S": "x"}}})

    def get_object(self, key: str) -> tuple[str, str, dict[str, Any]]:
        return ("s3", "get_object", {"Bucket": self.bucket, "Key": key})

    def list_objects(self, prefix: str) -> tuple[str, str, dict[str, Any]]:
        return ("s3", "list_objects_v2", {"Bucket": self.bucket, "Prefix": prefix})

    @property
    def table_arn(self) -> str:
        return f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{self.table}"

    @property
    def principal(self) -> str:
        return f"arn:aws:sts::{ACCOUNT}:assumed-role/{self.role}/{self.function}"


@pytest.fixture
def caller(cloud: RunningCloud) -> Iterator[Caller]:
    suffix = uuid.uuid4().hex[:8]
    iam, dynamodb, s3 = cloud.client("iam"), cloud.client("dynamodb"), cloud.client("s3")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    role = f"iam-test-{suffix}"
    arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    tables = [f"iam-test-{suffix}-{n}" for n in ("mine", "other")]
    for table in tables:
        dynamodb.create_table(
            TableName=table,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    bucket = f"iam-test-{suffix}"
    s3.create_bucket(Bucket=bucket)
    for key in ("mine/a", "mine/secret", "theirs/a"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    function = f"iam-test-{suffix}"
    cloud.client("lambda").create_function(
        FunctionName=function,
        Runtime="python3.13",
        Role=arn,
        Handler="caller.handler",
        Code={"ZipFile": zip_of({"caller.py": CALLER})},
        Timeout=30,
    )
    yield Caller(cloud, function, role, tables[0], tables[1], bucket)
    cloud.client("lambda").delete_function(FunctionName=function)


def test_a_function_calls_as_its_execution_role(caller: Caller) -> None:
    caller.allow({"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"})

    [identity] = caller.run(("sts", "get_caller_identity", {}))

    assert identity["ok"], identity
    assert identity["answer"]["Arn"] == caller.principal


def test_a_call_the_role_allows_passes_and_one_it_does_not_is_access_denied(caller: Caller) -> None:
    # Given a role that may read items of one table only
    caller.allow({"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": caller.table_arn})

    # When the function reads that table, writes it, and reads another
    mine, write, other = caller.run(
        caller.get_item(caller.table),
        ("dynamodb", "put_item", {"TableName": caller.table, "Item": {"id": {"S": "x"}}}),
        caller.get_item(caller.other_table),
    )

    # Then only the read of its table passes; the others get IAM's AccessDenied, in AWS's words
    assert mine["ok"], mine
    assert write["code"] == other["code"] == "AccessDeniedException"
    assert write["message"] == (
        f"User: {caller.principal} is not authorized to perform: dynamodb:PutItem on resource: "
        f"{caller.table_arn} because no identity-based policy allows the dynamodb:PutItem action"
    )
    assert (
        caller.cloud.client("dynamodb").get_item(TableName=caller.table, Key={"id": {"S": "x"}}).get("Item")
        is None
    )


def test_taking_a_permission_away_on_the_live_role_fails_the_next_call(caller: Caller) -> None:
    caller.allow(
        {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:Query"], "Resource": caller.table_arn}
    )
    [before] = caller.run(caller.get_item(caller.table))

    caller.allow({"Effect": "Allow", "Action": "dynamodb:Query", "Resource": caller.table_arn})
    [after] = caller.run(caller.get_item(caller.table))

    assert before["ok"], before
    assert after["code"] == "AccessDeniedException"


def test_an_attached_managed_policy_counts_too(caller: Caller) -> None:
    # Given a role whose inline policy allows nothing, and a managed policy attached to it
    caller.allow({"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"})
    iam = caller.cloud.client("iam")
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": caller.table_arn}],
    }
    arn = iam.create_policy(PolicyName=f"{caller.role}-read", PolicyDocument=json.dumps(document))["Policy"][
        "Arn"
    ]
    [before] = caller.run(caller.get_item(caller.table))

    iam.attach_role_policy(RoleName=caller.role, PolicyArn=arn)
    [after] = caller.run(caller.get_item(caller.table))

    assert before["code"] == "AccessDeniedException"
    assert after["ok"], after


def test_action_wildcards_resource_arns_conditions_and_explicit_deny(caller: Caller) -> None:
    # Given S3 permissions as the project writes them: objects under a prefix, listing that prefix
    # only (a condition), and one object denied explicitly
    bucket_arn = f"arn:aws:s3:::{caller.bucket}"
    caller.allow(
        {"Effect": "Allow", "Action": "s3:Get*", "Resource": f"{bucket_arn}/mine/*"},
        {
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": bucket_arn,
            "Condition": {"StringLike": {"s3:prefix": ["mine/*"]}},
        },
        {"Effect": "Deny", "Action": "s3:GetObject", "Resource": f"{bucket_arn}/mine/secret"},
    )

    # When the function reads and lists inside and outside what it may
    read, theirs, secret, listed, unlisted = caller.run(
        caller.get_object("mine/a"),
        caller.get_object("theirs/a"),
        caller.get_object("mine/secret"),
        caller.list_objects("mine/"),
        caller.list_objects("theirs/"),
    )

    # Then S3 answers what its role allows, and AccessDenied (S3's code, IAM's message) otherwise
    assert read["ok"], read
    assert listed["ok"], listed
    assert theirs["code"] == unlisted["code"] == secret["code"] == "AccessDenied"
    assert theirs["message"] == (
        f"User: {caller.principal} is not authorized to perform: s3:GetObject on resource: "
        f'"{bucket_arn}/theirs/a" '
        "because no identity-based policy allows the s3:GetObject action"
    )
    assert secret["message"].endswith("with an explicit deny in an identity-based policy")
    assert "s3:ListBucket" in unlisted["message"]


def test_the_administrator_is_not_evaluated(cloud: RunningCloud, caller: Caller) -> None:
    # Given a role without any permission: the tests' own (administrator) calls still pass
    caller.allow({"Effect": "Deny", "Action": "*", "Resource": "*"})

    assert cloud.client("s3").get_object(Bucket=caller.bucket, Key="mine/a")["Body"].read() == b"x"


@pytest.fixture
def shipped_policy(
    cloud: RunningCloud,
) -> Iterator[Callable[[Callable[[dict[str, Any]], dict[str, Any]]], str]]:
    """Change the API function's shipped least-privilege policy on its live role; restored after."""
    iam = cloud.client("iam")
    function = str(cloud.endpoints["terraform_outputs"]["function_names"]["postcards"])
    role = cloud.client("lambda").get_function(FunctionName=function)["Configuration"]["Role"].split("/")[-1]
    answer = iam.get_role_policy(RoleName=role, PolicyName="least-privilege")
    original = answer["PolicyDocument"]
    original_text = original if isinstance(original, str) else json.dumps(original)

    def change(edit: Callable[[dict[str, Any]], dict[str, Any]]) -> str:
        document = edit(json.loads(original_text))
        iam.put_role_policy(RoleName=role, PolicyName="least-privilege", PolicyDocument=json.dumps(document))
        return role

    yield change
    iam.put_role_policy(RoleName=role, PolicyName="least-privilege", PolicyDocument=original_text)


def _without(sid: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def edit(document: dict[str, Any]) -> dict[str, Any]:
        statements = [st for st in document["Statement"] if st.get("Sid") != sid]
        assert len(statements) == len(document["Statement"]) - 1, f"no statement {sid} to take away"
        return {**document, "Statement": statements}

    return edit


def _api(cloud: RunningCloud) -> str:
    return str(cloud.endpoints["api_url"]).rstrip("/")


def test_a_presigned_post_from_a_role_without_put_object_is_refused(
    cloud: RunningCloud, shipped_policy: Callable[[Callable[[dict[str, Any]], dict[str, Any]]], str]
) -> None:
    # Given the API function's role without its PresignUploads statement (s3:PutObject on uploads/*)
    role = shipped_policy(_without("PresignUploads"))

    # When the site asks for a slot and posts the photo with the form the function signed
    slot = requests.post(
        f"{_api(cloud)}/v1/uploads", json={"content_type": "image/png", "size_bytes": 4}, timeout=60
    )
    assert slot.status_code == 201, slot.text  # signing is local: the function cannot tell
    post = slot.json()["presigned_post"]
    answer = requests.post(
        post["url"],
        data=post["fields"],
        files={"file": ("p", b"\x89PNG")},
        timeout=60,
        verify=cloud.ca_bundle,
    )

    # Then S3 refuses it: the signer may not put that object
    document = ET.fromstring(answer.content)
    assert answer.status_code == 403
    assert document.findtext("Code") == "AccessDenied"
    message = document.findtext("Message", "")
    assert message.startswith(f"User: arn:aws:sts::{ACCOUNT}:assumed-role/{role}/")
    assert 'perform: s3:PutObject on resource: "arn:aws:s3:::' in message
    assert message.endswith(
        f'/{post["fields"]["key"]}" because no identity-based policy allows the s3:PutObject action'
    )


def test_the_api_function_without_its_feed_permission_fails_to_list(
    cloud: RunningCloud, shipped_policy: Callable[[Callable[[dict[str, Any]], dict[str, Any]]], str]
) -> None:
    # Given the feed reads (GET /v1/postcards) with the shipped policy
    assert requests.get(f"{_api(cloud)}/v1/postcards", timeout=60).status_code == 200

    # When the role loses WriteAndReadPostcards (dynamodb:Query on the feed index among them)
    started_ms = int(time.time() * 1000)
    shipped_policy(_without("WriteAndReadPostcards"))
    answer = requests.get(f"{_api(cloud)}/v1/postcards", timeout=60)

    # Then the API answers with its server error, and the function's log names IAM's refusal
    assert answer.status_code == 500, answer.text
    assert answer.json()["error"]["code"]
    function = str(cloud.endpoints["terraform_outputs"]["function_names"]["postcards"])
    _wait_for_log_event(cloud, f"/aws/lambda/{function}", "AccessDeniedException", since_ms=started_ms)


def _wait_for_log_event(cloud: RunningCloud, group: str, needle: str, *, since_ms: int) -> None:
    logs = cloud.client("logs")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        events = logs.filter_log_events(logGroupName=group, startTime=since_ms)["events"]
        if any(needle in event["message"] for event in events):
            return
        time.sleep(0.5)
    raise AssertionError(f"no {needle!r} in {group} within 60 s")

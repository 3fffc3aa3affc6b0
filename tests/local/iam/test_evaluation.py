"""IAM's evaluation logic and what each call stands for, in process."""

from __future__ import annotations

import json

import pytest

from local.services.iam.evaluation import Decision, Request, decide, denial_message
from local.services.iam.requests import dynamodb_requests, s3_requests

TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/cards"


def policy(*statements: dict[str, object]) -> dict[str, object]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: object, resource: object, **extra: object) -> dict[str, object]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


@pytest.mark.parametrize(
    ("action", "resource", "expected"),
    [
        ("dynamodb:GetItem", TABLE, Decision.ALLOW),
        ("DynamoDB:getitem", TABLE, Decision.ALLOW),  # actions ignore case
        ("dynamodb:GetItem", TABLE.upper(), Decision.IMPLICIT_DENY),  # ARNs do not
        ("dynamodb:GetItem", TABLE + "/index/feed", Decision.IMPLICIT_DENY),
        ("dynamodb:PutItem", TABLE, Decision.IMPLICIT_DENY),
    ],
)
def test_actions_and_resources(action: str, resource: str, expected: Decision) -> None:
    assert decide([policy(allow("dynamodb:GetItem", TABLE))], Request(action, resource)) is expected


def test_wildcards_in_actions_and_resources() -> None:
    policies = [policy(allow("s3:Get*", "arn:aws:s3:::media/uploads/*"), allow("dynamodb:?etItem", "*"))]

    assert decide(policies, Request("s3:GetObject", "arn:aws:s3:::media/uploads/a/b")) is Decision.ALLOW
    assert decide(policies, Request("s3:GetObject", "arn:aws:s3:::media/thumbs/a")) is Decision.IMPLICIT_DENY
    assert decide(policies, Request("dynamodb:SetItem", TABLE)) is Decision.ALLOW


def test_an_explicit_deny_wins_over_any_allow_in_any_policy() -> None:
    policies = [policy(allow("*", "*")), policy({"Effect": "Deny", "Action": "s3:*", "Resource": "*"})]

    assert decide(policies, Request("s3:GetObject", "arn:aws:s3:::b/k")) is Decision.EXPLICIT_DENY
    assert decide(policies, Request("dynamodb:GetItem", TABLE)) is Decision.ALLOW


def test_not_action_and_not_resource() -> None:
    policies = [
        policy({"Effect": "Allow", "NotAction": "s3:DeleteObject", "NotResource": "arn:aws:s3:::b/keep"})
    ]

    assert decide(policies, Request("s3:GetObject", "arn:aws:s3:::b/k")) is Decision.ALLOW
    assert decide(policies, Request("s3:DeleteObject", "arn:aws:s3:::b/k")) is Decision.IMPLICIT_DENY
    assert decide(policies, Request("s3:GetObject", "arn:aws:s3:::b/keep")) is Decision.IMPLICIT_DENY


def test_string_like_on_s3_prefix_as_the_fis_extension_policy_writes_it() -> None:
    listing = allow(
        "s3:ListBucket", "arn:aws:s3:::cfg", Condition={"StringLike": {"s3:prefix": ["FisConfigs/*"]}}
    )

    def listed(prefix: str | None) -> Decision:
        context = {} if prefix is None else {"s3:prefix": prefix}
        return decide([policy(listing)], Request("s3:ListBucket", "arn:aws:s3:::cfg", context))

    assert listed("FisConfigs/a") is Decision.ALLOW
    assert listed("Other/") is Decision.IMPLICIT_DENY
    assert listed(None) is Decision.IMPLICIT_DENY  # a missing key fails a positive operator


def test_negated_operators_and_if_exists_with_a_missing_key() -> None:
    not_equals = allow("*", "*", Condition={"StringNotEquals": {"aws:SourceVpc": "vpc-1"}})
    if_exists = allow("*", "*", Condition={"StringEqualsIfExists": {"aws:SourceVpc": "vpc-1"}})
    request = Request("s3:GetObject", "*")

    assert decide([policy(not_equals)], request) is Decision.ALLOW
    assert decide([policy(if_exists)], request) is Decision.ALLOW
    assert decide([policy(not_equals)], Request("s3:GetObject", "*", {"aws:sourcevpc": "vpc-1"})) is (
        Decision.IMPLICIT_DENY
    )


def test_an_unmodelled_operator_never_grants() -> None:
    dated = allow("*", "*", Condition={"DateLessThan": {"aws:CurrentTime": "2099-01-01T00:00:00Z"}})

    assert (
        decide([policy(dated)], Request("s3:GetObject", "*", {"aws:CurrentTime": "x"}))
        is Decision.IMPLICIT_DENY
    )


def test_aws_messages() -> None:
    who = "arn:aws:sts::123456789012:assumed-role/r/f"
    request = Request("s3:PutObject", "arn:aws:s3:::b/k")

    assert denial_message(who, request, Decision.IMPLICIT_DENY, quote_resource=True) == (
        f'User: {who} is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::b/k" '
        "because no identity-based policy allows the s3:PutObject action"
    )
    assert denial_message(who, request, Decision.EXPLICIT_DENY, quote_resource=False).endswith(
        "on resource: arn:aws:s3:::b/k with an explicit deny in an identity-based policy"
    )


def test_a_transaction_is_each_items_action_on_its_table() -> None:
    body = json.dumps(
        {
            "TransactItems": [
                {"Put": {"TableName": "cards", "Item": {}}},
                {"Update": {"TableName": "uploads", "Key": {}}},
                {"ConditionCheck": {"TableName": "uploads", "Key": {}}},
            ]
        }
    )

    requests = dynamodb_requests("TransactWriteItems", body, region="us-east-1", account="123456789012")

    assert [(r.action, r.resource.rsplit("/", 1)[-1]) for r in requests] == [
        ("dynamodb:PutItem", "cards"),
        ("dynamodb:UpdateItem", "uploads"),
        ("dynamodb:ConditionCheckItem", "uploads"),
    ]


def test_a_query_on_an_index_is_on_the_index_arn_and_a_batch_on_each_table() -> None:
    query = dynamodb_requests(
        "Query", json.dumps({"TableName": "cards", "IndexName": "feed"}), region="us-east-1", account="1"
    )
    batch = dynamodb_requests(
        "BatchGetItem", json.dumps({"RequestItems": {"a": {}, "b": {}}}), region="us-east-1", account="1"
    )

    assert [r.resource for r in query] == ["arn:aws:dynamodb:us-east-1:1:table/cards/index/feed"]
    assert [(r.action, r.resource[-1]) for r in batch] == [
        ("dynamodb:BatchGetItem", "a"),
        ("dynamodb:BatchGetItem", "b"),
    ]


def test_delete_objects_is_delete_object_on_every_key_and_list_bucket_carries_the_prefix() -> None:
    body = b'<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>u/a</Key></Object><Object><Key>t/b</Key></Object></Delete>'

    deleted = s3_requests("DeleteObject", "arn:aws:s3:::m", query={}, body=body, deleting_keys=True)
    listed = s3_requests(
        "ListBucket", "arn:aws:s3:::m", query={"prefix": ["u/"]}, body=None, deleting_keys=False
    )

    assert [(r.action, r.resource) for r in deleted] == [
        ("s3:DeleteObject", "arn:aws:s3:::m/u/a"),
        ("s3:DeleteObject", "arn:aws:s3:::m/t/b"),
    ]
    assert listed[0].context == {"s3:prefix": "u/"}

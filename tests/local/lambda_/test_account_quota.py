"""The account's concurrency quota in the control plane: Lambda refuses a reservation or provisioned
concurrency that leaves less than its unreserved minimum (min(100, quota)) with AWS's code and
message, answers GetAccountSettings, and the local stack reserves only what the quota admits."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local.cli import config_from, parser
from local.cloud.stack import LOCAL_PROVISIONED_CONCURRENCY, LOCAL_RESERVED_CONCURRENCY, local_concurrency
from local.invoke import InvokeError
from local.services.lambda_ import account_quota
from local.services.lambda_.background import BackgroundTasks
from local.services.lambda_.pools import EnvironmentPools, FunctionConcurrency
from local.services.lambda_.telemetry import LambdaTelemetry
from tests.local.controlplane_support import ControlPlane, running_controlplane
from tests.local.lambda_.versions import function_version


@pytest.fixture(scope="module")
def new_account() -> Iterator[ControlPlane]:
    """A control plane whose account has a new account's quota of 10."""
    with running_controlplane("--account-concurrency", "10") as plane:
        yield plane


@pytest.fixture(scope="module")
def established_account() -> Iterator[ControlPlane]:
    """A control plane with the default quota (1000)."""
    with running_controlplane() as plane:
        yield plane


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def _function(plane: ControlPlane, name: str) -> Any:
    iam, lambda_ = plane.client("iam"), plane.client("lambda")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    try:
        role = iam.get_role(RoleName="quota-test")["Role"]["Arn"]
    except ClientError:
        role = iam.create_role(RoleName="quota-test", AssumeRolePolicyDocument=json.dumps(trust))["Role"][
            "Arn"
        ]
    lambda_.create_function(
        FunctionName=name,
        Runtime="python3.13",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": _zip()},
        Publish=True,
    )
    return lambda_


def _error(raised: pytest.ExceptionInfo[ClientError]) -> tuple[int, str, str]:
    response = raised.value.response
    return (
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Code"],
        response["Error"]["Message"],
    )


def test_a_new_account_refuses_any_reservation(new_account: ControlPlane) -> None:
    # Given an account with a quota of 10 and a function
    lambda_ = _function(new_account, "reserve-in-new")

    # When one execution is reserved for it
    with pytest.raises(ClientError) as raised:
        lambda_.put_function_concurrency(FunctionName="reserve-in-new", ReservedConcurrentExecutions=1)

    # Then Lambda refuses with AWS's code and message (the whole quota must stay unreserved)
    assert _error(raised) == (
        400,
        "InvalidParameterValueException",
        "Specified ReservedConcurrentExecutions for function decreases account's "
        "UnreservedConcurrentExecution below its minimum value of [10].",
    )
    # and nothing was reserved
    assert "Concurrency" not in lambda_.get_function(FunctionName="reserve-in-new")


def test_a_new_account_refuses_provisioned_concurrency_from_the_unreserved_pool(
    new_account: ControlPlane,
) -> None:
    # Given an account with a quota of 10 and a published function without a reservation
    lambda_ = _function(new_account, "provision-in-new")

    # When one environment is provisioned for its version
    with pytest.raises(ClientError) as raised:
        lambda_.put_provisioned_concurrency_config(
            FunctionName="provision-in-new", Qualifier="1", ProvisionedConcurrentExecutions=1
        )

    # Then Lambda refuses as AWS does for PutProvisionedConcurrencyConfig
    assert _error(raised) == (
        400,
        "InvalidParameterValueException",
        "Specified ConcurrentExecutions for function decreases account's "
        "UnreservedConcurrentExecution below its minimum value of [10].",
    )
    with pytest.raises(ClientError) as missing:
        lambda_.get_provisioned_concurrency_config(FunctionName="provision-in-new", Qualifier="1")
    assert _error(missing)[1] == "ProvisionedConcurrencyConfigNotFoundException"


def test_account_settings_answer_the_quota(new_account: ControlPlane) -> None:
    # Given the account with a quota of 10 (nothing reserved in it)
    # When its settings are read
    limit = new_account.client("lambda").get_account_settings()["AccountLimit"]

    # Then they carry the quota and all of it unreserved
    assert (limit["ConcurrentExecutions"], limit["UnreservedConcurrentExecutions"]) == (10, 10)


def test_an_established_account_keeps_100_unreserved(established_account: ControlPlane) -> None:
    # Given an account with the default quota of 1000 and two functions
    lambda_ = _function(established_account, "big")
    _function(established_account, "small")

    # When 895 are reserved for one and 5 provisioned (no reservation) for the other, leaving 100
    lambda_.put_function_concurrency(FunctionName="big", ReservedConcurrentExecutions=895)
    lambda_.put_provisioned_concurrency_config(
        FunctionName="small", Qualifier="1", ProvisionedConcurrentExecutions=5
    )

    # Then both are accepted and the account says 100 are left
    limit = lambda_.get_account_settings()["AccountLimit"]
    assert (limit["ConcurrentExecutions"], limit["UnreservedConcurrentExecutions"]) == (1000, 100)

    # but one more execution reserved is refused with the minimum of 100
    with pytest.raises(ClientError) as raised:
        lambda_.put_function_concurrency(FunctionName="big", ReservedConcurrentExecutions=896)
    assert _error(raised)[1:] == (
        "InvalidParameterValueException",
        "Specified ReservedConcurrentExecutions for function decreases account's "
        "UnreservedConcurrentExecution below its minimum value of [100].",
    )
    # while giving some back is accepted
    lambda_.put_function_concurrency(FunctionName="big", ReservedConcurrentExecutions=10)
    assert lambda_.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"] == 985


@pytest.mark.parametrize(
    ("quota", "before", "after", "refused_at"),
    [
        (10, 0, 1, 10),  # a new account: nothing can be reserved
        (50, 0, 1, 50),
        (1000, 0, 900, None),  # exactly 100 left
        (1000, 0, 901, 100),
        (1000, 950, 940, None),  # over-committed already: giving back is allowed
    ],
)
def test_the_unreserved_minimum(quota: int, before: int, after: int, refused_at: int | None) -> None:
    assert account_quota.below_minimum(quota, [], before, after) == refused_at


def test_the_local_stack_reserves_only_what_the_quota_admits() -> None:
    # Given the Lambda lab's reservations (7 in all) and one provisioned environment
    # When the quota leaves the minimum beside them, they apply; when it does not, none does
    assert local_concurrency(1000) == (LOCAL_RESERVED_CONCURRENCY, LOCAL_PROVISIONED_CONCURRENCY)
    assert local_concurrency(107) == (LOCAL_RESERVED_CONCURRENCY, LOCAL_PROVISIONED_CONCURRENCY)
    assert local_concurrency(106) == ({}, {})
    assert local_concurrency(10) == ({}, {})


def test_the_executor_throttles_at_the_same_quota() -> None:
    # Given the executor's pools under a quota of 2, with two invocations in flight
    config = config_from(parser().parse_args(["up", "--account-concurrency", "2"]))
    pools = EnvironmentPools(
        config.executor.account_concurrency,
        new_environment=None,  # type: ignore[arg-type]  # never started here
        background=BackgroundTasks(),
        telemetry=LambdaTelemetry(region="us-east-1", account_id="123456789012"),
    )
    pools._in_flight = 2
    function = function_version("x")

    # When a third one is admitted, then it is throttled as the account's quota throttles on AWS
    with pytest.raises(InvokeError) as raised:
        pools._admit(function, FunctionConcurrency())
    assert (raised.value.status_code, raised.value.reason) == (429, "ConcurrentInvocationLimitExceeded")
    # and the deprecated flag still sets the same quota
    assert (
        config_from(parser().parse_args(["up", "--concurrency-limit", "7"])).executor.account_concurrency == 7
    )
    assert config_from(parser().parse_args(["up"])).executor.account_concurrency == 1000

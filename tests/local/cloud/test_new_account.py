"""``python -m local up --account-concurrency 10``: the whole stack applies in an account with a new
account's quota (no reservations, as the shipped defaults make none), and the account refuses one."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import requests
from botocore.exceptions import ClientError

from tests.local.cloud_support import start_cloud, stop_cloud

pytestmark = pytest.mark.slow  # a cloud of its own, with terraform/ applied

APPLY_TIMEOUT_S = 900


def test_the_stack_applies_under_a_new_accounts_quota(tmp_path: Path) -> None:
    # Given a local cloud whose account has the quota of a new account
    cloud = start_cloud(tmp_path, "--account-concurrency", "10")
    try:
        # When terraform/ has been applied to it
        deadline = time.monotonic() + APPLY_TIMEOUT_S
        status: dict[str, object] = {}
        while time.monotonic() < deadline:
            status = json.loads((cloud.state_dir / "endpoints.json").read_text()).get("terraform") or {}
            if status.get("status") in ("applied", "failed"):
                break
            time.sleep(1)

        # Then the apply succeeded and the API answers
        assert status.get("status") == "applied", f"{status}\n{cloud.log()[-4000:]}"
        assert requests.get(cloud.endpoints["api_url"] + "/v1/health", timeout=30).status_code == 200
        # and the account has its quota, all of it unreserved: no function holds a reservation
        lambda_ = cloud.client("lambda")
        limit = lambda_.get_account_settings()["AccountLimit"]
        assert (limit["ConcurrentExecutions"], limit["UnreservedConcurrentExecutions"]) == (10, 10)
        names = [f["FunctionName"] for f in lambda_.list_functions()["Functions"]]
        assert names
        assert all("Concurrency" not in lambda_.get_function(FunctionName=n) for n in names)
        # while a reservation in it is refused as in a new AWS account
        with pytest.raises(ClientError) as raised:
            lambda_.put_function_concurrency(FunctionName=names[0], ReservedConcurrentExecutions=1)
        assert raised.value.response["Error"]["Message"].endswith("below its minimum value of [10].")
    finally:
        stop_cloud(cloud)

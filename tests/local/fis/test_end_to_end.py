"""FIS on the local cloud with ``chaos_enabled = true``, through the edge as a user drives it: the
templates Terraform declared are listed by the aws CLI, and experiments change what the API
answers for their duration, on real invocations, with FIS's states and reasons."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from typing import Any

import pytest
import requests

from tests.local.cloud_support import RunningCloud
from tests.local.fis.support import Fis, eventually
from tests.tools import require_tool

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fis(chaos_cloud: RunningCloud) -> Fis:
    return Fis(chaos_cloud)


def _aws(cloud: RunningCloud, *args: str) -> Any:
    aws = require_tool(shutil.which("aws"), "the aws CLI (pip install awscli)")
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CA_BUNDLE": cloud.ca_bundle,
    }
    done = subprocess.run(
        [str(aws), "--endpoint-url", cloud.aws_endpoint_url, "--output", "json", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=True,
    )
    return json.loads(done.stdout)


def _health(cloud: RunningCloud) -> requests.Response:
    return requests.get(cloud.endpoints["api_url"] + "/v1/health", timeout=40)


def test_the_aws_cli_lists_the_templates_terraform_declared(chaos_cloud: RunningCloud) -> None:
    # Given the template ids Terraform reports for its CloudFormation stack
    declared = chaos_cloud.endpoints["terraform_outputs"]["chaos_experiment_template_ids"]

    # When the aws CLI lists FIS's templates through the edge
    listed = _aws(chaos_cloud, "fis", "list-experiment-templates")["experimentTemplates"]

    # Then both are there, each with its action on the API function
    assert set(declared.values()) <= {t["id"] for t in listed}
    template = _aws(chaos_cloud, "fis", "get-experiment-template", "--id", declared["InjectErrors"])
    action = template["experimentTemplate"]["actions"]["InjectErrors"]
    assert action["actionId"] == "aws:lambda:invocation-error"
    assert action["parameters"]["preventExecution"] == "true"


def test_an_http_response_experiment_answers_for_the_api_until_stopped(
    chaos_cloud: RunningCloud, fis: Fis
) -> None:
    # Given the API answering normally (an earlier test's experiment, stopped, may still reach an
    # invocation or two: the executor, like FIS's extension, reads the configuration again only
    # after its poll interval) and a template that answers 418 for every invocation
    eventually(lambda: _health(chaos_cloud).status_code == 200, "the API healthy before the experiment")
    template_id = fis.template(
        "aws:lambda:invocation-http-integration-response",
        {
            "duration": "PT10M",
            "invocationPercentage": "100",
            "statusCode": "418",
            "contentTypeHeader": "text/plain",
            "preventExecution": "true",
        },
    )

    # When the experiment is started with the aws CLI
    experiment_id = _aws(chaos_cloud, "fis", "start-experiment", "--experiment-template-id", template_id)[
        "experiment"
    ]["id"]
    try:
        # Then it runs, and the API answers with the injected response while it does
        running = fis.wait_for(experiment_id, "running")
        assert running == {"status": "running", "reason": "Experiment is running."}
        (injected,) = eventually(
            lambda: [r] if (r := _health(chaos_cloud)).status_code == 418 else None, "a 418 from the API"
        )
        assert injected.headers["Content-Type"].startswith("text/plain")
        listed = _aws(chaos_cloud, "fis", "list-experiments")["experiments"]
        states = [{"id": e["id"], "status": e["state"]["status"]} for e in listed]
        assert {"id": experiment_id, "status": "running"} in states
    finally:
        # And once stopped, FIS says so and the API answers normally again
        stopping = _aws(chaos_cloud, "fis", "stop-experiment", "--id", experiment_id)["experiment"]["state"]
    assert stopping["status"] in {"stopping", "stopped"}
    assert fis.wait_for(experiment_id, "stopped") == {
        "status": "stopped",
        "reason": "Experiment stopped by user.",
    }
    eventually(lambda: _health(chaos_cloud).status_code == 200, "the API healthy again")


def test_an_error_without_prevent_execution_runs_the_handler_and_fails_the_answer(
    chaos_cloud: RunningCloud, fis: Fis
) -> None:
    # Given an experiment failing every invocation after the handler ran (preventExecution false)
    template_id = fis.template(
        "aws:lambda:invocation-error",
        {"duration": "PT10M", "invocationPercentage": "100", "preventExecution": "false"},
    )
    experiment_id = fis.start(template_id)
    fis.wait_for(experiment_id, "running")
    url = chaos_cloud.endpoints["api_url"] + "/v1/postcards"
    marker = f"written under FIS {experiment_id}"
    try:
        # When a postcard is sent until the fault answers
        def failed_write() -> list[requests.Response] | None:
            reply = requests.post(url, json={"author": "FIS", "message": marker}, timeout=40)
            return [reply] if reply.status_code == 502 else None

        eventually(failed_write, "a 502 for a write")
    finally:
        fis.stop(experiment_id)

    # Then the client saw API Gateway's 502, yet the handler ran: the postcard is stored (the feed
    # read once the executor has seen the experiment end: it reads S3 again within 1 s)
    def feed() -> list[str] | None:
        reply = requests.get(url, params={"limit": "50"}, timeout=40)
        return [card["message"] for card in reply.json()["items"]] if reply.status_code == 200 else None

    assert marker in eventually(feed, "the feed served again")


def test_an_experiment_runs_its_duration_then_completes(chaos_cloud: RunningCloud, fis: Fis) -> None:
    # Given a short experiment (FIS's durations are ISO 8601; seconds here keep the test short)
    template_id = fis.template(
        "aws:lambda:invocation-add-delay",
        {"duration": "PT3S", "invocationPercentage": "100", "startupDelayMilliseconds": "300"},
    )

    # When it runs to its end
    experiment_id = fis.start(template_id)
    state = fis.wait_for(experiment_id, "completed", "stopped", "failed", timeout_s=30)

    # Then it completed, with its action's state and times, and its configuration is gone from S3
    assert state == {"status": "completed", "reason": "Experiment completed."}
    experiment = fis.client.get_experiment(id=experiment_id)["experiment"]
    assert experiment["actions"]["Fault"]["state"]["status"] == "completed"
    assert (experiment["endTime"] - experiment["startTime"]).total_seconds() >= 3
    bucket = (
        chaos_cloud.client("lambda")
        .get_function_configuration(FunctionName=fis.function_name)["Environment"]["Variables"][
            "AWS_FIS_CONFIGURATION_LOCATION"
        ]
        .removeprefix("arn:aws:s3:::")
        .split("/")[0]
    )
    assert chaos_cloud.client("s3").list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0
    targets = fis.client.list_experiment_resolved_targets(experimentId=experiment_id)["resolvedTargets"]
    assert [t["targetInformation"]["arn"] for t in targets] == [fis.function_arn]


def test_a_target_that_selects_nothing_fails_the_experiment(fis: Fis) -> None:
    template_id = fis.template(
        "aws:lambda:invocation-error",
        {"duration": "PT1M"},
        target={
            "resourceType": "aws:lambda:function",
            "resourceTags": {"chaos": "nobody"},
            "selectionMode": "ALL",
        },
    )
    state = fis.wait_for(fis.start(template_id), "failed")
    assert state["reason"] == "Target resolution failed: no resources found for target ApiFunction"

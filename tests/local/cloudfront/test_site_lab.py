"""The site's Lambda lab in Chromium: bursts of ``/v1/instance`` calls, each held so that they overlap,
and what the page makes of them, checked against what the API answered the page and what the Lambda
executor reported (its REPORT lines in CloudWatch Logs, one log stream per environment) and against
the function's concurrency as Lambda's API reports it.

The local stack gives the API function a reserved concurrency of 4 and provisioned concurrency of 1
(``local/cloud/stack.py``); the tests read both from config.json and from Lambda, never assume them.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections import Counter
from typing import Any

import pytest
import requests
from playwright.sync_api import Request, Response, expect

from tests.local.cloud_support import RunningCloud
from tests.local.cloudfront.browser_support import UI_TIMEOUT_MS, PageWatch, Site, SitePage

HOLD_MS = 1000  # the API's maximum: calls sent at once overlap even on a busy machine
LOG_WAIT_S = 30  # REPORT lines reach CloudWatch Logs in batches


def instance_answers(site_page: SitePage, site: Site) -> list[Response]:
    """Every answer to the page's /v1/instance calls, from now on, in the order they came."""
    answers: list[Response] = []

    def keep(response: Response) -> None:
        if response.url.startswith(f"{site.api_origin}/v1/instance"):
            answers.append(response)

    site_page.page.on("response", keep)
    return answers


def served(answers: list[Response]) -> list[dict[str, Any]]:
    return [json.loads(answer.body()) for answer in answers if answer.status == 200]


def reserved_and_provisioned(cloud: RunningCloud, site: Site) -> tuple[int, int]:
    """The API function's concurrency as Lambda reports it, checked against config.json's."""
    function = site.config["api_function"]
    client = cloud.client("lambda")
    reserved = client.get_function_concurrency(FunctionName=function["name"])["ReservedConcurrentExecutions"]
    provisioned = client.get_provisioned_concurrency_config(
        FunctionName=function["name"], Qualifier=function["alias"]
    )
    assert provisioned["Status"] == "READY"
    assert (function["reserved_concurrency"], function["provisioned_concurrency"]) == (
        reserved,
        provisioned["RequestedProvisionedConcurrentExecutions"],
    )
    return int(reserved), int(provisioned["AllocatedProvisionedConcurrentExecutions"])


def report_lines(
    cloud: RunningCloud, site: Site, calls: list[dict[str, Any]], since_ms: int
) -> dict[str, str]:
    """The executor's REPORT line of each call (by its Lambda request id), read from the log streams
    the calls named; fails when one has not arrived in time."""
    logs = cloud.client("logs")
    group = f"/aws/lambda/{site.config['api_function']['name']}"
    streams = sorted({call["log_stream_name"] for call in calls})
    wanted = {call["aws_request_id"] for call in calls}
    found: dict[str, str] = {}
    deadline = time.monotonic() + LOG_WAIT_S
    while True:
        pages = logs.get_paginator("filter_log_events").paginate(
            logGroupName=group, logStreamNames=streams, startTime=since_ms
        )
        for event in (event for page in pages for event in page["events"]):
            match = re.match(r"REPORT RequestId: (\S+)", event["message"])
            if match and match[1] in wanted:
                found[match[1]] = f"{event['logStreamName']}\t{event['message']}"
        if wanted <= found.keys():
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"no REPORT line within {LOG_WAIT_S} s for {sorted(wanted - found.keys())}")
        time.sleep(0.5)


def _js_round(value: float) -> int:
    """As the page rounds (toFixed(0): of two nearest, the larger); Python's round() takes halves to even."""
    return math.floor(value + 0.5)


def expect_table_to_match(site_page: SitePage, calls: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    """The page's table says, per environment, what the API answered: its calls, cold starts, the
    init duration, how it was initialised, the last request."""
    table = site_page.environments()
    per_env = Counter(call["environment_id"][:12] for call in calls)
    cold = Counter(call["environment_id"][:12] for call in calls if call["cold_start"])
    last = {call["environment_id"][:12]: call for call in calls}
    assert {env: row["calls"] for env, row in table.items()} == {env: str(n) for env, n in per_env.items()}
    assert {env: row["cold"] for env, row in table.items()} == {env: str(cold[env]) for env in per_env}
    assert {env: row["init_ms"] for env, row in table.items()} == {
        env: str(_js_round(call["init_duration_ms"])) for env, call in last.items()
    }
    assert {env: row["initialised"] for env, row in table.items()} == {
        env: "ahead (provisioned)"
        if call["initialization_type"] == "provisioned-concurrency"
        else "on demand"
        for env, call in last.items()
    }
    assert {env: row["last_request"] for env, row in table.items()} == {
        env: call["request_id"] for env, call in last.items()
    }
    expect(site_page.page.locator("#instances caption")).to_have_text(
        f"Environments seen so far: {len(per_env)}"
    )
    return table


def expect_reports_to_match(reports: dict[str, str], calls: list[dict[str, Any]]) -> None:
    """The executor ran each call in the environment the API named (its log stream), and reported an
    Init Duration for exactly the calls the API called cold starts."""
    for call in calls:
        stream, line = reports[call["aws_request_id"]].split("\t", 1)
        assert stream == call["log_stream_name"]
        assert ("Init Duration" in line) is call["cold_start"], line


def test_an_instance_burst_shows_each_environment_its_calls_and_its_cold_start(
    cloud: RunningCloud, site: Site, site_page: SitePage, watch: PageWatch
) -> None:
    """The page's own first calls are answered before the burst, and the burst's calls are sent with
    ``cache: "no-store"`` and held, so they truly overlap: each needs an environment of its own."""
    # Given the page, its own calls (health, feed) answered, and a burst as wide as the function's
    # reserved concurrency
    reserved, _ = reserved_and_provisioned(cloud, site)
    answers = instance_answers(site_page, site)
    since_ms = int(time.time() * 1000) - 1000
    site_page.open().settled()

    # When the user sends that burst
    site_page.burst(reserved, hold_ms=HOLD_MS)

    # Then every call was served, each by an environment of its own, and the table says so
    first = served(answers)
    assert [answer.status for answer in answers] == [200] * reserved
    assert len({call["environment_id"] for call in first}) == reserved
    assert all(call["held_ms"] == HOLD_MS for call in first)
    first_table = expect_table_to_match(site_page, first)
    expect(site_page.instances_status).to_contain_text(
        f"{reserved} calls at once: {reserved} served by {reserved} environments"
    )
    expect(site_page.instances_explanation).to_have_text("")

    # When the user sends the same burst again
    site_page.burst(reserved, hold_ms=HOLD_MS)

    # Then the same environments served it, warm: the reserved concurrency allows no others
    both = served(answers)
    assert len(both) == 2 * reserved
    second_table = expect_table_to_match(site_page, both)
    assert second_table.keys() == first_table.keys()
    assert not any(call["cold_start"] for call in both[reserved:])
    assert {row["calls"] for row in second_table.values()} == {"2"}
    assert {env: row["cold"] for env, row in second_table.items()} == {
        env: row["cold"] for env, row in first_table.items()
    }
    # and the executor ran each call where the API said, Init Duration for each cold start only
    expect_reports_to_match(report_lines(cloud, site, both, since_ms), both)
    assert watch.problems() == []


def test_a_burst_wider_than_the_reserved_concurrency_is_throttled_and_explained(
    cloud: RunningCloud, site: Site, site_page: SitePage, watch: PageWatch
) -> None:
    # Given the page, and a burst two calls wider than the function's reserved concurrency
    reserved, _ = reserved_and_provisioned(cloud, site)
    answers = instance_answers(site_page, site)
    since_ms = int(time.time() * 1000) - 1000
    site_page.open().settled()

    # When the user sends it
    site_page.burst(reserved + 2, hold_ms=HOLD_MS)

    # Then as many calls as the reserved concurrency allows were served, each by its own environment,
    # and the two beyond it were refused: Lambda's throttle, which API Gateway answers with a 500
    calls = served(answers)
    assert sorted(answer.status for answer in answers) == [200] * reserved + [500, 500]
    assert len({call["environment_id"] for call in calls}) == reserved
    refused = [json.loads(answer.body()) for answer in answers if answer.status != 200]
    assert [body["error"]["message"] for body in refused] == ["Internal server error"] * 2
    # and the page counts them and says why in plain words
    expect_table_to_match(site_page, calls)
    expect(site_page.instances_status).to_contain_text(
        f"{reserved + 2} calls at once: {reserved} served by {reserved} environments"
    )
    expect(site_page.instances_status).to_contain_text("; 2 refused.")
    expect(site_page.instances_explanation).to_have_text(
        f"Throttled: the function may run at most {reserved} calls at once (its reserved concurrency), so "
        "Lambda refused the 2 calls beyond that (429 TooManyRequestsException), which API Gateway answers "
        f'with HTTP 500 "Internal server error". A call sent once one of the {reserved} is free again '
        "is served."
    )
    # and the executor ran exactly the served calls
    expect_reports_to_match(report_lines(cloud, site, calls, since_ms), calls)
    assert [problem for problem in watch.problems() if "/v1/instance" not in problem] == []
    assert len([problem for problem in watch.problems() if "500 GET" in problem]) == 2


def test_provisioned_environments_show_as_initialised_ahead_and_the_lab_says_how_many(
    cloud: RunningCloud, site: Site, site_page: SitePage, watch: PageWatch
) -> None:
    # Given the function's concurrency as Lambda reports it
    reserved, provisioned = reserved_and_provisioned(cloud, site)
    assert provisioned >= 1  # the local stack provisions the API function's alias
    name = site.config["api_function"]["name"]
    answers = instance_answers(site_page, site)

    # When the user opens the lab
    site_page.open().settled()

    # Then it says both limits, with Lambda's figures
    assert site_page.lab_limits() == {
        "Reserved concurrency": f"{reserved}: at most {reserved} calls of {name} run at once; Lambda refuses "
        "(throttles) the rest.",
        "Provisioned concurrency (alias live)": f"{provisioned}: {provisioned} "
        f"{'environment is' if provisioned == 1 else 'environments are'} initialised ahead of traffic, so "
        f"{'its' if provisioned == 1 else 'their'} calls never wait for a cold start.",
    }

    # When a burst reaches every environment the function may have
    site_page.burst(reserved, hold_ms=HOLD_MS)

    # Then the provisioned ones show as initialised ahead of traffic, with no cold start, as many as
    # Lambda allocated, and the page counts their calls
    calls = served(answers)
    table = expect_table_to_match(site_page, calls)
    ahead = [row for row in table.values() if row["initialised"] == "ahead (provisioned)"]
    assert len(ahead) == provisioned
    assert {row["cold"] for row in ahead} == {"0"}
    expect(site_page.instances_status).to_contain_text(
        f", {provisioned} on {'an environment' if provisioned == 1 else 'environments'} initialised ahead"
    )
    assert watch.problems() == []


def test_start_a_new_environment_asks_for_one_more_than_seen_and_says_when_lambda_must_make_room(
    cloud: RunningCloud, site: Site, site_page: SitePage, watch: PageWatch
) -> None:
    # Given the page, which has seen no environment yet
    reserved, _ = reserved_and_provisioned(cloud, site)
    answers = instance_answers(site_page, site)
    sent: list[Request] = []
    site_page.page.on("request", lambda r: sent.append(r) if "/v1/instance" in r.url else None)
    site_page.open().settled()
    start = site_page.page.get_by_role("button", name="Start a new environment")

    # When the user asks for a new environment
    start.click()
    site_page.wait_for_lab()

    # Then the page sent one call more than it had seen environments (none): one
    assert len(sent) == 1
    [call] = served(answers)
    # and says what happened, honestly: a cold start, or that a warm environment it had not seen served it
    no_cold_start = "No cold start this time: warm environments this page had not seen served the calls"
    if call["cold_start"]:
        expect(site_page.instances_explanation).not_to_contain_text(no_cold_start)
    else:
        expect(site_page.instances_explanation).to_contain_text(no_cold_start)

    # When the page has seen every environment the reserved concurrency allows
    site_page.burst(reserved, hold_ms=HOLD_MS)
    assert len(site_page.environments()) == reserved
    sent.clear()
    start.click()

    # Then it sends nothing, and explains that only Lambda can make room now
    expect(site_page.instances_status).to_have_text(
        f"No call sent: this page has seen all {reserved} environments the reserved concurrency allows.",
        timeout=UI_TIMEOUT_MS,
    )
    expect(site_page.instances_explanation).to_contain_text("after some minutes without calls")
    expect(site_page.instances_explanation).to_contain_text("a new version of the function is deployed")
    assert sent == []
    assert watch.problems() == []


@pytest.mark.parametrize("hold", ["1001", "-5", "soon"])
def test_the_api_refuses_a_hold_beyond_a_second_through_the_gateway(site: Site, hold: str) -> None:
    answer = requests.get(f"{site.api_url}/v1/instance", params={"hold_ms": hold}, timeout=30)

    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "invalid_query"

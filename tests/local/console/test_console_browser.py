"""The local console in Chromium, as a user opens it after one API request: the request's trace is
listed, its waterfall shows the API Gateway, Lambda and DynamoDB rows, and the service map joins
them; the pages hold under their strict CSP, have no serious accessibility violation (axe-core) and
fit a phone. Screenshots of both layouts are kept under ``build/test-artifacts/console/`` for a person
to look at (the README's is made from the desktop one)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.local.cloud_support import RunningCloud
from tests.local.cloudfront.browser_support import (
    DESKTOP,
    HTTP_TIMEOUT_S,
    PHONE,
    ROOT,
    PageWatch,
    horizontal_overflow_px,
    serious_accessibility_violations,
)
from tests.local.tls.tls_support import https_get
from tests.local.xray.test_end_to_end import REQUEST_ORIGINS, whole_trace

ARTIFACTS = ROOT / "build" / "test-artifacts" / "console"
LAYOUTS = {"desktop": DESKTOP, "phone": PHONE}


def save(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    return path


@pytest.fixture(scope="module")
def traced_request(cloud: RunningCloud) -> str:
    """One API request through the custom domain (HTTPS), sampled by its own trace header; its
    trace id once X-Ray holds the gateway's, Lambda's and DynamoDB's segments."""
    root = f"1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}"
    custom = urlparse(str(cloud.endpoints["api_custom_domain_url"]))
    assert custom.scheme == "https"
    assert custom.hostname is not None
    assert custom.port is not None
    # *.localhost is loopback to browsers, not to every resolver: by way of 127.0.0.1, with its SNI.
    answer = https_get(
        custom.port,
        custom.hostname,
        cloud.ca_bundle,
        f"{custom.path}/v1/postcards",
        headers={"X-Amzn-Trace-Id": f"Root={root};Sampled=1"},
    )
    assert answer.status == 200
    whole_trace(cloud.client("xray"), root, REQUEST_ORIGINS)
    return root


@pytest.fixture(scope="module")
def console_url(cloud: RunningCloud) -> str:
    url = str(cloud.endpoints["console_url"])
    assert url.startswith("https://localhost:")
    return url


def test_the_console_answers_over_https_with_a_strict_csp_and_no_script(
    cloud: RunningCloud, console_url: str
) -> None:
    # When the console's overview is fetched, verified with the local CA
    response = requests.get(console_url, verify=cloud.ca_bundle, timeout=HTTP_TIMEOUT_S)

    # Then it is HTML under a CSP that allows nothing but its own stylesheet, and holds no script
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "style-src 'self'" in policy
    assert "script-src" not in policy  # falls back to 'none'
    assert "<script" not in response.text
    assert response.headers["X-Frame-Options"] == "DENY"
    # ... a filter the local X-Ray does not serve is named on the page, as GetTraceSummaries names it
    refused = requests.get(
        f"{console_url}traces",
        params={"filter": "rootcause.fault.type = 1"},
        verify=cloud.ca_bundle,
        timeout=HTTP_TIMEOUT_S,
    )
    assert refused.status_code == 200
    assert 'role="alert"' in refused.text
    assert "rootcause" in refused.text
    # ... and it is read-only
    assert requests.post(console_url, verify=cloud.ca_bundle, timeout=HTTP_TIMEOUT_S).status_code == 405


def test_after_one_api_request_the_console_shows_its_waterfall_and_the_service_map(
    new_page: Callable[..., Page], watch: PageWatch, traced_request: str, console_url: str
) -> None:
    # Given the console open on a laptop, under its CSP
    page = new_page()
    page.goto(console_url)

    # Then the overview's service map joins the client, the stage, Lambda and the table
    service_map = page.locator("svg.map")
    expect(service_map).to_be_visible()
    for node in ("client", "AWS::ApiGateway::Stage", "AWS::Lambda", "AWS::DynamoDB::Table"):
        expect(service_map.locator("text.node-type", has_text=node).first).to_be_visible()

    # ... and the latest traces list the request as the gateway received it (over HTTPS)
    expect(page.locator("tr", has_text=traced_request).first).to_contain_text("GET https://api.")

    # When the user opens the request's trace from the list
    page.get_by_role("link", name=traced_request).first.click()

    # Then its waterfall has the gateway's, Lambda's and DynamoDB's rows with their bars
    expect(page.get_by_role("heading", name="Trace timeline")).to_be_visible()
    rows = page.locator("ol.waterfall > li")
    for kind in ("AWS::ApiGateway::Stage", "AWS::Lambda", "AWS::Lambda::Function", "AWS::DynamoDB::Table"):
        expect(rows.filter(has=page.locator(".span-kind", has_text=kind)).first).to_be_visible()
    expect(rows.filter(has=page.locator(".span-name", has_text="DynamoDB")).first).to_be_visible()
    expect(rows.filter(has=page.locator(".span-name", has_text="Invocation")).first).to_be_visible()
    assert rows.locator("rect.bar").count() == rows.count()
    save(page, "trace-desktop")
    # The README's picture: the timeline alone (docs/images/console-trace.png is this, reduced).
    page.locator("main").screenshot(path=ARTIFACTS / "readme-trace.png")
    assert watch.problems() == []


@pytest.mark.parametrize("layout", LAYOUTS)
def test_the_console_pages_are_accessible_and_fit_the_screen(
    new_page: Callable[..., Page], traced_request: str, console_url: str, cloud: RunningCloud, layout: str
) -> None:
    # Given each page of the console on a desktop or a phone (axe is injected: the CSP is bypassed)
    page = new_page(viewport=LAYOUTS[layout], bypass_csp=True)
    paths: dict[str, str] = {
        "overview": "/",
        "trace": f"/traces/{traced_request}",
        "traces": "/traces?filter=http.status+%3D+200&minutes=60",
        "functions": "/functions",
        "function": "/functions/" + cloud.endpoints["terraform_outputs"]["functions"]["postcards"]["name"],
        "alarms": "/alarms",
    }
    for name, path in paths.items():
        page.goto(console_url.rstrip("/") + path)
        expect(page.locator("h1")).to_be_visible()

        # Then axe-core finds nothing serious, and nothing scrolls sideways
        assert serious_accessibility_violations(page) == [], name
        assert horizontal_overflow_px(page) == 0, name
        save(page, f"{name}-{layout}")


def test_a_functions_page_shows_its_execution_environments_metrics_and_logs(
    new_page: Callable[..., Page], traced_request: str, console_url: str, cloud: RunningCloud
) -> None:
    # Given the API's function, which served the request
    name = cloud.endpoints["terraform_outputs"]["functions"]["postcards"]["name"]
    page = new_page()

    # When its page is opened
    page.goto(f"{console_url.rstrip('/')}/functions/{name}")

    # Then an environment shows its type, its invocations and how it started, as the executor counts
    environments = page.get_by_role("region", name="Execution environments").locator("tbody tr")
    expect(environments.first).to_be_visible()
    first = environments.first.locator("td").all_inner_texts()
    assert first[2] in {"provisioned", "on-demand"}
    assert int(first[4]) >= 1
    assert " cold, " in first[5]
    # ... Lambda's metric graphs and the log lines of the request (its REPORT names the trace)
    expect(page.locator("figure.chart-figure svg.chart")).to_have_count(5)
    expect(page.locator("ol.logs li", has_text=traced_request).first).to_be_visible()

"""The container API (the stamps) down (``container-api-down``: nothing listens on its port): the
Lambda half of the site is unaffected (postcards listed and sent, none lost or doubled), and the
page says what is missing: the Stamps service is down, while Postcards is up."""

from __future__ import annotations

import re
import ssl
import urllib.error
import urllib.request
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.local.api.conftest import Api
from tests.local.chaos.experiment import Experiment
from tests.local.chaos.faults import LocalFaults
from tests.local.chaos.hypothesis import Expectation, steady_state
from tests.local.chaos.measure import LoadShape
from tests.local.cloudfront.browser_support import SitePage, save_screenshot, unique

pytestmark = pytest.mark.slow


def container_api_answers(api: Api) -> bool:
    url = str(api.cloud.endpoints["container_api_url"]).rstrip("/") + "/health"
    context = ssl.create_default_context(cafile=api.cloud.ca_bundle)
    try:
        with urllib.request.urlopen(url, timeout=5, context=context) as answer:
            return bool(answer.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def test_container_api_down_the_lambda_half_is_unaffected_and_the_page_says_stamps_are_missing(
    api: Api, faults: LocalFaults, load_shape: LoadShape, site_page: SitePage
) -> None:
    # Given the hypothesis: the postcards API is as steady as before (no errors, p99 within 3 s,
    # exactly-once writes), and the page names the one service that is missing
    hypothesis = steady_state(
        "with the container API down, users list and send postcards as before, and the page "
        "says the stamps are what is missing",
        max_error_rate=0.0,
        max_p99_ms=3000,
        recovery_s=60,
        fault_visible=(
            Expectation("the container API was really down", "observed.container_api_answers", "==", False),
            Expectation("the page showed Stamps down", "observed.page.stamps_pill", "==", "down"),
            Expectation("the page showed Postcards up", "observed.page.postcards_pill", "==", "up"),
            Expectation(
                "a postcard sent from the page was shown", "observed.page.sent_card_shown", "==", True
            ),
        ),
    )
    fault = faults.fault("container-api-down", "the container API stopped (connection refused)")

    def what_users_see() -> dict[str, Any]:
        message = unique("Sent while the stamps were down")
        site_page.open().settled()
        stamps_detail = site_page.service("container").locator(".detail")
        expect(stamps_detail).to_have_text(re.compile("unreachable|unavailable|failed", re.IGNORECASE))
        site_page.write("Chaos", message)
        expect(site_page.card(message)).to_be_visible()
        save_screenshot(site_page.page, "chaos-container-api-down")
        return {
            "container_api_answers": container_api_answers(api),
            "page": {
                "stamps_pill": site_page.service("container").get_attribute("data-state"),
                "stamps_detail": stamps_detail.text_content(),
                "postcards_pill": site_page.service("lambda").get_attribute("data-state"),
                "sent_card_shown": site_page.card(message).count() == 1,
            },
        }

    def back_again() -> dict[str, Any]:
        return {"container_api_answers": container_api_answers(api)}

    # When the experiment runs
    result = Experiment(
        "container-api-down",
        hypothesis,
        fault,
        load_shape,
        observe_during=what_users_see,
        observe_after=back_again,
    ).run(api)

    # Then the hypothesis held, and the container API answers again once the fault is cleared
    assert result.held, result.summary()
    assert result.phases["after"]["observed"]["container_api_answers"] is True

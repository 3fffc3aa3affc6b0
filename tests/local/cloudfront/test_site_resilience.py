"""The site in Chromium while a back end fails: reads tried again after a pause, and each API's
circuit breaker, which the page shows ("… service unavailable — retrying in 20 s") and which it
closes again by itself once the service answers.

The page's clock is Playwright's (``page.clock``): it runs as usual, and the test jumps it forward
instead of waiting out a breaker's cooldown.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Request, Route, expect

from tests.local.cloudfront.browser_support import PageWatch, Site, SitePage, block, problems_besides, unique

BREAKER_THRESHOLD = 3  # failed requests in a row that open a breaker (site/api.js)
FIRST_COOLDOWN_S = 20


def test_a_read_that_fails_once_is_tried_again_and_the_user_sees_the_feed(
    site: Site, site_page: SitePage, watch: PageWatch
) -> None:
    # Given a postcard, and a service that answers the page's first read of the feed with a 503
    message = unique("Worth a second try")
    site.post_card("Retrier", message)
    reads: list[Request] = []

    def first_fails(route: Route) -> None:
        reads.append(route.request)
        if len(reads) > 1:
            route.continue_()
            return
        route.fulfill(
            status=503,
            json={"error": {"code": "service_unavailable", "message": "try again", "request_id": "test"}},
            headers={"Access-Control-Allow-Origin": route.request.headers["origin"]},
        )

    site_page.page.route(lambda url: url.startswith(f"{site.api_origin}/v1/postcards?"), first_fails)

    # When the user opens the page
    site_page.open()

    # Then the page read the feed again by itself, and shows it as if nothing had happened
    expect(site_page.card(message)).to_be_visible()
    expect(site_page.feed_status).to_have_text("")
    assert len(reads) == 2
    assert reads[0].url == reads[1].url
    expect(site_page.notice("lambda")).to_be_hidden()
    site_page.expect_service("lambda", "up", re.compile(r"^v\S+$"))
    assert [problem for problem in watch.problems() if "503" not in problem] == []


@pytest.mark.parametrize(
    ("which", "label"),
    [("lambda", "Postcards"), ("container", "Stamps")],
    ids=["postcards-api", "stamps-api"],
)
def test_a_failing_service_is_left_alone_the_page_says_until_when_and_picks_it_up_again(
    site: Site, site_page: SitePage, watch: PageWatch, which: str, label: str
) -> None:
    # Given the page's clock, and a service whose every answer is API Gateway's 502
    page = site_page.page
    page.clock.install()
    origin = site.api_origin if which == "lambda" else site.container_origin
    block(page, origin, "erroring")
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url) if request.url.startswith(origin) else None)
    notice = site_page.notice(which)
    waiting = re.compile(rf"^{label} service unavailable — retrying in (\d+) s$")

    # When the user opens the page
    site_page.open()

    # Then, after a few failed tries, the page stops asking, and says when it asks again
    expect(notice).to_have_text(waiting)
    expect(site_page.service(which)).to_have_attribute("data-breaker", "open")
    site_page.expect_service(which, "down", "Internal server error")
    assert 0 < seconds_left(notice.text_content()) <= FIRST_COOLDOWN_S
    assert len(sent) == BREAKER_THRESHOLD
    if which == "lambda":
        expect(site_page.feed_status).to_have_text("Postcards are unavailable: Internal server error.")
        # and what the user sends meanwhile fails at once, with the reason, without a request
        site_page.write("Patient", unique("While it is down"))
        expect(site_page.compose_status).to_have_text("Not sent: Internal server error.")
        assert len(sent) == BREAKER_THRESHOLD
    else:
        expect(site_page.stamps_note).to_have_text(
            "Stamps are unavailable (Internal server error); cards go out unstamped."
        )

    # When the countdown runs out and the service still fails
    page.clock.fast_forward(FIRST_COOLDOWN_S * 1000)

    # Then the page tried once (its health check), and waits twice as long before the next try
    expect(notice).to_have_text(
        re.compile(rf"^{label} service unavailable — retrying in (2[1-9]|3[0-9]|40) s$")
    )
    assert len(sent) == BREAKER_THRESHOLD + 1

    # When the service is back and the next countdown runs out
    page.unroute(f"{origin}/**")
    page.clock.fast_forward(2 * FIRST_COOLDOWN_S * 1000)

    # Then the page finds it up, says so, and shows what it could not show before
    expect(notice).to_be_hidden()
    site_page.expect_service(which, "up", re.compile(r"^v\S+$"))
    expect(site_page.service(which)).to_have_attribute("data-breaker", "closed")
    if which == "lambda":
        expect(site_page.feed_status).not_to_contain_text("unavailable")
        expect(site_page.cards).not_to_have_count(0)
    else:
        expect(site_page.stamps).not_to_have_count(0)
        expect(site_page.stamps_note).to_have_count(0)
    assert problems_besides(watch, origin) == []


def seconds_left(notice: str | None) -> int:
    match = re.search(r"retrying in (\d+) s$", notice or "")
    assert match, notice
    return int(match[1])

"""The site for every user: axe-core finds no serious or critical accessibility violation, the page
never scrolls sideways on a phone, and screenshots of both layouts are kept for a person to look at
(``build/test-artifacts/site/``).

axe-core comes from npm (``make axe-core``) and is injected by Playwright; the contexts bypass the
site's Content-Security-Policy for it (test_site_browser.py checks the page under that policy).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.local.cloudfront.browser_support import (
    DESKTOP,
    PHONE,
    PageWatch,
    Site,
    SitePage,
    block,
    horizontal_overflow_px,
    problems_besides,
    save_screenshot,
    serious_accessibility_violations,
    unique,
)

LAYOUTS = {"desktop": DESKTOP, "phone": PHONE}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_the_page_in_use_has_no_serious_accessibility_violation_and_fits_the_screen(
    new_page: Callable[..., Page], site: Site, watch: PageWatch, layout: str
) -> None:
    # Given the page on a desktop or a phone, with a card in the feed
    site.post_card("Reader", unique("Readable by everyone"))
    site_page = SitePage(new_page(viewport=LAYOUTS[layout], bypass_csp=True), site.page_url)
    site_page.open().settled()
    expect(site_page.cards).not_to_have_count(0)

    # When the user has sent a burst wider than the API function may run at once (the lab's table and
    # its explanation are on the page)
    site_page.burst(site.config["api_function"]["reserved_concurrency"] + 1, hold_ms=1000)
    expect(site_page.instances_explanation).not_to_have_text("")

    # Then axe-core finds nothing serious, and the page is no wider than the screen
    assert serious_accessibility_violations(site_page.page) == []
    assert horizontal_overflow_px(site_page.page) == 0
    save_screenshot(site_page.page, layout)
    assert [problem for problem in watch.problems() if "/v1/instance" not in problem] == []


def test_with_a_service_down_the_notice_is_accessible_on_a_phone(
    new_page: Callable[..., Page], site: Site, watch: PageWatch
) -> None:
    # Given the stamps service failing, on a phone
    site_page = SitePage(new_page(viewport=PHONE, bypass_csp=True), site.page_url)
    block(site_page.page, site.container_origin, "erroring")

    # When the user opens the page and the page has stopped asking the stamps service
    site_page.open()
    expect(site_page.notice("container")).to_be_visible()

    # Then the notice and the rest of the page are accessible, and fit the screen
    assert serious_accessibility_violations(site_page.page) == []
    assert horizontal_overflow_px(site_page.page) == 0
    save_screenshot(site_page.page, "phone-stamps-down")
    assert problems_besides(watch, site.container_origin) == []

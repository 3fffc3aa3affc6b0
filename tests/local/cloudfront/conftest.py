"""Fixtures of the site's browser tests: the site as the session's local cloud serves it, Chromium
(one per module), and watched pages, each in a fresh context (profile). A page of a failing test is
kept as a full-page screenshot, ``failure-<n>.png``, in the test's pytest tmp folder."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from tests.local.cloud_support import RunningCloud
from tests.local.cloudfront.browser_support import (
    CHROMIUM,
    DESKTOP,
    HTTP_TIMEOUT_S,
    INSTALL_HINT,
    LAUNCH_ARGS,
    UI_TIMEOUT_MS,
    PageWatch,
    Site,
    SitePage,
    origin_of,
    trusting_home,
)


@pytest.fixture(scope="module")
def site(cloud: RunningCloud) -> Site:
    endpoints = cloud.endpoints
    config = requests.get(f"{endpoints['site_url']}/config.json", timeout=HTTP_TIMEOUT_S).json()
    return Site(
        page_url=f"{endpoints['site_browser_url']}/",
        loopback_url=endpoints["site_url"],
        api_origin=origin_of(config["api_url"]),
        container_origin=origin_of(config["container_api_url"]),
        api_url=endpoints["api_url"],
        container_api_url=endpoints["container_api_url"],
        config=config,
        ca_bundle=cloud.ca_bundle,
    )


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing: {INSTALL_HINT}")
    expect.set_options(timeout=UI_TIMEOUT_MS)
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(
    playwright: Playwright, cloud: RunningCloud, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Browser]:
    """Chromium trusting the local CA as ``make trust`` makes it (its NSS database, in a HOME that
    is the browser's alone)."""
    home = trusting_home(Path(cloud.ca_bundle).parent, tmp_path_factory.mktemp("browser-home"))
    chromium = playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=LAUNCH_ARGS, env={**os.environ, "HOME": str(home)}
    )
    yield chromium
    chromium.close()


@pytest.fixture
def watch() -> PageWatch:
    return PageWatch()


@pytest.fixture
def new_page(
    browser: Browser, watch: PageWatch, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[..., Page]]:
    """``new_page(viewport=..., **context options)``: a page in a context of its own, watched."""
    contexts = []

    def make(viewport: dict[str, int] = DESKTOP, **options: Any) -> Page:
        context = browser.new_context(viewport=viewport, **options)
        context.set_default_timeout(UI_TIMEOUT_MS)
        contexts.append(context)
        tab = context.new_page()
        watch.attach(tab)
        return tab

    failures_before = request.session.testsfailed
    yield make
    # The test's own report is in by now: keep what the user saw when it failed.
    failed = request.session.testsfailed > failures_before
    for number, context in enumerate(contexts):
        for tab in context.pages if failed else ():
            tab.screenshot(path=tmp_path / f"failure-{number}.png", full_page=True)
        context.close()


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    return new_page()


@pytest.fixture
def site_page(page: Page, site: Site) -> SitePage:
    return SitePage(page, site.page_url)

"""The site in a real browser (Chromium) against the session's local cloud, as a user meets it.

The page is opened on ``site_browser_url``, ``https://www.postcards.localhost:<https port>``: the
CloudFront stand-in's alias, the origin the API's CORS allows, served with the distribution's ACM
certificate by the local CA, which the browser trusts the way ``make trust`` trusts it (an NSS
database in the browser's own fresh HOME; no check is ever turned off). It reads config.json, talks to
the Lambda API and the container API over HTTPS, uploads to S3 with the presigned POST (to the AWS
endpoint, HTTPS too) and shows thumbnails under /media, all under the site's real CSP. A back end
"down" is the browser being unable to reach it (Playwright aborts its requests): the real processes
keep serving the other tests. One browser for the module, a fresh context (profile) per test; a
failing test leaves a full-page screenshot, ``failure.png``, in its pytest tmp folder.
"""

from __future__ import annotations

import json
import math
import os
import re
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import (
    Browser,
    Page,
    Playwright,
    Request,
    Response,
    Route,
    expect,
    sync_playwright,
)

from tests.local.cloud_support import RunningCloud
from tests.local.cloudfront.browser_support import (
    CHROMIUM,
    INSTALL_HINT,
    LAUNCH_ARGS,
    THUMBNAIL_TIMEOUT_MS,
    UI_TIMEOUT_MS,
    PageWatch,
    SitePage,
    jpeg_bytes,
    origin_of,
    trusting_home,
)

HTTP_TIMEOUT_S = 30


@dataclass(frozen=True)
class Site:
    page_url: str  # the page, on the origin the API's CORS allows
    loopback_url: str  # the same site by address, for the test's own requests
    api_origin: str  # the Lambda API as config.json names it to the browser
    container_origin: str  # the container API as config.json names it
    api_url: str  # the Lambda API by address, for the test's own requests
    container_api_url: str
    ca_bundle: str  # what the test's own HTTPS requests verify with

    def post_card(self, author: str, message: str, **extra: str) -> dict[str, Any]:
        answer = requests.post(
            f"{self.api_url}/v1/postcards",
            json={"author": author, "message": message, **extra},
            timeout=HTTP_TIMEOUT_S,
        )
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    def create_upload(self, content_type: str, size_bytes: int) -> dict[str, Any]:
        answer = requests.post(
            f"{self.api_url}/v1/uploads",
            json={"content_type": content_type, "size_bytes": size_bytes},
            timeout=HTTP_TIMEOUT_S,
        )
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    def upload_bytes(self, presigned_post: dict[str, Any], data: bytes) -> None:
        """POST ``data`` to storage the way the page does, with the presigned policy."""
        answer = requests.post(
            presigned_post["url"],
            data=presigned_post["fields"],
            files={"file": ("photo", data)},
            timeout=HTTP_TIMEOUT_S,
            verify=self.ca_bundle,
        )
        assert answer.status_code in {200, 201, 204}, answer.text

    def wait_for_upload(self, upload_id: str, settled: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """Poll the upload until ``settled`` says so (bounded by the thumbnail timeout)."""
        deadline = time.monotonic() + THUMBNAIL_TIMEOUT_MS / 1000
        while True:
            upload = requests.get(f"{self.api_url}/v1/uploads/{upload_id}", timeout=HTTP_TIMEOUT_S).json()
            if settled(upload) or time.monotonic() > deadline:
                return dict(upload)
            time.sleep(0.2)

    def cards_with(self, message: str) -> list[dict[str, Any]]:
        """Every stored postcard with this message (all pages of the feed)."""
        found, cursor = [], None
        for _ in range(100):  # bounded: 100 pages of 50
            query: dict[str, str | int] = {"limit": 50, **({"cursor": cursor} if cursor else {})}
            page = requests.get(f"{self.api_url}/v1/postcards", params=query, timeout=HTTP_TIMEOUT_S).json()
            found += [card for card in page["items"] if card["message"] == message]
            cursor = page["next_cursor"]
            if not cursor:
                return found
        raise AssertionError("the feed did not end within 100 pages")


def unique(text: str) -> str:
    return f"{text} #{uuid.uuid4().hex[:8]}"


# --- fixtures ------------------------------------------------------------------------------------


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
def page(
    browser: Browser, watch: PageWatch, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(UI_TIMEOUT_MS)
    tab = context.new_page()
    watch.attach(tab)
    failures_before = request.session.testsfailed
    yield tab
    # The test's own report is in by now: keep what the user saw when it failed.
    if request.session.testsfailed > failures_before:
        tab.screenshot(path=tmp_path / "failure.png", full_page=True)
    context.close()


@pytest.fixture
def site_page(page: Page, site: Site) -> SitePage:
    return SitePage(page, site.page_url)


def block(page: Page, origin: str, how: str) -> None:
    """Make ``origin`` down for this page: ``unreachable`` (no connection) or ``erroring`` (API
    Gateway's 502 for a broken function, CORS headers included as the gateway adds them)."""

    def handle(route: Route) -> None:
        if how == "unreachable":
            route.abort("connectionrefused")
        else:
            origin = route.request.headers.get("origin", "*")
            route.fulfill(
                status=502,
                json={"message": "Internal server error"},
                headers={"Access-Control-Allow-Origin": origin},
            )

    page.route(f"{origin}/**", handle)


def problems_besides(watch: PageWatch, url: str) -> list[str]:
    """The page's problems that do not concern ``url`` (an origin or a URL the test made fail)."""
    where = url.split("://", 1)[1]
    return [problem for problem in watch.problems() if where not in problem]


# --- the page, both back ends up -----------------------------------------------------------------


def test_the_page_shows_both_services_up_the_feed_and_the_stamps(
    site: Site, site_page: SitePage, watch: PageWatch
) -> None:
    # Given a postcard stored through the Lambda API, and the container API's stamps and versions
    message = unique("Greetings from the feed")
    site.post_card("Feed Tester", message)
    stamps = requests.get(
        f"{site.container_api_url}/stamps",
        params={"limit": 12},
        timeout=HTTP_TIMEOUT_S,
        verify=site.ca_bundle,
    ).json()
    lambda_version = requests.get(f"{site.api_url}/v1/health", timeout=HTTP_TIMEOUT_S).json()["version"]
    container_version = requests.get(
        f"{site.container_api_url}/health", timeout=HTTP_TIMEOUT_S, verify=site.ca_bundle
    ).json()["version"]

    # When a user opens the site from the CloudFront stand-in
    response = site_page.page.goto(site_page.url)

    # Then both services show as up with their versions
    assert response is not None
    assert response.ok
    assert "CloudFront" in (response.headers.get("via") or "")
    site_page.expect_service("lambda", "up", f"v{lambda_version}")
    site_page.expect_service("container", "up", f"v{container_version}")
    # and the feed lists the postcard from the Lambda API, newest first
    card = site_page.card(message)
    expect(card).to_be_visible()
    expect(card.locator(".byline")).to_contain_text("— Feed Tester")
    expect(site_page.feed_status).to_have_text("")
    # and the stamps are the container API's, the first one picked
    expect(site_page.stamps).to_have_text([stamp["name"] for stamp in stamps["items"]])
    expect(site_page.stamps.first.locator("input")).to_be_checked()
    expect(site_page.stamps_note).to_have_count(0)
    # and nothing went wrong on the way (no console errors, no failed request, nothing off loopback)
    assert watch.problems() == []


def test_a_written_postcard_appears_at_the_top_of_the_feed_and_the_form_is_cleared(
    site: Site, site_page: SitePage, watch: PageWatch
) -> None:
    # Given the page with its stamps loaded
    site_page.open()
    expect(site_page.stamps).not_to_have_count(0)
    stamp = site_page.stamps.nth(2).inner_text().strip()
    message = unique("Wish you were here")

    # When the user writes a postcard, picks a stamp and sends it
    site_page.write("Browser Tester", message, stamp=stamp)

    # Then the page says so, the card tops the feed with its stamp and the form is ready for the next one
    expect(site_page.compose_status).to_have_text("Sent!")
    expect(site_page.cards.first.locator("blockquote")).to_have_text(message)
    expect(site_page.cards.first.locator(".byline")).to_contain_text("— Browser Tester")
    expect(site_page.cards.first.locator(".card-stamp")).to_have_text(stamp)
    expect(site_page.page.get_by_label("Message")).to_have_value("")
    expect(site_page.page.locator("#message-count")).to_have_text("0")
    expect(site_page.stamps.first.locator("input")).to_be_checked()
    # and the API stored exactly one card
    assert len(site.cards_with(message)) == 1
    assert watch.problems() == []


def test_a_card_sent_with_a_stamp_shows_that_stamp_in_the_feed_also_after_reload(
    site: Site, site_page: SitePage, watch: PageWatch
) -> None:
    # Given the page with the container API's stamps loaded
    stamps = requests.get(
        f"{site.container_api_url}/stamps",
        params={"limit": 12},
        timeout=HTTP_TIMEOUT_S,
        verify=site.ca_bundle,
    ).json()["items"]
    picked = stamps[-1]
    site_page.open()
    expect(site_page.stamps).to_have_count(len(stamps))
    message = unique("Stamped and sent")

    # When the user picks a stamp other than the default and sends a postcard
    site_page.write("Collector", message, stamp=picked["name"])
    expect(site_page.compose_status).to_have_text("Sent!")

    # Then the API stored the stamp's id, and the card shows the stamp by its name
    [stored] = site.cards_with(message)
    assert stored["stamp"] == picked["id"]
    mark = site_page.card_stamp(message)
    expect(mark).to_have_text(picked["name"])
    expect(mark).to_have_attribute("data-known", "true")
    expect(mark).to_have_attribute("title", re.compile(re.escape(picked["denomination"])))

    # When the page is reloaded
    site_page.page.reload()

    # Then the card read back from the feed still shows that stamp
    expect(site_page.card_stamp(message)).to_have_text(picked["name"])
    expect(site_page.card(message)).to_have_count(1)
    assert watch.problems() == []


def test_a_stamp_the_stamps_list_lacks_shows_as_its_id_and_unstamped_cards_show_none(
    site: Site, site_page: SitePage, watch: PageWatch
) -> None:
    # Given a card whose stamp the container API does not list (retired, or past the first page),
    # and one sent without a stamp
    retired = unique("Retired stamp")
    unstamped = unique("No stamp at all")
    site.post_card("Archivist", retired, stamp="penny-black-1840")
    site.post_card("Minimalist", unstamped)

    # When the user opens the site
    site_page.open()
    expect(site_page.stamps).not_to_have_count(0)

    # Then the first card shows the plain stamp id and the other no stamp; both cards are whole
    expect(site_page.card_stamp(retired)).to_have_text("penny-black-1840")
    expect(site_page.card_stamp(retired)).to_have_attribute("data-known", "false")
    expect(site_page.card(retired).locator(".byline")).to_contain_text("— Archivist")
    expect(site_page.card(unstamped)).to_be_visible()
    expect(site_page.card_stamp(unstamped)).to_have_count(0)
    assert watch.problems() == []


def test_a_postcard_written_before_the_config_arrives_is_sent_once_it_does(
    site: Site, site_page: SitePage, watch: PageWatch
) -> None:
    # Given config.json is slow to arrive (held until the test lets it go)
    held: list[Route] = []

    def hold(route: Route) -> None:  # Playwright wants a Python function, not a bound builtin
        held.append(route)

    site_page.page.route(f"{origin_of(site.page_url)}/config.json", hold)
    site_page.open()
    message = unique("Typed in a hurry")

    # When the user types (the counter counts characters, as the API's 280 do, not UTF-16 units)
    # and sends a postcard before it is in
    site_page.page.get_by_label("Message").press_sequentially("Hi 👋")
    expect(site_page.page.locator("#message-count")).to_have_text("4")
    site_page.write("Quick", message)
    expect(site_page.compose_status).to_have_text("Sending…")
    # and then it arrives
    assert len(held) == 1
    held[0].continue_()

    # Then the postcard goes out, the page stays put (no native form submit) and shows it
    expect(site_page.compose_status).to_have_text("Sent!")
    expect(site_page.card(message)).to_be_visible()
    assert site_page.page.url == site.page_url
    assert len(site.cards_with(message)) == 1
    assert watch.problems() == []


def test_without_config_json_every_part_says_why_and_nothing_is_sent(
    site: Site, site_page: SitePage, watch: PageWatch
) -> None:
    # Given the site's config.json cannot be fetched
    site_origin = origin_of(site.page_url)
    site_page.page.route(f"{site_origin}/config.json", lambda route: route.abort("connectionrefused"))
    reason = f"{site_origin.split('://', 1)[1]} is unreachable"
    message = unique("Nowhere to go")

    # When the user opens the site and writes a postcard
    site_page.open()
    site_page.write("Stranded", message)

    # Then each part of the page says it is unavailable, and why
    site_page.expect_service("lambda", "down", reason)
    site_page.expect_service("container", "down", reason)
    expect(site_page.feed_status).to_have_text(f"Postcards are unavailable: {reason}.")
    expect(site_page.stamps_note).to_have_text(f"Stamps are unavailable ({reason}); cards go out unstamped.")
    expect(site_page.compose_status).to_have_text(f"Not sent: {reason}.")
    # and what the user wrote is still there
    expect(site_page.page.get_by_label("Message")).to_have_value(message)
    assert problems_besides(watch, f"{site_origin}/config.json") == []
    assert site.cards_with(message) == []


def test_double_clicking_send_stores_one_postcard(site: Site, site_page: SitePage, watch: PageWatch) -> None:
    # Given a filled-in form
    site_page.open()
    message = unique("Only once, please")
    site_page.page.get_by_label("From").fill("Impatient")
    site_page.page.get_by_label("Message").fill(message)

    # When the user double-clicks the send button
    site_page.page.get_by_role("button", name="Send postcard").dblclick()

    # Then one postcard is stored and shown
    expect(site_page.compose_status).to_have_text("Sent!")
    expect(site_page.card(message)).to_have_count(1)
    assert len(site.cards_with(message)) == 1
    assert watch.problems() == []


@pytest.mark.parametrize(
    "first_attempt",
    ["response-lost", "request_in_progress", "upload_claim_contended"],
)
def test_a_send_the_api_lets_retry_stores_the_postcard_once(
    site: Site, site_page: SitePage, watch: PageWatch, first_attempt: str
) -> None:
    # Given the first POST of a postcard fails in a way the page may retry: its response is lost
    # (the test delivers the browser's exact request itself, then drops the connection), or the API
    # answers 409 "retry shortly"
    seen: list[Request] = []
    delivered: list[dict[str, Any]] = []

    def fail_first(route: Route) -> None:
        request = route.request
        if request.method != "POST":
            route.continue_()
            return
        seen.append(request)
        if len(seen) > 1:
            route.continue_()
        elif first_attempt == "response-lost":
            headers = {name: value for name, value in request.headers.items() if name.lower() != "host"}
            answer = requests.post(
                f"{site.api_url}/v1/postcards",
                data=request.post_data_buffer,
                headers=headers,
                timeout=HTTP_TIMEOUT_S,
            )
            assert answer.status_code == 201, answer.text
            delivered.append(answer.json())
            route.abort("connectionreset")
        else:
            route.fulfill(
                status=409,
                json={"error": {"code": first_attempt, "message": "retry shortly", "request_id": "test"}},
                headers={"Retry-After": "1", "Access-Control-Allow-Origin": request.headers["origin"]},
            )

    site_page.page.route(f"{site.api_origin}/v1/postcards", fail_first)
    site_page.open()
    message = unique("Second time lucky")

    # When the user sends it
    with site_page.page.expect_response(
        lambda r: (
            r.request.method == "POST" and r.url == f"{site.api_origin}/v1/postcards" and r.status != 409
        )
    ) as retried:
        site_page.write("Retrier", message)

    # Then the page tried again with the same Idempotency-Key, and the API stored one card: for a
    # lost response, the retry is answered with the card the first attempt stored
    assert len(seen) == 2
    assert seen[0].headers["idempotency-key"] == seen[1].headers["idempotency-key"]
    assert retried.value.status == 201
    stored = site.cards_with(message)
    assert [card["id"] for card in stored] == [retried.value.json()["id"]]
    if delivered:
        assert delivered[0]["id"] == stored[0]["id"]
    # and the user sees it once
    expect(site_page.compose_status).to_have_text("Sent!")
    expect(site_page.card(message)).to_have_count(1)
    # The failed first attempt is the only trouble the browser saw
    assert len([problem for problem in watch.problems() if "/v1/postcards" in problem]) >= 1
    assert [problem for problem in watch.problems() if "/v1/postcards" not in problem] == []


def test_an_empty_form_is_refused_on_the_page_without_calling_the_api(
    site: Site, site_page: SitePage, watch: PageWatch
) -> None:
    # Given the page, and a watch on what it sends
    site_page.open()
    expect(site_page.service("lambda")).to_have_attribute("data-state", "up")
    posts: list[str] = []
    site_page.page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)

    # When the user sends a postcard with only blanks in it
    site_page.write("   ", "   ")

    # Then the page asks for the missing parts and sends nothing
    expect(site_page.compose_status).to_have_text("Please fill in who it is from and a message.")
    assert posts == []
    assert watch.problems() == []


# --- photos --------------------------------------------------------------------------------------


def test_a_photo_is_uploaded_and_its_webp_thumbnail_appears_on_the_card(
    site: Site, site_page: SitePage, watch: PageWatch
) -> None:
    # Given the page and a 640x480 JPEG
    site_page.open()
    message = unique("Look at this view")

    # When the user sends a postcard with the photo
    site_page.write("Photographer", message, photo=("view.jpg", "image/jpeg", jpeg_bytes(640, 480)))

    # Then the card shows, once the thumbnails function has made it, the WebP thumbnail served by the
    # site under /media, 320 px wide and in the photo's proportions
    expect(site_page.compose_status).to_have_text("Sent!")
    image = site_page.card(message).locator("img")
    expect(image).to_have_attribute(
        "src",
        re.compile(rf"^{re.escape(site.page_url)}media/thumbnails/[0-9a-f]{{32}}\.webp$"),
        timeout=THUMBNAIL_TIMEOUT_MS,
    )
    site_page.page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle(), timeout=UI_TIMEOUT_MS
    )
    assert image.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [320, 240]
    expect(image).to_have_attribute("alt", "Photo from Photographer")
    src = image.get_attribute("src") or ""
    served = requests.get(
        site.loopback_url + src.removeprefix(site.page_url.rstrip("/")), timeout=HTTP_TIMEOUT_S
    )
    assert served.headers["Content-Type"] == "image/webp"
    assert served.content[:4] == b"RIFF"
    assert served.content[8:12] == b"WEBP"
    assert watch.problems() == []


def test_a_file_that_is_not_a_picture_is_refused_in_plain_words_and_nothing_is_lost(
    site: Site, site_page: SitePage, watch: PageWatch
) -> None:
    # Given a "JPEG" that is really text, which the thumbnails function refuses before the postcard
    # is sent (the test lets the browser's POST through once the upload is marked failed)
    def after_the_verdict(route: Route) -> None:
        if route.request.method == "POST":
            upload_id = json.loads(route.request.post_data or "{}")["upload_id"]
            site.wait_for_upload(upload_id, lambda upload: upload["status"] != "pending")
        route.continue_()

    site_page.page.route(f"{site.api_origin}/v1/postcards", after_the_verdict)
    site_page.open()
    message = unique("This photo is broken")

    # When the user sends a postcard with it
    site_page.write("Careless", message, photo=("notes.jpg", "image/jpeg", b"these are not pixels\n" * 20))

    # Then the page says, in plain words, that the photo cannot be used
    expect(site_page.compose_status).to_have_text(
        "Not sent: the photo could not be used (it is not a readable JPEG, PNG or WebP image)."
    )
    # and the postcard is still there to send with another photo or none
    expect(site_page.page.get_by_label("From")).to_have_value("Careless")
    expect(site_page.page.get_by_label("Message")).to_have_value(message)
    assert site.cards_with(message) == []
    assert [problem for problem in watch.problems() if "422 " not in problem] == []


@pytest.mark.parametrize(
    ("photo", "outcome"),
    [(jpeg_bytes(640, 480), "thumbnail"), (b"these are not pixels\n" * 20, "Photo could not be used")],
    ids=["jpeg", "not-a-picture"],
)
def test_a_card_whose_photo_is_being_processed_shows_the_outcome_without_a_reload(
    site: Site, site_page: SitePage, watch: PageWatch, photo: bytes, outcome: str
) -> None:
    # Given a postcard that claimed an upload slot whose photo has not arrived yet
    upload = site.create_upload("image/jpeg", len(photo))
    message = unique("Photo to follow")
    site.post_card("Patient Photographer", message, upload_id=upload["id"])
    site_page.open()
    card = site_page.card(message)
    expect(card.locator(".photo-note")).to_have_text("Photo is being processed…")

    # When the photo reaches storage and the thumbnails function has dealt with it
    site.upload_bytes(upload["presigned_post"], photo)

    # Then the card on the open page shows the outcome by itself
    if outcome == "thumbnail":
        image = card.locator("img")
        expect(image).to_have_attribute(
            "src", f"{site.page_url}media/thumbnails/{upload['id']}.webp", timeout=THUMBNAIL_TIMEOUT_MS
        )
        expect(card.locator(".photo-note")).to_have_count(0)
    else:
        expect(card.locator(".photo-note")).to_have_text(outcome, timeout=THUMBNAIL_TIMEOUT_MS)
        expect(card.locator("img")).to_have_count(0)
    assert watch.problems() == []


@pytest.mark.parametrize(
    ("name", "mime_type", "size"),
    [("huge.jpg", "image/jpeg", 5 * 1024 * 1024 + 1), ("animation.gif", "image/gif", 2048)],
    ids=["over-5-MiB", "gif"],
)
def test_a_photo_the_service_cannot_take_is_refused_clearly_and_nothing_is_lost(
    site_page: SitePage, watch: PageWatch, tmp_path: Path, name: str, mime_type: str, size: int
) -> None:
    # Given the page, and a watch on what it sends
    site_page.open()
    expect(site_page.service("lambda")).to_have_attribute("data-state", "up")
    posts: list[str] = []
    site_page.page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    message = unique("A photo too far")

    # When the user sends a postcard with a photo that is too big or of a type the service refuses
    photo = tmp_path / name
    photo.write_bytes(b"\xff\xd8\xff" + bytes(size - 3))
    site_page.write("Hopeful", message, photo=photo)

    # Then the page says what a photo may be, before uploading anything
    expect(site_page.compose_status).to_have_text(
        "Not sent: the photo must be a JPEG, PNG or WebP image of at most 5 MiB."
    )
    assert posts == []
    # and what the user wrote is still there to send without the photo
    expect(site_page.page.get_by_label("From")).to_have_value("Hopeful")
    expect(site_page.page.get_by_label("Message")).to_have_value(message)
    expect(site_page.page.get_by_role("button", name="Send postcard")).to_be_enabled()
    assert watch.problems() == []


def test_the_site_works_under_the_content_security_policy_terraform_gives_it(
    cloud: RunningCloud, site: Site, page: Page, site_page: SitePage, watch: PageWatch
) -> None:
    """CloudFront sends the root's security headers on AWS (a response headers policy); the local
    stand-in sends the same output, AWS's own: HSTS, and a CSP with upgrade-insecure-requests and no
    plain-HTTP origin. It admits exactly the origins the page talks to, so a call to anything else,
    an inline script or style, or anything by plain HTTP would be refused (a console error)."""
    # Given the page as the CloudFront stand-in serves it by HTTPS, with the root's security headers
    headers = cloud.endpoints["terraform_outputs"]["site_security_headers"]
    policy = headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy
    assert policy.endswith("; upgrade-insecure-requests")
    assert "http://" not in policy
    assert site.page_url.startswith("https://www.postcards.localhost:")
    served = page.goto(site.page_url)
    assert served is not None
    assert served.headers["content-security-policy"] == policy
    assert served.headers["strict-transport-security"] == headers["Strict-Transport-Security"]
    # with a certificate the browser verified (an untrusted one would have failed the navigation)
    security = served.security_details()
    assert security is not None
    assert "Postcards local CA" in str(security.get("issuer"))
    assert security.get("protocol") == "TLS 1.3"
    message = unique("Under policy")

    # When the user reads the page and sends a postcard with a photo
    site_page.expect_service("lambda", "up", re.compile(r"^v\S+$"))
    site_page.expect_service("container", "up", re.compile(r"^v\S+$"))
    expect(site_page.stamps).not_to_have_count(0)
    site_page.write("Careful", message, photo=("policy.jpg", "image/jpeg", jpeg_bytes(320, 240)))

    # Then everything works: the APIs, the upload to storage, the thumbnail from /media, and the
    # browser refused nothing
    expect(site_page.compose_status).to_have_text("Sent!")
    expect(site_page.card(message).locator("img")).to_be_visible(timeout=THUMBNAIL_TIMEOUT_MS)
    assert watch.problems() == []


def test_the_site_on_its_http_port_ends_on_its_https_url_by_either_scheme(
    site: Site, site_page: SitePage, watch: PageWatch
) -> None:
    page = site_page.page
    # Given the site's name on its plain-HTTP port
    site_port = int(site.loopback_url.rsplit(":", 1)[1])
    plain = f"http://www.postcards.localhost:{site_port}/"
    upgraded = f"https://www.postcards.localhost:{site_port}/"

    # When a browser opens it there
    first = page.goto(plain)

    # Then CloudFront's viewer protocol policy sends it to the HTTPS URL
    assert first is not None
    assert first.ok
    assert page.url == site.page_url
    assert redirects(first.request) == [plain]
    site_page.expect_service("lambda", "up", re.compile(r"^v\S+$"))  # the page has done its calls
    site_page.expect_service("container", "up", re.compile(r"^v\S+$"))

    # When a browser opens it there by HTTPS (what a browser that applies the site's HSTS to the
    # name does with the plain URL: HSTS keeps the port; Chromium ignores HSTS for *.localhost), in a
    # tab of its own (leaving the first one would abort what it still loads)
    tab = SitePage(page.context.new_page(), site.page_url)
    tab_watch = PageWatch()
    tab_watch.attach(tab.page)
    again = tab.page.goto(upgraded)

    # Then the port answers TLS with the site's certificate and sends it on to the HTTPS URL
    assert again is not None
    assert again.ok
    assert tab.page.url == site.page_url
    assert redirects(again.request) == [upgraded]
    tab.expect_service("lambda", "up", re.compile(r"^v\S+$"))
    tab.expect_service("container", "up", re.compile(r"^v\S+$"))
    assert watch.problems() == []
    assert tab_watch.problems() == []


def redirects(request: Request) -> list[str]:
    """The URLs a request was redirected from, latest first (the browser's own HSTS upgrade too)."""
    found = []
    earlier = request.redirected_from
    while earlier is not None:
        found.append(earlier.url)
        earlier = earlier.redirected_from
    return found


# --- the feed's pages ----------------------------------------------------------------------------


def test_load_more_shows_the_next_page_of_the_feed_without_repeats(
    site: Site, site_page: SitePage, watch: PageWatch
) -> None:
    # Given twelve new postcards (the page asks for ten at a time)
    marker = unique("Page test")
    messages = [f"{marker} {n:02d}" for n in range(12)]
    ids = [site.post_card("Pager", message)["id"] for message in messages]

    # When the user opens the site
    site_page.open()

    # Then the first page holds the ten newest, newest first, and offers more
    expect(site_page.cards).to_have_count(10)
    expect(site_page.cards.locator("blockquote")).to_have_text(messages[::-1][:10])
    more = site_page.page.get_by_role("button", name="Load more")
    expect(more).to_be_visible()

    # When the user asks for more
    more.click()

    # Then the two older ones follow, and no card is shown twice
    expect(site_page.cards.nth(11).locator("blockquote")).to_have_text(messages[0])
    expect(site_page.cards.nth(10).locator("blockquote")).to_have_text(messages[1])
    shown = site_page.cards.evaluate_all("cards => cards.map(card => card.dataset.id)")
    assert shown[:12] == ids[::-1]
    assert len(shown) == len(set(shown))
    assert watch.problems() == []


# --- cold and warm environments ------------------------------------------------------------------


def test_an_instance_burst_shows_each_environment_its_calls_and_its_cold_start(
    site_page: SitePage, site: Site, watch: PageWatch
) -> None:
    """Whether a burst starts new environments depends on how its calls overlap (and on what other
    tests left warm), so the table is checked against what the API answered the page; what is certain
    is that a second burst is served warm by environments the first one saw."""
    answers: list[Response] = []
    site_page.page.on(
        "response", lambda r: answers.append(r) if r.url == f"{site.api_origin}/v1/instance" else None
    )
    site_page.open()
    expect(site_page.service("lambda")).to_have_attribute("data-state", "up")

    def facts() -> list[dict[str, Any]]:
        return [json.loads(answer.body()) for answer in answers]

    def expect_table_to_match(calls: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
        table = site_page.environments()
        per_env = Counter(call["environment_id"][:12] for call in calls)
        cold = Counter(call["environment_id"][:12] for call in calls if call["cold_start"])
        assert {env: row["calls"] for env, row in table.items()} == {
            env: str(n) for env, n in per_env.items()
        }
        assert {env: row["cold"] for env, row in table.items()} == {env: str(cold[env]) for env in per_env}
        last = {call["environment_id"][:12]: call for call in calls}
        assert {env: row["init_ms"] for env, row in table.items()} == {
            # the page's toFixed(0) rounds halves up; Python's round() would round them to even
            env: str(math.floor(call["init_duration_ms"] + 0.5))
            for env, call in last.items()
        }
        expect(site_page.instances_status).to_have_text(f"{len(per_env)} environment(s) seen so far.")
        return table

    # When the user sends a burst of five calls
    site_page.burst(5)

    # Then the table accounts for every call: each environment, its calls, and its cold start if
    # the page saw it
    first = facts()
    assert len(first) == 5
    assert all(answer.status == 200 for answer in answers)
    first_table = expect_table_to_match(first)
    assert all(row["cold"] in {"0", "1"} for row in first_table.values())

    # When the user sends a second burst
    site_page.burst(5)

    # Then the environments of the first burst served calls again, warm: their cold starts stay as
    # they were, and their call counts grew
    both = facts()
    assert len(both) == 10
    second_table = expect_table_to_match(both)
    second_burst = both[5:]
    assert any(call["environment_id"][:12] in first_table for call in second_burst)
    assert all(not call["cold_start"] for call in second_burst if call["environment_id"][:12] in first_table)
    for env, row in first_table.items():
        assert second_table[env]["cold"] == row["cold"]
    assert watch.problems() == []


# --- one back end down ---------------------------------------------------------------------------


def test_with_the_container_api_unreachable_postcards_still_work(
    site: Site, site_page: SitePage, watch: PageWatch
) -> None:
    # Given a card stored with a stamp, and the browser cannot reach the container API
    stamped = unique("Stamped before the outage")
    site.post_card("Early", stamped, stamp="night-train")
    block(site_page.page, site.container_origin, "unreachable")
    message = unique("Sent without a stamp")

    # When the user opens the site and writes a postcard
    site_page.open()

    # Then the stamps part says it is unavailable, and the Postcards API is up
    host = site.container_origin.split("://", 1)[1]
    site_page.expect_service("container", "down", f"{host} is unreachable")
    expect(site_page.stamps_note).to_have_text(
        f"Stamps are unavailable ({host} is unreachable); cards go out unstamped."
    )
    expect(site_page.stamps).to_have_count(0)
    site_page.expect_service("lambda", "up", re.compile(r"^v\S+$"))
    # and the stamped card shows its stamp's plain id, the rest of the card intact
    expect(site_page.card_stamp(stamped)).to_have_text("night-train")
    expect(site_page.card(stamped).locator(".byline")).to_contain_text("— Early")
    # and a postcard still goes out, unstamped, and shows in the feed
    site_page.write("Stampless", message)
    expect(site_page.compose_status).to_have_text("Sent!")
    expect(site_page.card(message)).to_be_visible()
    expect(site_page.card_stamp(message)).to_have_count(0)
    assert [card["stamp"] for card in site.cards_with(message)] == [None]
    assert problems_besides(watch, site.container_origin) == []


@pytest.mark.parametrize(
    ("how", "reason"),
    [("unreachable", "{host} is unreachable"), ("erroring", "Internal server error")],
)
def test_with_the_postcards_api_down_stamps_still_show_and_nothing_written_is_lost(
    site: Site, site_page: SitePage, watch: PageWatch, how: str, reason: str
) -> None:
    # Given the Postcards API (API Gateway + Lambda) is down for the browser
    block(site_page.page, site.api_origin, how)
    reason = reason.format(host=site.api_origin.split("://", 1)[1])
    message = unique("Into the void")

    # When the user opens the site
    site_page.open()

    # Then the postcards parts say they are unavailable, and why
    site_page.expect_service("lambda", "down", reason)
    expect(site_page.feed_status).to_have_text(f"Postcards are unavailable: {reason}.")
    expect(site_page.page.get_by_role("button", name="Load more")).to_be_hidden()
    # while the stamps from the container API are there
    site_page.expect_service("container", "up", re.compile(r"^v\S+$"))
    expect(site_page.stamps).not_to_have_count(0)

    # When the user writes a postcard anyway
    site_page.write("Patient", message)

    # Then it is not sent, the page says why, and what was written is kept for a later try
    expect(site_page.compose_status).to_have_text(f"Not sent: {reason}.")
    expect(site_page.page.get_by_label("From")).to_have_value("Patient")
    expect(site_page.page.get_by_label("Message")).to_have_value(message)
    expect(site_page.page.get_by_role("button", name="Send postcard")).to_be_enabled()

    # When the user sends an instance burst
    site_page.burst(3)

    # Then the page counts the failed calls
    expect(site_page.instances_status).to_have_text("3 call(s) failed.")
    assert problems_besides(watch, site.api_origin) == []
    assert site.cards_with(message) == []

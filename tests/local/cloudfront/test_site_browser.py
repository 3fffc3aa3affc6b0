"""The site in a real browser (Chromium) against the session's local cloud, as a user meets it.

The page is opened on ``site_browser_url``, ``https://www.postcards.localhost:<https port>``: the
CloudFront stand-in's alias, the origin the API's CORS allows, served with the distribution's ACM
certificate by the local CA, which the browser trusts the way ``make trust`` trusts it (an NSS
database in the browser's own fresh HOME; no check is ever turned off). It reads config.json, talks to
the Lambda API and the container API over HTTPS, uploads to S3 with the presigned POST (to the AWS
endpoint, HTTPS too) and shows thumbnails under /media, all under the site's real CSP. A back end
"down" is the browser being unable to reach it (Playwright aborts its requests): the real processes
keep serving the other tests. The fixtures are in conftest.py; the Lambda lab's tests are in
test_site_lab.py, the page under failing back ends (retries, circuit breakers) in
test_site_resilience.py, accessibility and the phone layout in test_site_accessibility.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Page, Request, Route, expect

from tests.local.cloud_support import RunningCloud
from tests.local.cloudfront.browser_support import (
    HTTP_TIMEOUT_S,
    THUMBNAIL_TIMEOUT_MS,
    UI_TIMEOUT_MS,
    PageWatch,
    Site,
    SitePage,
    block,
    jpeg_bytes,
    origin_of,
    problems_besides,
    unique,
)

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
    ["response-lost", "request_in_progress", "upload_claim_contended", "service_unavailable"],
)
def test_a_send_the_api_lets_retry_stores_the_postcard_once(
    site: Site, site_page: SitePage, watch: PageWatch, first_attempt: str
) -> None:
    # Given the first POST of a postcard fails in a way the page may retry: its response is lost
    # (the test delivers the browser's exact request itself, then drops the connection), the API
    # answers 409 "retry shortly", or 503 (AWS throttled it)
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
                status=503 if first_attempt == "service_unavailable" else 409,
                json={"error": {"code": first_attempt, "message": "retry shortly", "request_id": "test"}},
                headers={"Retry-After": "1", "Access-Control-Allow-Origin": request.headers["origin"]},
            )

    site_page.page.route(f"{site.api_origin}/v1/postcards", fail_first)
    site_page.open()
    message = unique("Second time lucky")

    # When the user sends it
    with site_page.page.expect_response(
        lambda r: (
            r.request.method == "POST"
            and r.url == f"{site.api_origin}/v1/postcards"
            and r.status not in {409, 503}
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
    site_page.burst(3, hold_ms=0)

    # Then the page counts the failed calls and says why they failed
    expect(site_page.instances_status).to_have_text(
        "3 calls at once: 0 served by 0 environments, 0 cold starts; 3 refused."
    )
    expect(site_page.instances_explanation).to_have_text(f"3 calls failed: {reason}.")
    assert problems_besides(watch, site.api_origin) == []
    assert site.cards_with(message) == []

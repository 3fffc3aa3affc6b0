"""Chromium for the site's browser tests: how it is launched, what each page is watched for, the
site's back ends as the tests reach them (``Site``), the page itself as a user sees it (``SitePage``),
and axe-core's accessibility check of it (``serious_accessibility_violations``).

The browser is Debian's ``chromium`` (``CHROMIUM`` overrides the path) driven by Playwright;
Playwright's own browser downloads are never used. Every request stays on loopback: the host resolver
maps any host but ``localhost``, ``*.localhost`` and the loopback addresses to "not found", and
``PageWatch`` reports any request to another host.
"""

from __future__ import annotations

import io
import ipaddress
import os
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from PIL import Image
from playwright.sync_api import ConsoleMessage, Locator, Page, Request, Route, expect

from local.tls.authority import LocalCA
from local.tls.trust import trust

ROOT = Path(__file__).resolve().parents[3]

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
INSTALL_HINT = (
    "the browser tests need Debian's chromium: `sudo apt-get install chromium` "
    "(make test-local installs it when it may)"
)
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Any host but localhost, *.localhost and the loopback addresses resolves nowhere: nothing the site
    # does can leave the machine by mistake.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE *.localhost, "
    "EXCLUDE 127.0.0.1, EXCLUDE [::1]",
]

# axe-core, installed from npm by ``make axe-core`` (a dependency of make test-local / test-browser).
AXE_CORE = ROOT / ".tools" / "node_modules" / "axe-core" / "axe.min.js"
AXE_HINT = "axe-core is missing: `make axe-core` installs it (npm)"
# Where the browser tests leave what a person should look at (screenshots); build/ is git-ignored.
ARTIFACTS = ROOT / "build" / "test-artifacts" / "site"

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}  # a current phone's CSS pixels

# What a user waits for at most: a cold Lambda start on a busy 2-core machine takes a few seconds.
UI_TIMEOUT_MS = 30_000


def _site_constant(script: str, pattern: str) -> str:
    """A constant of the site's own scripts, so the tests' waits follow the page's, not a copy."""
    match = re.search(pattern, (ROOT / "site" / script).read_text())
    assert match, f"site/{script} no longer defines {pattern!r}"
    return match[1]


# The page re-checks a pending photo on this schedule, each check bounded by its request timeout.
PHOTO_RECHECK_DELAYS_MS = [
    int(delay) for delay in _site_constant("app.js", r"PHOTO_RECHECK_DELAYS_MS = \[([\d, ]+)\]").split(",")
]
API_TIMEOUT_MS = int(_site_constant("api.js", r"const TIMEOUT_MS = (\d+);"))
# A photo's outcome reaches the open page at the latest with its last re-check: every delay plus
# every check's timeout. Derived from the page, so a change there cannot leave the test waiting less.
THUMBNAIL_TIMEOUT_MS = sum(PHOTO_RECHECK_DELAYS_MS) + len(PHOTO_RECHECK_DELAYS_MS) * API_TIMEOUT_MS


def trusting_home(ca_dir: Path, home: Path) -> Path:
    """``home`` with the local CA in its NSS database, put there by what ``make trust`` runs: Chromium
    on Linux reads ``$HOME/.pki/nssdb``."""
    ca = LocalCA.load(ca_dir)
    assert ca is not None, f"no local CA in {ca_dir}"
    trust(ca, home)
    return home


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def jpeg_bytes(width: int = 640, height: int = 480) -> bytes:
    """A small real JPEG (a two-colour picture, so the thumbnail has something to show)."""
    picture = Image.new("RGB", (width, height), (214, 96, 64))
    picture.paste((52, 101, 164), (0, 0, width // 2, height))
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


HTTP_TIMEOUT_S = 30


@dataclass(frozen=True)
class Site:
    page_url: str  # the page, on the origin the API's CORS allows
    loopback_url: str  # the same site by address, for the test's own requests
    api_origin: str  # the Lambda API as config.json names it to the browser
    container_origin: str  # the container API as config.json names it
    api_url: str  # the Lambda API by address, for the test's own requests
    container_api_url: str
    config: dict[str, Any]  # config.json as the page reads it
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
        """Poll the upload until ``settled`` says so; fails with its last state when the thumbnail
        timeout passes first."""
        deadline = time.monotonic() + THUMBNAIL_TIMEOUT_MS / 1000
        while True:
            upload = requests.get(f"{self.api_url}/v1/uploads/{upload_id}", timeout=HTTP_TIMEOUT_S).json()
            if settled(upload):
                return dict(upload)
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"upload {upload_id} did not settle within {THUMBNAIL_TIMEOUT_MS} ms: {upload}"
                )
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


@dataclass
class PageWatch:
    """Everything that went wrong on a page as the browser saw it: console errors, uncaught
    exceptions, failed requests, HTTP errors and any request that left loopback."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    error_responses: list[str] = field(default_factory=list)
    off_loopback: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> None:
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        page.on("requestfailed", self._on_failed)
        page.on("request", self._on_request)
        page.on(
            "response",
            lambda r: (
                self.error_responses.append(f"{r.status} {r.request.method} {r.url}")
                if r.status >= 400
                else None
            ),
        )

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(f"{message.text} ({message.location.get('url', '')})")

    def _on_failed(self, request: Request) -> None:
        self.failed_requests.append(f"{request.method} {request.url}: {request.failure}")

    def _on_request(self, request: Request) -> None:
        if not is_loopback(request.url) and not request.url.startswith(("data:", "blob:", "about:")):
            self.off_loopback.append(request.url)

    def problems(self) -> list[str]:
        return [
            *(f"console error: {text}" for text in self.console_errors),
            *(f"uncaught exception: {text}" for text in self.page_errors),
            *(f"request failed: {text}" for text in self.failed_requests),
            *(f"HTTP error: {text}" for text in self.error_responses),
            *(f"left loopback: {url}" for url in self.off_loopback),
        ]


@dataclass
class SitePage:
    """The Postcards page as a user meets it: the status pills, the form, the feed, the burst table."""

    page: Page
    url: str

    def open(self) -> SitePage:
        self.page.goto(self.url)
        return self

    # --- reading -------------------------------------------------------------------------------

    def service(self, which: str) -> Locator:
        """The status pill of ``"lambda"`` or ``"container"``."""
        return self.page.locator(f"#status-{which}")

    def expect_service(self, which: str, state: str, detail: str | re.Pattern[str]) -> None:
        pill = self.service(which)
        expect(pill).to_have_attribute("data-state", state, timeout=UI_TIMEOUT_MS)
        expect(pill.locator(".detail")).to_have_text(detail)

    @property
    def cards(self) -> Locator:
        return self.page.locator("#postcards > li.card")

    def card(self, message: str) -> Locator:
        return self.cards.filter(
            has=self.page.locator("blockquote", has_text=re.compile(f"^{re.escape(message)}$"))
        )

    @property
    def stamps(self) -> Locator:
        return self.page.locator("#stamps label.stamp")

    def card_stamp(self, message: str) -> Locator:
        """The stamp shown on the card with this message."""
        return self.card(message).locator(".card-stamp")

    @property
    def feed_status(self) -> Locator:
        return self.page.locator("#feed-status")

    @property
    def stamps_note(self) -> Locator:
        return self.page.locator("#stamps-note")

    @property
    def compose_status(self) -> Locator:
        return self.page.locator("#compose-status")

    def notice(self, which: str) -> Locator:
        """The circuit breaker's notice of ``"lambda"`` or ``"container"`` (hidden while closed)."""
        return self.page.locator(f"#notice-{which}")

    @property
    def instances_status(self) -> Locator:
        return self.page.locator("#instances-status")

    @property
    def instances_explanation(self) -> Locator:
        return self.page.locator("#instances-explanation")

    def lab_limits(self) -> dict[str, str]:
        """The lab's facts about the API function's concurrency: term -> what it says."""
        limits = self.page.locator("#lab-limits")
        expect(limits.locator("dt")).not_to_have_count(0)
        terms = [text.strip() for text in limits.locator("dt").all_text_contents()]
        return dict(
            zip(terms, (text.strip() for text in limits.locator("dd").all_text_contents()), strict=True)
        )

    def environments(self) -> dict[str, dict[str, str]]:
        """The burst table: environment id prefix -> its row's cells."""
        table = {}
        for row in self.page.locator("#instances tbody tr").all():
            cells = [(cell.text_content() or "").strip() for cell in row.locator("td").all()]
            env, initialised, calls, cold, init_ms, last = cells
            table[env] = {
                "initialised": initialised,
                "calls": calls,
                "cold": cold,
                "init_ms": init_ms,
                "last_request": last,
            }
        return table

    def settled(self) -> SitePage:
        """Wait until the page's own first calls are answered: both pills, the feed and the stamps."""
        for which in ("lambda", "container"):
            expect(self.service(which)).not_to_have_attribute("data-state", "unknown")
        expect(self.feed_status).not_to_have_text("Loading…")
        expect(self.page.locator("#stamps-note", has_text="Loading stamps…")).to_have_count(0)
        return self

    # --- doing ---------------------------------------------------------------------------------

    def write(
        self,
        author: str,
        message: str,
        *,
        stamp: str | None = None,
        photo: tuple[str, str, bytes] | Path | None = None,
    ) -> None:
        """Fill in the form and send it; ``photo`` is a file, or (file name, MIME type, bytes)."""
        self.page.get_by_label("From").fill(author)
        self.page.get_by_label("Message").fill(message)
        if stamp is not None:
            self.stamps.filter(has_text=stamp).locator("input").check()
        if isinstance(photo, Path):
            self.page.locator("input[name=photo]").set_input_files(photo)
        elif photo is not None:
            name, mime_type, data = photo
            self.page.locator("input[name=photo]").set_input_files(
                {"name": name, "mimeType": mime_type, "buffer": data}
            )
        self.page.get_by_role("button", name="Send postcard").click()

    def burst(self, calls: int, hold_ms: int = 1000) -> None:
        """Send a burst of ``calls`` to /v1/instance, each held ``hold_ms``, and wait until the page
        has counted them."""
        self.page.get_by_label("Calls at once").fill(str(calls))
        self.page.get_by_label("Hold each call (ms)").fill(str(hold_ms))
        self.page.get_by_role("button", name="Send burst").click()
        self.wait_for_lab()

    def wait_for_lab(self) -> None:
        expect(self.page.get_by_role("button", name="Send burst")).to_be_enabled(timeout=UI_TIMEOUT_MS)
        expect(self.instances_status).not_to_have_text(re.compile("^Sending"), timeout=UI_TIMEOUT_MS)


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


def serious_accessibility_violations(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now, one line each.

    axe is injected as a script tag, which the site's Content-Security-Policy refuses (no inline
    scripts): the page's context must be made with ``bypass_csp=True``.
    """
    if not AXE_CORE.is_file():
        pytest.fail(AXE_HINT)
    page.add_script_tag(path=AXE_CORE)
    violations: list[dict[str, Any]] = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations.map((v) => ({
            id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(" ")),
        }))"""
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {', '.join(v['targets'])}"
        for v in violations
        if v["impact"] in {"serious", "critical"}
    ]


def horizontal_overflow_px(page: Page) -> int:
    """How far the page scrolls sideways (0: it fits the viewport's width)."""
    overflow: int = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    return overflow


def save_screenshot(page: Page, name: str) -> Path:
    """A full-page screenshot under build/test-artifacts/site/ for a person to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    return path

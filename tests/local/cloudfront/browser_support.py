"""Chromium for the site's browser tests: how it is launched, what each page is watched for, and the
page itself as a user sees it (``SitePage``).

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
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from PIL import Image
from playwright.sync_api import ConsoleMessage, Locator, Page, Request, expect

from local.tls.authority import LocalCA
from local.tls.trust import trust

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

# What a user waits for at most: a cold Lambda start on a busy 2-core machine takes a few seconds.
UI_TIMEOUT_MS = 30_000
# A photo's thumbnail: upload, S3 notification, a possibly cold thumbnails function, then the page's poll.
THUMBNAIL_TIMEOUT_MS = 60_000


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

    @property
    def instances_status(self) -> Locator:
        return self.page.locator("#instances-status")

    def environments(self) -> dict[str, dict[str, str]]:
        """The burst table: environment id prefix -> its row's cells."""
        rows = self.page.locator("#instances tbody tr")
        table = {}
        for row in rows.all():
            env, calls, cold, init_ms, last = (cell.inner_text().strip() for cell in row.locator("td").all())
            table[env] = {"calls": calls, "cold": cold, "init_ms": init_ms, "last_request": last}
        return table

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

    def burst(self, calls: int) -> None:
        """Send a burst of ``calls`` to /v1/instance and wait until the page has counted them."""
        self.page.get_by_label("Calls at once").fill(str(calls))
        self.page.get_by_role("button", name="Send burst").click()
        expect(self.instances_status).not_to_have_text(re.compile("^Sending"), timeout=UI_TIMEOUT_MS)

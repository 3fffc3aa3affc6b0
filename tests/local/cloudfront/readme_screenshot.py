"""The README's screenshot of the site, and the lab's figures the docs quote, from a running local
cloud: ``python -m tests.local.cloudfront.readme_screenshot [ENDPOINTS_JSON] [--out PNG]``.

It opens the site in Debian's Chromium (trusting the cloud's CA as ``make trust`` does, in a
throw-away HOME), sends the Lambda lab's burst (the page's own button: N calls at once, each held),
prints what the page says (the served calls, environments, cold starts, refusals and why) and the
table of environments, and saves a full-page screenshot. Loopback only; one burst, bounded.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from tests.local.cloudfront.browser_support import (
    CHROMIUM,
    DESKTOP,
    LAUNCH_ARGS,
    UI_TIMEOUT_MS,
    block,
    origin_of,
    trusting_home,
)

ROOT = Path(__file__).resolve().parents[3]
STAMPS_NOTE = "#stamps-note"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("endpoints", nargs="?", type=Path, default=ROOT / ".local" / "endpoints.json")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images" / "site.png")
    parser.add_argument("--figures", type=Path, default=ROOT / "docs" / "quest" / "figures" / "lab.json")
    parser.add_argument("--calls", type=int, default=8)
    parser.add_argument("--hold-ms", type=int, default=1000)
    parser.add_argument(
        "--stamps-down",
        action="store_true",
        help="the container API unreachable for the page (no burst): the site staying up on one back end",
    )
    args = parser.parse_args()
    endpoints = json.loads(args.endpoints.read_text())
    with tempfile.TemporaryDirectory() as home, sync_playwright() as driver:
        trusting_home(Path(endpoints["ca_bundle"]).parent, Path(home))
        browser = driver.chromium.launch(
            executable_path=str(CHROMIUM), args=LAUNCH_ARGS, env={**os.environ, "HOME": home}
        )
        page = browser.new_context(viewport=DESKTOP).new_page()
        page.set_default_timeout(UI_TIMEOUT_MS)
        if args.stamps_down:
            block(page, origin_of(endpoints["container_api_url"]), "unreachable")
        page.goto(endpoints["site_browser_url"] + "/")
        expect(page.locator("#status-lambda")).to_have_attribute("data-state", "up")
        if args.stamps_down:
            expect(page.locator("#status-container")).to_have_attribute("data-state", "down")
            expect(page.locator(STAMPS_NOTE)).to_contain_text("Stamps are unavailable")
            expect(page.locator("#postcards > li.card").first).to_be_visible()
            page.screenshot(path=args.out, full_page=True)
            print("screenshot:", args.out)
            browser.close()
            return
        expect(page.locator("#status-container")).to_have_attribute("data-state", "up")
        page.fill("#burst-size", str(args.calls))
        page.fill("#burst-hold", str(args.hold_ms))
        page.click("#burst")
        expect(page.locator("#instances-status")).to_contain_text("at once:")
        figures = {
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": "python -m tests.local.cloudfront.readme_screenshot",
            "load_average_1m": round(os.getloadavg()[0], 2),
            "burst": {"calls": args.calls, "hold_ms": args.hold_ms},
            "status": page.locator("#instances-status").inner_text(),
            "explanation": page.locator("#instances-explanation").inner_text(),
            "limits": page.locator("#lab-limits").inner_text().splitlines(),
            "environments": [
                [cell.inner_text() for cell in row.locator("td").all()]
                for row in page.locator("#instances tbody tr").all()
            ],
        }
        print(json.dumps(figures, indent=2))
        args.figures.parent.mkdir(parents=True, exist_ok=True)
        args.figures.write_text(json.dumps(figures, indent=2) + "\n")
        args.out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=args.out, full_page=True)
        print("screenshot:", args.out)
        browser.close()


if __name__ == "__main__":
    main()

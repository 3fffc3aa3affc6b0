"""The console's browser tests use the site's browser fixtures as they are (Chromium trusting the
session's local CA, watched pages in fresh contexts, a screenshot of a failing page)."""

from tests.local.cloudfront.conftest import browser, new_page, page, playwright, watch

__all__ = ["browser", "new_page", "page", "playwright", "watch"]

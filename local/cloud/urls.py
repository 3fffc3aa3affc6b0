"""The lines ``make up`` prints once the cloud serves: its URLs, and how to reach it with the aws CLI."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO

from local.cloud.endpoints import Endpoints


def print_urls(endpoints: Endpoints, out: IO[str] = sys.stdout) -> None:
    rows = [
        ("site (browser)", endpoints.site_browser_url or endpoints.site_url),
        ("API", endpoints.api_url),
        ("API (custom domain)", endpoints.api_custom_domain_url),
        ("container API", endpoints.container_api_url),
        ("AWS endpoint", endpoints.aws_endpoint_url),
    ]
    print("\nThe local cloud is up:", file=out)
    for label, url in rows:
        if url:
            print(f"  {label:<20} {url}", file=out)
    print(f"  {'endpoints.json':<20} {Path(endpoints.state_dir) / 'endpoints.json'}", file=out)
    print(
        f"\n  aws --endpoint-url {endpoints.aws_endpoint_url} lambda list-functions"
        "\n  Ctrl-C stops everything.\n",
        file=out,
        flush=True,
    )

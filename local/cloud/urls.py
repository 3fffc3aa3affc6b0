"""The lines ``make up`` prints once the cloud serves: its URLs (the HTTPS ones a browser opens
first), the CA that vouches for them, and how to reach it with the aws CLI."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO

from local.cloud.endpoints import Endpoints

# The Lambda API's routes are under /v1 (terraform/modules/api/openapi.yaml); /legacy is the
# container API behind the same domain.
API_PREFIX = "/v1"


def print_urls(endpoints: Endpoints, out: IO[str] = sys.stdout) -> None:
    custom = endpoints.api_custom_domain_url
    rows = [
        ("site", endpoints.site_browser_url or endpoints.site_url),
        ("API", f"{custom}{API_PREFIX}" if custom else None),
        ("API (execute-api)", endpoints.api_execute_api_url),
        ("console", endpoints.console_url),
        ("site (by address)", endpoints.site_url),
        ("API (by address)", endpoints.api_url),
        ("container API", endpoints.container_api_url),
        ("AWS endpoint", endpoints.aws_endpoint_url),
        ("CA bundle", endpoints.ca_bundle),
    ]
    print("\nThe local cloud is up:", file=out)
    for label, url in rows:
        if url:
            print(f"  {label:<20} {url}", file=out)
    print(f"  {'endpoints.json':<20} {Path(endpoints.state_dir) / 'endpoints.json'}", file=out)
    cli = f"aws --endpoint-url {endpoints.aws_endpoint_url} --ca-bundle {endpoints.ca_bundle}"
    print(
        "\n  Browsers trust the HTTPS URLs after `make trust` (once per user)."
        f"\n  {cli} lambda list-functions"
        "\n  Ctrl-C stops everything.\n",
        file=out,
        flush=True,
    )

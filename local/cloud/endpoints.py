"""``<state>/endpoints.json``: where a running local cloud answers, for scripts, tests and people.

Written (atomically: readers never see half a file) once the cloud serves, rewritten when a background
apply ends, and removed at stop; ``pid`` tells a reader which ``make up`` wrote it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NotRequired, TypedDict

from local.config import Config
from local.tls.authority import bundle_of


class TerraformStatus(TypedDict):
    """The root's apply, as the running cloud knows it."""

    status: Literal["applying", "applied", "failed", "skipped"]
    """``applying``: in the background (the rest of a first apply, or confirming a fast restart);
    ``applied``; ``failed`` (the cloud goes on serving); ``skipped`` (``--no-terraform``)."""
    pending: NotRequired[list[str]]
    """While a first apply finishes: the changes not yet complete (no data plane reads them)."""
    why: NotRequired[str]
    """While a fast restart confirms: why it serves before Terraform ends."""
    error: NotRequired[str]
    """When ``failed``: Terraform's error."""


@dataclass
class Reported:
    """What the steps of ``make up`` reported so far; the document is made from it."""

    site_url: str | None = None
    container_api_url: str | None = None
    console_url: str | None = None
    apigateway_endpoints: list[dict[str, str]] = field(default_factory=list)
    terraform_outputs: dict[str, Any] = field(default_factory=dict)
    terraform: TerraformStatus | None = None
    https_urls: dict[str, str] = field(default_factory=dict)  # name -> https base, names served now


@dataclass(frozen=True)
class Endpoints:
    """The document; its JSON keys are these fields, in this order."""

    site_url: str | None
    """The site (CloudFront's stand-in) by loopback address, for scripts; none if it did not start."""
    site_browser_url: str | None
    """The site by the ``*.localhost`` origin browsers must open (its CORS origin; Terraform's
    ``browser_urls.site_origin``), else ``site_url``."""
    api_url: str | None
    """The first API stage on the API Gateway data plane, by path: ``http://127.0.0.1:4580/<stage>``."""
    api_custom_domain_url: str | None
    """The API by its custom domain name (a base path mapping): on the HTTPS port once its
    certificate is validated (``https://api.postcards.localhost:4443``), else by HTTP on the data
    plane's port."""
    api_execute_api_url: str | None
    """That stage by its ``<api-id>.execute-api.localhost`` host name (HTTPS when it is served)."""
    container_api_url: str | None
    """The stand-in of the existing container API (HTTPS)."""
    console_url: str | None
    """The local console (traces, service map, environments, logs, metrics, alarms), HTTPS."""
    aws_endpoint_url: str
    """The edge: the one AWS endpoint (``AWS_ENDPOINT_URL``) for SDKs, the aws CLI and Terraform, by
    HTTPS (``https://127.0.0.1:4566``; the same port answers plain HTTP too)."""
    ca_bundle: str
    """The local CA's certificate (PEM): what clients verify every HTTPS URL here with
    (``AWS_CA_BUNDLE``, ``curl --cacert``, ``requests``' ``verify=``)."""
    controlplane_url: str
    """moto itself, behind the edge (loopback only)."""
    apigateway_url: str
    """The API Gateway data plane's root (admin routes under ``/_local/``)."""
    rest_api_id: str | None
    """The REST API of ``api_url``."""
    stage: str | None
    """The stage of ``api_url``."""
    region: str
    """The one region the local cloud serves."""
    account_id: str
    """The account every ARN names."""
    domain_name: str
    """The site's and the API's domain (``postcards.localhost``)."""
    pid: int
    """The ``make up`` process serving; stop removes the file only if it is its own."""
    state_dir: str
    """The state folder (lock, this file, Terraform state, control plane snapshot, logs)."""
    apigateway_endpoints: list[dict[str, str]]
    """Every stage's URLs (by path, by execute-api host) and every custom domain's."""
    terraform_outputs: dict[str, Any]
    """The root module's outputs, as last applied."""
    terraform: TerraformStatus | None
    """The apply's status (set before the file is first written)."""

    @classmethod
    def of(cls, config: Config, reported: Reported) -> Endpoints:
        gateway = reported.apigateway_endpoints
        stage = next((e for e in gateway if "url" in e), {})
        custom = next((e for e in gateway if "custom_domain_url" in e), {})
        outputs = reported.terraform_outputs
        # Browsers open the site by the name its CORS origin and thumbnails use (Terraform's
        # browser_urls; *.localhost is loopback in browsers, not in every resolver), scripts by address.
        browser_site = (outputs.get("browser_urls") or {}).get("site_origin")
        custom_url = custom.get("custom_domain_url")
        execute_api_url = stage.get("execute_api_url")
        https = reported.https_urls
        if custom.get("domain_name") in https:
            custom_url = https[custom["domain_name"]] + custom.get("base_path", "")
        if stage.get("api_id") and "*.execute-api.localhost" in https:
            execute_api_url = (
                https["*.execute-api.localhost"].replace("*", stage["api_id"]) + f"/{stage['stage']}"
            )
        return cls(
            site_url=reported.site_url,
            site_browser_url=browser_site or reported.site_url,
            api_url=stage.get("url"),
            api_custom_domain_url=custom_url,
            api_execute_api_url=execute_api_url,
            container_api_url=reported.container_api_url,
            console_url=reported.console_url,
            aws_endpoint_url=config.aws_endpoint_url,
            ca_bundle=str(bundle_of(config.ca_dir)),
            controlplane_url=config.controlplane_url,
            apigateway_url=f"http://{config.host}:{config.ports.apigateway}",
            rest_api_id=stage.get("api_id"),
            stage=stage.get("stage"),
            region=config.region,
            account_id=config.account_id,
            domain_name=config.domain_name,
            pid=os.getpid(),
            state_dir=str(config.state_dir),
            apigateway_endpoints=gateway,
            terraform_outputs=outputs,
            terraform=reported.terraform,
        )

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def write(path: Path, endpoints: Endpoints) -> None:
    partial = path.with_suffix(".partial")  # readers never see half a file
    partial.write_text(json.dumps(endpoints.to_json(), indent=2) + "\n")
    partial.replace(path)


def remove_if_ours(path: Path) -> None:
    """At stop: remove the file if this process wrote it (not one a later cloud wrote)."""
    with contextlib.suppress(OSError):
        if json.loads(path.read_text()).get("pid") == os.getpid():
            path.unlink()

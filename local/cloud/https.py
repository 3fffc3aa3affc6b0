"""HTTPS for every name Terraform gave a certificate, on one port (default 4443), chosen by SNI.

- the API's custom domains (``api.postcards.localhost``): the gateway, with the domain's base path
  mappings, its ACM certificate and its security policy (``local.services.apigateway.tls``);
- the distribution's aliases (``www.postcards.localhost``, ``/media`` included): the CloudFront
  stand-in, with the distribution's ACM certificate and minimum protocol version
  (``local.services.cloudfront.tls``);
- ``<api-id>.execute-api.localhost``: the gateway, with a ``*.execute-api.localhost`` leaf of the
  local CA (AWS's own certificate on AWS) and the default endpoint's TLS_1_0 policy.

An ACM certificate is served only once it is validated (``local.services.acm``); until then its
names get what an unknown name gets: the execute-api certificate (API Gateway's regional endpoint and
CloudFront both answer an unknown name with their default certificate, which the client then refuses)
and, if the client goes on, the gateway (403). The same router gives the site port its HTTPS side.

``reload`` (after an apply changed the control plane, or ``POST /_local/tls/reload`` on the gateway
port) re-reads the certificates and what the gateway and the site serve; ``GET /_local/tls`` shows it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import ssl
from dataclasses import dataclass
from typing import Any

from local.config import Config
from local.services.acm.issuer import AcmIssuer
from local.services.apigateway import tls as apigateway_tls
from local.services.apigateway.admin import AdminRoute, json_reply
from local.services.apigateway.responses import HttpResponse
from local.services.apigateway.server import ApiGateway
from local.services.cloudfront import tls as cloudfront_tls
from local.services.cloudfront.server import SiteServer
from local.tls.authority import LeafFiles, LocalCA
from local.tls.listener import Listener
from local.tls.policy import client_context, server_context
from local.tls.router import TlsRouter, TlsSite

log = logging.getLogger("local.tls")

EXECUTE_API_NAME = "*.execute-api.localhost"


@dataclass(frozen=True)
class LocalTls:
    """What ``make up`` serves TLS with: the CA, the loopback leaf (the edge and the container API:
    ``localhost``, 127.0.0.1, ::1), and the HTTPS listener, whose router the site port shares."""

    ca: LocalCA
    loopback: LeafFiles
    https: HttpsListener

    @classmethod
    def prepare(cls, config: Config) -> LocalTls:
        """The CA (made on the first run of any clone) and the leaves kept from the last run. Blocking."""
        ca = LocalCA.load_or_create(config.ca_dir)
        loopback, _ = ca.ensure(
            LeafFiles(config.tls_dir / "loopback.pem", config.tls_dir / "loopback.key"),
            ["localhost"],
            [ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")],
        )
        return cls(ca, loopback, HttpsListener(config, ca, TlsRouter()))

    @property
    def client(self) -> ssl.SSLContext:
        """What the local cloud's own clients verify its HTTPS endpoints with."""
        return client_context(str(self.ca.bundle))


class HttpsListener:
    """A ``local.lifecycle.Service``; ``serve`` gives it the gateway and the site and starts it."""

    def __init__(self, config: Config, ca: LocalCA, router: TlsRouter) -> None:
        self.config = config
        self.ca = ca
        self.router = router  # shared with the site port's HTTPS side
        self.gateway: ApiGateway | None = None
        self.site: SiteServer | None = None
        self.urls: dict[str, str] = {}  # name -> its https base URL, for the names served now
        self._issuer = AcmIssuer(ca, config.tls_dir / "acm", config.edge_url, [config.region])
        self._listener: Listener | None = None

    @property
    def port(self) -> int:
        return self._listener.port if self._listener is not None else self.config.ports.https

    async def serve(self, gateway: ApiGateway | None, site: SiteServer | None) -> str:
        """Start serving the names ``gateway`` and ``site`` hold (they must be started); what it
        serves, in a line for the console."""
        self.gateway, self.site = gateway, site
        await self.start()
        return f"HTTPS on port {self.port}: {', '.join(sorted(self.urls)) or 'nothing'}"

    def admin_routes(self) -> list[AdminRoute]:
        return [AdminRoute("GET", "tls", self._describe), AdminRoute("POST", "tls/reload", self._reload)]

    async def start(self) -> None:
        await self.reload()
        self._listener = Listener(self.config.host, self.config.ports.https, plain=None, tls=self.router)
        await self._listener.start()

    async def reload(self) -> None:
        await asyncio.to_thread(self._issuer.refresh)
        sites, default = await asyncio.to_thread(self._sites)
        self.router.replace(sites, default)
        self.urls = {name: self.config.https_url(name) for site in sites for name in site.names}

    async def stop(self) -> None:
        if self._listener is not None:
            await self._listener.close()
            self._listener = None

    def _sites(self) -> tuple[list[TlsSite], TlsSite | None]:
        """The table: one site per served certificate (blocking: reads and writes leaves)."""
        sites: list[TlsSite] = []
        default = None
        gateway, site = self.gateway, self.site
        if gateway is not None:
            for domain in gateway.snapshot.state.custom_domains:
                leaf = self._issuer.leaf(domain.certificate_arn)
                if leaf is None:
                    log.warning(
                        "custom domain %s: certificate not validated, not served over HTTPS", domain.name
                    )
                    continue
                policy = apigateway_tls.security_policy(domain.security_policy)
                context = server_context(leaf, policy)
                sites.append(
                    TlsSite(
                        (domain.name,),
                        context,
                        gateway.server.protocol,
                        f"API Gateway custom domain ({policy.name})",
                    )
                )
            execute_api, _ = self.ca.ensure(
                LeafFiles(self.config.tls_dir / "execute-api.pem", self.config.tls_dir / "execute-api.key"),
                [EXECUTE_API_NAME],
            )
            policy = apigateway_tls.DEFAULT_ENDPOINT_POLICY
            default = TlsSite(
                (EXECUTE_API_NAME,),
                server_context(execute_api, policy),
                gateway.server.protocol,
                f"API Gateway execute-api endpoint ({policy.name})",
            )
            sites.append(default)
        if site is not None:
            distribution = site.distribution
            leaf = self._issuer.leaf(distribution.certificate_arn)
            if leaf is None:
                log.warning(
                    "distribution %s: certificate not validated, its aliases are not served over HTTPS",
                    distribution.id,
                )
            else:
                policy = cloudfront_tls.viewer_policy(distribution.minimum_protocol_version)
                sites.append(
                    TlsSite(
                        distribution.aliases,
                        server_context(leaf, policy),
                        site.protocol,
                        f"CloudFront distribution {distribution.id} ({policy.name})",
                    )
                )
        return sites, default

    def describe(self) -> dict[str, Any]:
        return {
            "port": self.port,
            "sites": [{"names": list(s.names), "what": s.description} for s in self.router.sites],
            "default": self.router.default.description if self.router.default else None,
            "certificates": [status.to_json() for status in self._issuer.certificates.values()],
            "ca_bundle": str(self.ca.bundle),
        }

    async def _describe(self, request: Any) -> HttpResponse:
        return json_reply(self.describe())

    async def _reload(self, request: Any) -> HttpResponse:
        await self.reload()
        return json_reply(self.describe())

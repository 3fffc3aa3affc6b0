"""A small asynchronous AWS client for the local cloud's own calls to the control plane.

boto3 blocks, and the executor and log shipper live on the event loop next to the hot invoke path,
so they speak the wire protocols they need (Lambda's REST-JSON; JSON 1.0/1.1 for CloudWatch Logs,
SQS and EventBridge; SNS's query) over one keep-alive aiohttp session. moto checks no signature;
the Authorization header only names the service and region, which is how moto routes a request.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp
import orjson


class ControlPlaneError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{code} ({status}): {message}")
        self.status = status
        self.code = code
        self.message = message


@dataclass
class ControlPlaneClient:
    url: str  # the edge (so that Code.Location comes back downloadable) or moto itself
    region: str
    session: aiohttp.ClientSession

    def _authorization(self, service: str) -> str:
        return (
            f"AWS4-HMAC-SHA256 Credential=test/20260101/{self.region}/{service}/aws4_request, "
            "SignedHeaders=host, Signature=0"
        )

    async def lambda_api(
        self, method: str, path: str, query: dict[str, str] | None = None, body: Any = None
    ) -> Any:
        """A Lambda REST-JSON call; the parsed JSON answer, or ControlPlaneError."""
        headers = {"Authorization": self._authorization("lambda")}
        data = None if body is None else json.dumps(body).encode()
        async with self.session.request(
            method, self.url + path, params=query, data=data, headers=headers
        ) as response:
            raw = await response.read()
            if response.status >= 400:
                raise _error(response.status, response.headers.get("x-amzn-ErrorType", ""), raw)
            return json.loads(raw) if raw else {}

    async def get_function(self, name: str, qualifier: str | None) -> dict[str, Any]:
        query = {"Qualifier": qualifier} if qualifier else None
        return dict(await self.lambda_api("GET", f"/2015-03-31/functions/{quote(name, safe='')}", query))

    async def json_call(self, service: str, target: str, body: dict[str, Any], version: str = "1.1") -> Any:
        """A JSON call (1.1: CloudWatch Logs, EventBridge; 1.0: SQS): X-Amz-Target names the operation."""
        headers = {
            "Authorization": self._authorization(service),
            "X-Amz-Target": target,
            "Content-Type": f"application/x-amz-json-{version}",
        }
        # orjson: PutLogEvents and PutMetricData bodies (thousands of events and values a second).
        async with self.session.post(self.url + "/", data=orjson.dumps(body), headers=headers) as response:
            raw = await response.read()
            if response.status >= 400:
                raise _error(response.status, "", raw)
            return json.loads(raw) if raw else {}

    async def query_call(self, service: str, action: str, params: dict[str, str]) -> bytes:
        """A query-protocol call (SNS, STS); the XML answer, or ControlPlaneError."""
        headers = {"Authorization": self._authorization(service)}
        form = {"Action": action, "Version": _QUERY_VERSIONS[service], **params}
        async with self.session.post(self.url + "/", data=form, headers=headers) as response:
            raw = await response.read()
            if response.status >= 400:
                raise ControlPlaneError(response.status, action, raw[:300].decode(errors="replace"))
            return raw

    async def local_route(
        self, method: str, path: str, *, params: dict[str, str] | None = None, body: Any = None
    ) -> Any:
        """One of the control plane's own ``/_local/...`` routes: its JSON answer, or ControlPlaneError."""
        data = None if body is None else json.dumps(body).encode()
        async with self.session.request(method, self.url + path, params=params, data=data) as response:
            raw = await response.read()
            if response.status >= 400:
                raise _error(response.status, "LocalRouteFailed", raw)
            return json.loads(raw) if raw else {}

    async def rest_call(
        self,
        service: str,
        method: str,
        path: str,
        *,
        query: dict[str, str] | None = None,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        """A REST call (S3's path-style object API, FIS): its status and body, errors included."""
        sent = {"Authorization": self._authorization(service), **(headers or {})}
        async with self.session.request(
            method, self.url + path, params=query, data=data, headers=sent
        ) as response:
            return response.status, await response.read()

    async def download(self, url: str) -> bytes:
        async with self.session.get(url) as response:
            if response.status != 200:
                raise ControlPlaneError(response.status, "DownloadFailed", f"GET {url}")
            return await response.read()


_QUERY_VERSIONS = {"sns": "2010-03-31", "sts": "2011-06-15"}


def _error(status: int, header_code: str, raw: bytes) -> ControlPlaneError:
    try:
        document = json.loads(raw)
    except ValueError:
        document = {}
    if not isinstance(document, dict):
        document = {}
    code = header_code.split(":", 1)[0] or str(document.get("__type", "")).split("#")[-1] or "Unknown"
    message = str(document.get("message") or document.get("Message") or raw[:200].decode(errors="replace"))
    return ControlPlaneError(status, code, message)

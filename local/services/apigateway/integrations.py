"""The integration types the data plane runs: AWS_PROXY (Lambda), HTTP_PROXY and MOCK.

Each takes the prepared request and returns an ``HttpResponse`` or raises ``IntegrationFailure`` with
the gateway error API Gateway would answer. Lambda is reached only through the ``Invoker``.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp
import orjson
from multidict import CIMultiDict

from local.invoke import InvokeError, Invoker, InvokeRequest, InvokeResult
from local.services.apigateway import responses
from local.services.apigateway.eager import start_eagerly
from local.services.apigateway.models import Integration, LambdaTarget
from local.services.apigateway.responses import GatewayError, HttpResponse, MalformedProxyResponse

log = logging.getLogger("local.services.apigateway")

# RFC 9110 7.6.1 hop-by-hop headers, plus what the HTTP client sets itself.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)
_STAGE_VARIABLE = re.compile(r"\$\{stageVariables\.(\w+)\}")
_MOCK_STATUS = re.compile(r'"?statusCode"?\s*:\s*"?(\d{3})')


class IntegrationFailure(Exception):
    def __init__(self, error: GatewayError, detail: str) -> None:
        super().__init__(detail)
        self.error = error
        self.detail = detail


def substitute_stage_variables(text: str, variables: Mapping[str, str]) -> str:
    return _STAGE_VARIABLE.sub(lambda m: variables.get(m[1], ""), text) if "${" in text else text


@dataclass(frozen=True)
class RequestParts:
    method: str
    headers: list[tuple[str, str]]  # as the event has them (client headers + X-Forwarded-*)
    headers_lower: Mapping[str, str]  # any mapping that looks names up case-insensitively
    raw_query: str
    query: Mapping[str, str]
    path_parameters: Mapping[str, str]
    stage_variables: Mapping[str, str]
    body: bytes


# --- AWS_PROXY --------------------------------------------------------------------------------


def _release(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


def _consume(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and (error := task.exception()) is not None:
        log.debug("invocation that outlived its integration timeout failed: %s", error)


async def invoke_lambda(
    invoker: Invoker,
    target: LambdaTarget,
    event: dict[str, Any],
    *,
    timeout_s: float,
    binary_media_types: tuple[str, ...],
    accept: str | None,
    trace_header: str | None = None,
) -> HttpResponse:
    payload = orjson.dumps(event)
    loop = asyncio.get_running_loop()
    # On timeout API Gateway answers 504 but the invocation runs on in Lambda: the Invoke runs as a
    # task of its own, never cancelled here, so the executor's environment finishes (or times out) by
    # its own rules. (A bare future and timer: asyncio.wait costs more on this path.)
    request = InvokeRequest(
        target.function_name, payload, qualifier=target.qualifier, trace_header=trace_header
    )
    task = start_eagerly(loop, invoker.invoke(request))
    if not task.done():
        waiter = loop.create_future()
        timer = loop.call_later(timeout_s, _release, waiter)
        task.add_done_callback(lambda _: _release(waiter))
        try:
            await waiter
        finally:
            timer.cancel()
    if not task.done():
        task.add_done_callback(_consume)
        raise IntegrationFailure(responses.INTEGRATION_TIMEOUT, f"no response within {timeout_s:g} s")
    try:
        result: InvokeResult = task.result()
    except InvokeError as error:
        raise IntegrationFailure(
            responses.INVOKE_REJECTED,
            f"Lambda rejected the invocation: {error.status_code} {error.error_type}: {error.message}",
        ) from error
    if result.function_error:
        raise IntegrationFailure(
            responses.BAD_GATEWAY, f"function error ({result.function_error}): {result.payload[:500]!r}"
        )
    try:
        return responses.from_lambda_proxy(
            result.payload, binary_media_types=binary_media_types, accept=accept
        )
    except MalformedProxyResponse as error:
        raise IntegrationFailure(
            responses.BAD_GATEWAY, f"Malformed Lambda proxy response: {error}"
        ) from error


# --- HTTP_PROXY -------------------------------------------------------------------------------


def _mapped(integration: Integration, kind: str, request: RequestParts) -> dict[str, str]:
    """``integration.request.<kind>.<name>`` parameters resolved from the method request."""
    prefix = f"integration.request.{kind}."
    values = {}
    for key, source in integration.request_parameters.items():
        if key.startswith(prefix):
            value = responses.parameter_value(
                source,
                request_headers=request.headers_lower,
                stage_variables=request.stage_variables,
                query=request.query,
                path=request.path_parameters,
            )
            if value is not None:
                values[key[len(prefix) :]] = value
    return values


def http_proxy_url(integration: Integration, request: RequestParts) -> str:
    url = substitute_stage_variables(integration.uri, request.stage_variables)
    for name, value in _mapped(integration, "path", request).items():
        # A greedy {proxy+} value keeps its slashes; API Gateway re-encodes the rest.
        url = url.replace(f"{{{name}}}", _quote_path(value))
    query_pairs = [request.raw_query] if request.raw_query else []
    query_pairs += [
        f"{quote(k, safe='')}={quote(v, safe='')}"
        for k, v in _mapped(integration, "querystring", request).items()
    ]
    return f"{url}?{'&'.join(query_pairs)}" if query_pairs else url


def _quote_path(value: str) -> str:
    return quote(value, safe="/-._~!$&'()*+,;=:@")


async def http_proxy(
    session: aiohttp.ClientSession, integration: Integration, request: RequestParts, *, timeout_s: float
) -> HttpResponse:
    url = http_proxy_url(integration, request)
    method = (
        request.method if (integration.http_method or "ANY").upper() == "ANY" else integration.http_method
    )
    headers: CIMultiDict[str] = CIMultiDict(
        (name, value) for name, value in request.headers if name.lower() not in HOP_BY_HOP
    )
    for name, value in _mapped(integration, "header", request).items():
        headers[name] = value
    try:
        async with session.request(
            str(method),
            url,
            headers=headers,
            data=request.body or None,
            allow_redirects=False,
            timeout=aiohttp.ClientTimeout(total=timeout_s),
        ) as upstream:
            body = await upstream.read()
            out = [(k, v) for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP]
            return HttpResponse(upstream.status, out, body)
    except TimeoutError as error:
        raise IntegrationFailure(
            responses.INTEGRATION_TIMEOUT, f"{method} {url}: no response in {timeout_s:g} s"
        ) from error
    except aiohttp.ClientError as error:
        raise IntegrationFailure(responses.INTEGRATION_FAILURE, f"{method} {url}: {error}") from error


# --- MOCK -------------------------------------------------------------------------------------


def mock(integration: Integration, request: RequestParts, content_type: str | None) -> HttpResponse:
    """Status from the request template's ``statusCode``, then the integration response whose
    selection pattern matches it (or the default one), with its static headers and template."""
    templates = integration.request_templates
    template = templates.get((content_type or "application/json").split(";")[0].strip()) or next(
        iter(templates.values()), ""
    )
    found = _MOCK_STATUS.search(template)
    selected = found[1] if found else "200"
    chosen = None
    for candidate in integration.responses:
        if candidate.selection_pattern and re.fullmatch(candidate.selection_pattern, selected):
            chosen = candidate
            break
    if chosen is None:
        chosen = next((c for c in integration.responses if not c.selection_pattern), None)
    if chosen is None:
        raise IntegrationFailure(responses.INVOKE_REJECTED, "MOCK integration has no integration response")
    headers = []
    for key, source in chosen.response_parameters.items():
        name = key.removeprefix("method.response.header.")
        value = responses.parameter_value(
            source,
            request_headers=request.headers_lower,
            stage_variables=request.stage_variables,
            query=request.query,
            path=request.path_parameters,
        )
        if value is not None:
            headers.append((name, value))
    body_template = chosen.response_templates.get("application/json") or ""
    headers.append(("Content-Type", "application/json"))
    return HttpResponse(int(chosen.status_code), headers, body_template.encode())

"""Lambda's HTTP API where the edge differs from moto: Invoke, and download locations.

- ``POST /2015-03-31/functions/{name}/invocations`` (Invoke) and the deprecated
  ``POST /2014-11-13/functions/{name}/invoke-async/`` (InvokeAsync) run on the executor and answer
  byte for byte as Lambda does: status 200/202/204, ``X-Amz-Executed-Version``,
  ``X-Amz-Function-Error``, ``X-Amz-Log-Result``; service errors as Lambda's REST-JSON errors
  (``x-amzn-ErrorType`` header, ``{"Type", "message"}`` body, ``Reason`` for throttles).
- ``GetFunction``'s ``Code.Location`` and ``GetLayerVersion``'s ``Content.Location`` become URLs
  that download the zip from the control plane, where AWS gives a presigned S3 URL.

https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
"""

from __future__ import annotations

import json
import re
from typing import Any, cast
from urllib.parse import quote

from aiohttp import web
from aiohttp.web_request import BaseRequest
from multidict import CIMultiDict

from local.invoke import InvocationType, InvokeError, Invoker, InvokeRequest

INVOKE = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations/?$")
INVOKE_ASYNC = re.compile(r"^/2014-11-13/functions/(?P<name>[^/]+)/invoke-async/?$")
GET_FUNCTION = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/?$")
GET_LAYER_VERSION = re.compile(r"^/2018-10-31/layers/(?P<name>[^/]+)/versions/(?P<version>\d+)/?$")
GET_LAYER_BY_ARN = re.compile(r"^/2018-10-31/layers/?$")
FUNCTION_WRITE = re.compile(r"^/\d{4}-\d{2}-\d{2}/functions/(?P<name>[^/]+)(?P<rest>/.*)?$")

_INVOCATION_TYPES = ("RequestResponse", "Event", "DryRun")


async def invoke(request: BaseRequest, name: str, invoker: Invoker) -> web.Response:
    """Invoke: the executor runs it; the answer is Lambda's."""
    invocation_type = request.headers.get("X-Amz-Invocation-Type", "RequestResponse")
    try:
        if invocation_type not in _INVOCATION_TYPES:
            raise InvokeError(
                400,
                "InvalidParameterValueException",
                f"1 validation error detected: Value '{invocation_type}' at 'invocationType' failed to "
                "satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]",
            )
        result = await invoker.invoke(
            InvokeRequest(
                name,
                await request.read(),
                qualifier=request.query.get("Qualifier"),
                invocation_type=cast(InvocationType, invocation_type),
                log_type="Tail" if request.headers.get("X-Amz-Log-Type") == "Tail" else None,
                client_context=request.headers.get("X-Amz-Client-Context"),
                trace_header=request.headers.get("X-Amzn-Trace-Id"),
            )
        )
    except InvokeError as error:
        return error_response(error)
    headers = CIMultiDict(result.headers)
    if result.status_code == 200:
        headers["X-Amz-Executed-Version"] = result.executed_version
        headers["Content-Type"] = "application/json"
        if result.function_error:
            headers["X-Amz-Function-Error"] = result.function_error
        if result.log_tail:
            headers["X-Amz-Log-Result"] = result.log_tail
    return web.Response(status=result.status_code, body=result.payload or None, headers=headers)


async def invoke_async(request: BaseRequest, name: str, invoker: Invoker) -> web.Response:
    """The deprecated InvokeAsync: an Event invocation answering {"Status": 202}."""
    try:
        result = await invoker.invoke(
            InvokeRequest(
                name,
                await request.read(),
                invocation_type="Event",
                trace_header=request.headers.get("X-Amzn-Trace-Id"),
            )
        )
    except InvokeError as error:
        return error_response(error)
    headers = CIMultiDict(result.headers)
    return web.Response(
        status=202,
        body=json.dumps({"Status": 202}).encode(),
        headers=headers,
        content_type="application/json",
    )


def error_response(error: InvokeError) -> web.Response:
    body: dict[str, Any] = {
        "Type": "Service" if error.status_code >= 500 else "User",
        "message": error.message,
    }
    if error.reason:
        body["Reason"] = error.reason
    return web.Response(
        status=error.status_code,
        body=json.dumps(body).encode(),
        headers={"x-amzn-ErrorType": error.error_type, "Content-Type": "application/json"},
    )


def with_code_location(body: bytes, edge_base: str) -> bytes:
    """GetFunction's answer with a Code.Location that downloads the zip from the control plane."""
    document = json.loads(body)
    config = document.get("Configuration") or {}
    arn = config.get("FunctionArn", "")
    parts = arn.split(":")
    if len(parts) < 7 or "Code" not in document or "ImageUri" in document["Code"]:
        return body
    version = quote(config.get("Version", "$LATEST"), safe="")
    document["Code"]["Location"] = (
        f"{edge_base}/_local/lambda/code/{parts[3]}/{parts[4]}/{parts[6]}?Qualifier={version}"
    )
    return json.dumps(document).encode()


def with_layer_location(body: bytes, edge_base: str) -> bytes:
    """GetLayerVersion's answer with a Content.Location that downloads the layer's zip."""
    document = json.loads(body)
    parts = str(document.get("LayerVersionArn", "")).split(":")
    if len(parts) != 8 or "Content" not in document:
        return body
    document["Content"]["Location"] = (
        f"{edge_base}/_local/lambda/layers/{parts[3]}/{parts[4]}/{parts[6]}/{parts[7]}"
    )
    return json.dumps(document).encode()

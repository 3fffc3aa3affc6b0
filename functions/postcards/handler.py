"""Lambda entry point of the Postcards REST API (API Gateway REST proxy integration, v1 events).

Module-level work is what every cold start pays, so it is only what every request needs: the
resolver and its routes, Powertools Logger/Tracer/Metrics (our X-Ray provider only when tracing is on),
no AWS client (``common.aws`` makes them on first use) and no idempotency machinery (imported by
the one route that uses it).

Every error leaves as ``{"error": {"code", "message", "request_id"}}`` with its status: routes raise
``ApiError`` for expected failures; anything else is logged with its stack and answered with a
generic 500 (503 when AWS throttled us), never with details of the failure. An event that is not a
REST proxy event (a direct ``aws lambda invoke``) is answered 400 ``not_an_api_gateway_event``.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Iterator
from typing import Any, Final

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from common import deadline
from common.tracing import make_tracer
from postcards import environment, idempotency
from postcards.errors import ApiError, bad_request, not_found, unavailable
from postcards.http_io import JSON, error
from postcards.routes import postcards, service, uploads

# AWS error codes that mean "slow down", not "broken": answered 503 + Retry-After.
THROTTLING_CODES: Final = frozenset(
    {
        "ThrottlingException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "TransactionInProgressException",
        "SlowDown",
    }
)

# Reads add no metric; Powertools would warn about that on every such invocation.
warnings.filterwarnings("ignore", message="No application metrics to publish")

logger = Logger()
# Only the AWS SDK is traced (patching every library X-Ray knows is init work for nothing), and the
# tracer records nothing, and imports nothing, while tracing is off (see common.tracing).
tracer = make_tracer(patch_modules=("botocore",))
metrics = Metrics()


def _cors() -> CORSConfig | None:
    origin = os.environ.get("SITE_ORIGIN", "")
    if not origin:
        logger.warning("SITE_ORIGIN is not set: responses carry no CORS headers")
        return None
    return CORSConfig(
        allow_origin=origin,
        allow_headers=[idempotency.HEADER],
        expose_headers=["Location", "Retry-After", "Idempotent-Replayed"],
        max_age=600,
    )


app = APIGatewayRestResolver(cors=_cors())
for _router in (postcards.router, uploads.router, service.router):
    app.include_router(_router)


@app.exception_handler(ApiError)
def _api_error(problem: ApiError) -> Response[Any]:
    if problem.status >= 500:
        logger.warning("request failed", extra={"status": problem.status, "code": problem.code})
    return error(problem, app.current_event)


@app.not_found
def _no_route(_: NotFoundError) -> Response[Any]:
    event = app.current_event
    return error(not_found(f"no route for {event.http_method} {event.path}"), event)


@app.exception_handler(Exception)
def _unexpected(failure: Exception) -> Response[Any]:
    if _is_throttling(failure):
        logger.warning("AWS throttled the request", exc_info=failure)
        return error(unavailable(), app.current_event)
    logger.error("unhandled error", exc_info=failure)
    return error(ApiError(500, "internal_error", "internal server error"), app.current_event)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    deadline.follow(context)
    environment.record_invocation()
    if not _is_rest_proxy_event(event):
        return _with_standard_headers(_not_a_rest_proxy_event(event, context))
    return _with_standard_headers(app.resolve(event, context))


def _is_rest_proxy_event(event: object) -> bool:
    # The fields the resolver reads unguarded (a KeyError or TypeError otherwise).
    return (
        isinstance(event, dict)
        and isinstance(event.get("httpMethod"), str)
        and isinstance(event.get("path"), str)
    )


def _not_a_rest_proxy_event(event: object, context: LambdaContext) -> dict[str, Any]:
    """A direct invoke (``aws lambda invoke``, a test event) with some other event: a 400 in the
    API's error shape, not a function error; nothing about it pages anyone (no Errors metric)."""
    keys = sorted(map(str, event)) if isinstance(event, dict) else []
    logger.warning(
        "not an API Gateway REST proxy event", extra={"event_type": type(event).__name__, "keys": keys}
    )
    problem = bad_request(
        "this function serves API Gateway REST API proxy events (v1: httpMethod, path, headers, "
        "body...); call it through the API, or invoke it with such an event",
        "not_an_api_gateway_event",
    )
    return {
        "statusCode": problem.status,
        "multiValueHeaders": {"Content-Type": [JSON]},
        "body": json.dumps(problem.body(context.aws_request_id), separators=(",", ":")),
        "isBase64Encoded": False,
    }


def _with_standard_headers(response: dict[str, Any]) -> dict[str, Any]:
    # The CORS origin is echoed only when it matches, so caches must key on Origin; and no answer
    # of this API may be reused by a shared cache (CloudFront, proxies) for another client.
    headers = response.setdefault("multiValueHeaders", {})
    headers.setdefault("Vary", ["Origin"])
    headers.setdefault("Cache-Control", ["no-store"])
    return response


def _is_throttling(failure: BaseException) -> bool:
    for cause in _causes(failure):
        response = getattr(cause, "response", None)
        if isinstance(response, dict) and response.get("Error", {}).get("Code") in THROTTLING_CODES:
            return True
    return False


def _causes(failure: BaseException) -> Iterator[BaseException]:
    # Powertools wraps persistence errors; the AWS error is further down the chain.
    seen: set[int] = set()
    current: BaseException | None = failure
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


environment.mark_initialised()

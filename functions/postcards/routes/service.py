"""About the service itself: liveness and which execution environment answered."""

from __future__ import annotations

import os
import time
from typing import Any, Final

from aws_lambda_powertools.event_handler.api_gateway import Router

from postcards import environment
from postcards.http_io import query_integer, request_id
from postcards.routes.methods import refuse_other_methods

router = Router()

# How long ``/v1/instance?hold_ms=`` may keep its invocation busy: long enough that calls sent at once
# overlap (so each needs an environment of its own, which is what the site's lab shows), short enough
# that a burst costs at most a second of each environment's time.
MAX_HOLD_MS: Final = 1000


@router.get("/v1/health")
def health() -> dict[str, Any]:
    # Liveness only: it must answer while a dependency is down, so it touches none.
    return {"status": "ok", "version": os.environ.get("SERVICE_VERSION", "unknown")}


@router.get("/v1/instance")
def instance() -> dict[str, Any]:
    params = router.current_event.query_string_parameters
    hold_ms = query_integer(params.get("hold_ms"), "hold_ms", minimum=0, maximum=MAX_HOLD_MS, default=0)
    # Inside the invocation, so the environment stays busy: Lambda gives an overlapping call another.
    time.sleep(hold_ms / 1000)
    return {**environment.facts(router.lambda_context, request_id(router.current_event)), "held_ms": hold_ms}


refuse_other_methods(router, "/v1/health", ("GET",))
refuse_other_methods(router, "/v1/instance", ("GET",))

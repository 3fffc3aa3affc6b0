"""About the service itself: liveness and which execution environment answered."""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import Router

from postcards import environment
from postcards.http_io import request_id
from postcards.routes.methods import refuse_other_methods

router = Router()


@router.get("/v1/health")
def health() -> dict[str, Any]:
    # Liveness only: it must answer while a dependency is down, so it touches none.
    return {"status": "ok", "version": os.environ.get("SERVICE_VERSION", "unknown")}


@router.get("/v1/instance")
def instance() -> dict[str, Any]:
    return environment.facts(router.lambda_context, request_id(router.current_event))


refuse_other_methods(router, "/v1/health", ("GET",))
refuse_other_methods(router, "/v1/instance", ("GET",))

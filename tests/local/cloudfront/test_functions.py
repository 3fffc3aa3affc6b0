"""Viewer-request CloudFront Functions, with node and with the node-less subset."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import pytest

from local.services.cloudfront.functions import FunctionError, NodeFunction, UriRewriteFunction

ROOT = Path(__file__).resolve().parents[3]
STRIP_MEDIA = (ROOT / "terraform/modules/site/cloudfront-functions/strip-media-prefix.js").read_text()
needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed on this machine")


def _event(uri: str) -> dict[str, Any]:
    return {"version": "1.0", "request": {"method": "GET", "uri": uri, "querystring": {}, "headers": {}}}


def test_the_projects_function_is_within_the_node_less_subset() -> None:
    function = UriRewriteFunction.understand("strip-media-prefix", STRIP_MEDIA)
    assert function is not None

    result = asyncio.run(function.run(_event("/media/thumbnails/abc.webp")))

    assert result["uri"] == "/thumbnails/abc.webp"


def test_the_subset_refuses_code_that_does_more() -> None:
    code = (
        "function handler(event) { if (event.request.uri === '/') { return {statusCode: 302}; } "
        "return event.request; }"
    )

    assert UriRewriteFunction.understand("redirect", code) is None


@needs_node
def test_node_runs_the_projects_function() -> None:
    async def scenario() -> dict[str, Any]:
        function = NodeFunction("strip-media-prefix", STRIP_MEDIA)
        try:
            return await function.run(_event("/media/thumbnails/abc.webp"))
        finally:
            await function.close()

    assert asyncio.run(scenario())["uri"] == "/thumbnails/abc.webp"


@needs_node
def test_node_returns_a_generated_response_and_reports_a_throw() -> None:
    redirect = (
        "function handler(event) { if (event.request.uri === '/old') "
        "{ return {statusCode: 301, statusDescription: 'Moved', headers: {location: {value: '/new'}}}; } "
        "throw new Error('boom'); }"
    )

    async def scenario() -> tuple[dict[str, Any], str]:
        function = NodeFunction("redirect", redirect)
        try:
            response = await function.run(_event("/old"))
            with pytest.raises(FunctionError) as raised:
                await function.run(_event("/other"))
            return response, str(raised.value)
        finally:
            await function.close()

    response, error = asyncio.run(scenario())
    assert response["statusCode"] == 301
    assert response["headers"]["location"]["value"] == "/new"
    assert "boom" in error

"""The API end to end on the local cloud: client -> our API Gateway -> our executor -> the real
postcards function (its zip and layer from the control plane) -> DynamoDB/S3 in moto, over HTTP."""

from __future__ import annotations

import asyncio
import io
import json
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from tests.local.cloud_support import RunningCloud

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def call(
    url: str,
    method: str = "GET",
    body: Any = None,
    headers: dict[str, str] | None = None,
    ca_bundle: str | None = None,
) -> Answer:
    """``url`` by HTTP, or by HTTPS verified with ``ca_bundle`` (the cloud's local CA)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json", **(headers or {})}
    )
    context = ssl.create_default_context(cafile=ca_bundle) if ca_bundle else None
    try:
        with urllib.request.urlopen(request, timeout=60, context=context) as response:
            return Answer(
                response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
            )
    except urllib.error.HTTPError as error:
        return Answer(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())


@pytest.fixture(scope="module")
def api(cloud: RunningCloud) -> str:
    return str(cloud.endpoints["api_url"]).rstrip("/")


def _postcard(author: str, message: str) -> dict[str, str]:
    return {"author": author, "message": message}


def test_health_answers_with_the_deployed_version(api: str) -> None:
    answer = call(f"{api}/v1/health")

    assert answer.status == 200
    assert answer.json()["status"] == "ok"
    assert answer.headers["x-amzn-requestid"]


def test_create_then_get_then_list_with_pagination(api: str) -> None:
    tag = uuid.uuid4().hex[:8]
    created = [call(f"{api}/v1/postcards", "POST", _postcard(f"e2e-{tag}", f"card {i}")) for i in range(3)]

    assert [c.status for c in created] == [201, 201, 201]
    first = created[0].json()
    assert created[0].headers["location"].endswith(f"/v1/postcards/{first['id']}")
    fetched = call(f"{api}/v1/postcards/{first['id']}")
    assert fetched.status == 200
    assert fetched.json()["message"] == "card 0"

    seen: list[dict[str, Any]] = []
    url = f"{api}/v1/postcards?limit=2"
    for _ in range(50):  # bounded walk over the feed
        page = call(url)
        assert page.status == 200
        seen += page.json()["items"]
        cursor = page.json().get("next_cursor")
        if not cursor:
            break
        url = f"{api}/v1/postcards?limit=2&cursor={urllib.request.quote(cursor)}"
    ours = [card["message"] for card in seen if card["author"] == f"e2e-{tag}"]
    assert ours == ["card 2", "card 1", "card 0"]  # newest first, each exactly once


def test_an_idempotent_retry_returns_the_first_answer_and_stores_once(api: str) -> None:
    key = uuid.uuid4().hex
    body = _postcard("retry", f"only once {key}")

    first = call(f"{api}/v1/postcards", "POST", body, {"Idempotency-Key": key})
    again = call(f"{api}/v1/postcards", "POST", body, {"Idempotency-Key": key})
    different = call(f"{api}/v1/postcards", "POST", _postcard("retry", "other"), {"Idempotency-Key": key})

    assert first.status == 201
    assert again.status == 201
    assert again.body == first.body
    assert different.status == 409


def _png(size: int = 64) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (size, size), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def _browser_post(url: str, fields: dict[str, str], data: bytes, content_type: str, ca_bundle: str) -> int:
    """The browser's multipart POST of the file to the presigned URL (HTTPS, verified)."""
    import aiohttp

    async def post() -> int:
        form = aiohttp.FormData()
        for name, value in fields.items():
            form.add_field(name, value)
        form.add_field("file", data, filename="card.png", content_type=content_type)
        verified = aiohttp.TCPConnector(ssl=ssl.create_default_context(cafile=ca_bundle))
        async with (
            aiohttp.ClientSession(connector=verified) as session,
            session.post(url, data=form) as response,
        ):
            return response.status

    return asyncio.run(post())


def test_an_upload_becomes_a_thumbnail_served_by_the_site(cloud: RunningCloud, api: str) -> None:
    image = _png()
    ticket = call(f"{api}/v1/uploads", "POST", {"content_type": "image/png", "size_bytes": len(image)})
    assert ticket.status == 201
    upload = ticket.json()
    post = upload["presigned_post"]
    assert post["fields"]["key"] == f"uploads/{upload['id']}"

    assert post["url"].startswith("https://")
    assert _browser_post(post["url"], post["fields"], image, "image/png", cloud.ca_bundle) in (200, 201, 204)

    # S3 -> thumbnails function (asynchronously): poll the upload until it is ready.
    deadline = time.monotonic() + 120
    state: dict[str, Any] = {}
    while time.monotonic() < deadline:
        state = call(f"{api}/v1/uploads/{upload['id']}").json()
        if state["status"] != "pending":
            break
        time.sleep(0.5)
    assert state["status"] == "ready", state
    thumbnail_path = urllib.parse.urlsplit(state["thumbnail_url"]).path
    assert thumbnail_path.startswith("/media/")
    thumbnail = call(f"{str(cloud.endpoints['site_url']).rstrip('/')}{thumbnail_path}")
    assert thumbnail.status == 200
    assert thumbnail.headers["content-type"] == "image/webp"
    assert thumbnail.body[:4] == b"RIFF"


def test_the_gateway_validates_before_the_function_runs(api: str) -> None:
    answer = call(f"{api}/v1/postcards", "POST", {"author": "", "extra": 1})

    assert 400 <= answer.status < 500
    assert answer.json()["error"]["message"] == "Invalid request body"
    assert answer.json()["error"]["request_id"] == answer.headers["x-amzn-requestid"]


def test_an_unknown_route_and_an_unknown_postcard(api: str) -> None:
    assert 400 <= call(f"{api}/v1/nothing").status < 500
    assert call(f"{api}/v1/postcards/{uuid.uuid4().hex}").status == 404


def test_the_same_api_by_execute_api_host_and_by_custom_domain(cloud: RunningCloud, api: str) -> None:
    gateway = str(cloud.endpoints["apigateway_url"])
    stage = cloud.endpoints["stage"]
    by_host = call(
        f"{gateway}/{stage}/v1/health",
        headers={"Host": f"{cloud.endpoints['rest_api_id']}.execute-api.localhost"},
    )
    domain = f"api.{cloud.endpoints['domain_name']}"
    by_domain = call(f"{gateway}/v1/health", headers={"Host": domain})

    assert by_host.status == 200
    assert by_domain.status == 200


def test_legacy_routes_reach_the_container_api(api: str) -> None:
    answer = call(f"{api}/legacy/stamps?limit=2")

    assert answer.status == 200
    assert len(answer.json()["items"]) == 2


def test_the_container_api_answers_the_site_directly(cloud: RunningCloud) -> None:
    answer = call(f"{cloud.endpoints['container_api_url']}/stamps?limit=12", ca_bundle=cloud.ca_bundle)

    assert answer.status == 200
    assert answer.json()["total"] >= len(answer.json()["items"]) > 0


def test_the_site_serves_its_pages_and_the_generated_config(cloud: RunningCloud) -> None:
    site = str(cloud.endpoints["site_url"]).rstrip("/")

    index = call(f"{site}/")
    config = call(f"{site}/config.json")

    assert index.status == 200
    assert index.headers["content-type"].startswith("text/html")
    assert config.status == 200
    assert set(config.json()) >= {"api_url", "container_api_url"}


def test_a_schedule_fired_now_runs_housekeeping(cloud: RunningCloud) -> None:
    # Given the schedule that targets the housekeeping function
    gateway = str(cloud.endpoints["apigateway_url"])
    listed = call(f"{gateway}/_local/schedules").json()["schedules"]
    housekeeping = next(s for s in listed if any("housekeeping" in t for t in s["targets"]))
    function = next(t for t in housekeeping["targets"] if "housekeeping" in t).split(":")[6]
    since_ms = int(time.time() * 1000) - 1000

    # When it is fired now
    fired = call(f"{gateway}/_local/schedules/{housekeeping['name']}/fire", "POST")

    # Then the firing is accepted (an asynchronous invoke, as EventBridge makes) and the function
    # really runs: its log group gets the run's summary line
    assert fired.status == 200
    assert fired.json()["fired"][0]["outcome"].startswith("accepted")
    summary = _housekeeping_summary(cloud, function, since_ms)
    assert {"removed_total", "postcards_today", "ran_at"} <= summary.keys()


def _housekeeping_summary(cloud: RunningCloud, function: str, since_ms: int) -> dict[str, Any]:
    """The summary the housekeeping run logged after ``since_ms``; fails when none came in time."""
    logs = cloud.client("logs")
    deadline = time.monotonic() + 60
    while True:
        pages = logs.get_paginator("filter_log_events").paginate(
            logGroupName=f"/aws/lambda/{function}", startTime=since_ms
        )
        for event in (event for page in pages for event in page["events"]):
            if event["message"].startswith("{"):
                line = json.loads(event["message"])
                if line.get("message") == "housekeeping done":
                    return dict(line["summary"])
        if time.monotonic() > deadline:
            raise AssertionError(f"housekeeping logged no summary within 60 s after {since_ms}")
        time.sleep(0.5)

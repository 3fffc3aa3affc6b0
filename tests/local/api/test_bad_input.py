"""Bad input through the local API Gateway over HTTP, not in process: each request is refused with a
clear 4xx in the API's one error shape, an answer the OpenAPI document declares, and stores nothing.

The requests are in ``bad_requests``. Below them: input that looks odd but is legitimate (it is
stored as sent, normalised, and read back the same), cursors cut from real ones, files that are not
images (refused by the thumbnails function, then by the API when a postcard names them), and a
direct ``aws lambda invoke`` with an event that is not API Gateway's.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import ssl
import struct
import subprocess
import sys
import time
import uuid
import zlib
from functools import cache
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import requests
import yaml

from tests.local.api import bad_requests
from tests.local.api.bad_requests import Bad
from tests.local.api.conftest import Api

pytestmark = pytest.mark.slow

OPENAPI = Path(__file__).resolve().parents[3] / "terraform" / "modules" / "api" / "openapi.yaml"
THUMBNAIL_WAIT_S = 120  # a cold start of the thumbnails function on a busy machine, with margin


@pytest.fixture(scope="module")
def http() -> requests.Session:
    return requests.Session()


@cache
def _documented_statuses(method: str, path: str) -> frozenset[int] | None:
    """The statuses the document declares for ``method path``; None where it has no such operation."""
    document = yaml.safe_load(OPENAPI.read_text())
    for template, operations in document["paths"].items():
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path) and method.lower() in operations:
            return frozenset(int(status) for status in operations[method.lower()]["responses"])
    return None


def assert_refused_in_the_api_error_shape(
    answer: requests.Response, method: str, target: str, allowed: frozenset[tuple[int, str]]
) -> None:
    assert 400 <= answer.status_code < 500, answer.text[:500]
    assert answer.headers["Content-Type"].startswith("application/json"), answer.headers
    body = answer.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) <= {"code", "message", "request_id", "details"}, error
    assert isinstance(error["message"], str), error
    assert error["message"], error
    assert error["request_id"] == answer.headers["x-amzn-RequestId"], error
    assert (answer.status_code, error["code"]) in allowed, (answer.status_code, error)
    documented = _documented_statuses(method, target.split("?", maxsplit=1)[0])
    if documented is not None:  # else no such operation: the gateway's documented 404
        assert answer.status_code in documented, (
            f"{answer.status_code} is not documented for {method} {target}"
        )


@pytest.mark.parametrize("bad", bad_requests.ALL, ids=lambda bad: bad.id)
def test_bad_input_is_refused_clearly_and_stores_nothing(api: Api, http: requests.Session, bad: Bad) -> None:
    before = api.stored()

    answer = http.request(bad.method, api.url + bad.target, data=bad.body, headers=bad.headers, timeout=120)

    assert_refused_in_the_api_error_shape(answer, bad.method, bad.target, bad.allowed)
    assert api.stored() == before


# --- odd but legitimate ------------------------------------------------------------------------

ODD_BUT_FINE = [
    ("a right-to-left mark in Hebrew", "\u200f\u05e9\u05dc\u05d5\u05dd", None),
    ("an Arabic letter mark", "\u061c\u0639\u0644\u064a", None),
    ("a combining accent", "Rene\u0301e", "Renée"),
    ("a family emoji (zero-width joiners)", "\U0001f468\u200d\U0001f469\u200d\U0001f467", None),
    ("SQL", "Robert'); DROP TABLE postcards;--", None),
    ("markup", "<script>alert(1)</script>", None),
    ("a template", "${jndi:ldap://x/a} {{7*7}} #{7*7}", None),
    ("a query operator", "$where: 1", None),
    ("a path", "../../etc/passwd", None),
]


@pytest.mark.parametrize(
    ("name", "author", "stored_as"), ODD_BUT_FINE, ids=[case[0] for case in ODD_BUT_FINE]
)
def test_odd_but_legitimate_text_is_stored_as_text(
    api: Api, http: requests.Session, name: str, author: str, stored_as: str | None
) -> None:
    # Given text that looks like an attack or an encoding trick, but is what someone may type
    message = f"{author}\r\nsecond line"

    # When it is sent as a postcard
    created = http.post(f"{api.url}/v1/postcards", json={"author": author, "message": message}, timeout=60)

    # Then it is stored normalised (NFC, LF line breaks), and read back exactly so, as JSON text
    assert created.status_code == 201, created.text
    expected = stored_as or author
    assert created.json()["author"] == expected
    assert created.json()["message"] == f"{expected}\nsecond line"
    fetched = http.get(f"{api.url}/v1/postcards/{created.json()['id']}", timeout=60)
    assert fetched.json() == created.json()


# --- cursors cut from real ones -----------------------------------------------------------------


@pytest.fixture(scope="module")
def real_cursor(api: Api, http: requests.Session) -> str:
    for number in range(3):  # a feed of at least three, read one at a time
        http.post(
            f"{api.url}/v1/postcards", json={"author": "cursor", "message": f"page {number}"}, timeout=60
        )
    cursor = http.get(f"{api.url}/v1/postcards?limit=1", timeout=60).json()["next_cursor"]
    assert cursor, "a one-card page of a longer feed has a next cursor"
    return str(cursor)


@pytest.mark.parametrize(
    "cut",
    [
        pytest.param(lambda c: c[:-3], id="truncated"),
        pytest.param(lambda c: c.split(".")[0], id="signature cut off"),
        pytest.param(lambda c: c[:5] + ("A" if c[5] != "A" else "B") + c[6:], id="one character changed"),
        pytest.param(lambda c: c.split(".")[1] + "." + c.split(".")[0], id="halves swapped"),
        pytest.param(lambda c: c + c, id="doubled"),
    ],
)
def test_a_cursor_cut_from_a_real_one_is_refused(
    api: Api, http: requests.Session, real_cursor: str, cut: Any
) -> None:
    target = f"/v1/postcards?limit=1&cursor={cut(real_cursor)}"

    answer = http.get(api.url + target, timeout=60)

    assert_refused_in_the_api_error_shape(answer, "GET", target, bad_requests.BAD_CURSOR)


def test_a_replayed_cursor_reads_the_same_page_again(
    api: Api, http: requests.Session, real_cursor: str
) -> None:
    # Cursors are positions, not one-time tokens: replaying one is harmless and answers alike.
    first = http.get(f"{api.url}/v1/postcards?limit=1&cursor={real_cursor}", timeout=60)
    again = http.get(f"{api.url}/v1/postcards?limit=1&cursor={real_cursor}", timeout=60)

    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()


# --- files that are not images -------------------------------------------------------------------


def _png(width: int, height: int, rows: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


TINY_PNG = _png(1, 1, b"\x00\x00")
NOT_IMAGES = [
    ("text", "image/png", b"this is not an image, just text"),
    ("HTML", "image/png", b"<!doctype html><script>alert(1)</script>"),
    ("SVG", "image/png", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
    ("a GIF", "image/png", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"),
    ("a PNG declared as JPEG", "image/jpeg", TINY_PNG),
    (
        "a truncated JPEG",
        "image/jpeg",
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xdb",
    ),
    # A decompression bomb: 30000 x 30000 pixels (900 megapixels) in a few hundred bytes.
    ("a decompression bomb", "image/png", _png(30_000, 30_000, b"\x00" * 30_001)),
]


def _post_form(url: str, fields: dict[str, str], data: bytes, content_type: str, ca_bundle: str) -> int:
    """The browser's multipart POST of a file to the presigned URL (HTTPS, verified with the local CA)."""
    verified = ssl.create_default_context(cafile=ca_bundle)

    async def post() -> int:
        form = aiohttp.FormData()
        for name, value in fields.items():
            form.add_field(name, value)
        form.add_field("file", data, filename="photo", content_type=content_type)
        async with aiohttp.ClientSession() as session, session.post(url, data=form, ssl=verified) as response:
            return response.status

    return asyncio.run(post())


def _settled(api: Api, http: requests.Session, upload_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + THUMBNAIL_WAIT_S
    while time.monotonic() < deadline:
        state: dict[str, Any] = http.get(f"{api.url}/v1/uploads/{upload_id}", timeout=60).json()
        if state["status"] != "pending":
            return state
        time.sleep(0.5)
    raise AssertionError(f"upload {upload_id} still pending after {THUMBNAIL_WAIT_S} s")


@pytest.mark.parametrize(("name", "declared", "data"), NOT_IMAGES, ids=[case[0] for case in NOT_IMAGES])
def test_a_file_that_is_not_an_allowed_image_fails_and_no_postcard_can_use_it(
    api: Api, http: requests.Session, name: str, declared: str, data: bytes
) -> None:
    # Given an upload slot, and a file that is not what it claims sent to it
    slot = http.post(
        f"{api.url}/v1/uploads", json={"content_type": declared, "size_bytes": len(data)}, timeout=60
    )
    assert slot.status_code == 201, slot.text
    upload = slot.json()
    post = upload["presigned_post"]
    assert _post_form(post["url"], post["fields"], data, declared, api.cloud.ca_bundle) in (200, 201, 204)

    # When the thumbnails function has looked at it
    state = _settled(api, http, upload["id"])

    # Then the upload failed, with a reason, and made no thumbnail
    assert state["status"] == "failed", state
    assert state["failure_reason"], state
    assert state["thumbnail_url"] is None
    # and a postcard naming it is refused, storing nothing.
    before = api.stored()
    target = "/v1/postcards"
    answer = http.post(
        api.url + target, json={**bad_requests.A_VALID_CARD, "upload_id": upload["id"]}, timeout=60
    )
    assert_refused_in_the_api_error_shape(answer, "POST", target, frozenset({(422, "upload_failed")}))
    assert api.stored() == before


def test_an_upload_already_on_a_postcard_cannot_go_on_another(api: Api, http: requests.Session) -> None:
    slot = http.post(
        f"{api.url}/v1/uploads", json={"content_type": "image/png", "size_bytes": len(TINY_PNG)}, timeout=60
    )
    upload_id = slot.json()["id"]
    first = http.post(
        f"{api.url}/v1/postcards", json={**bad_requests.A_VALID_CARD, "upload_id": upload_id}, timeout=60
    )
    assert first.status_code == 201, first.text
    before = api.stored()

    second = http.post(
        f"{api.url}/v1/postcards",
        json={"author": "Eve", "message": "mine", "upload_id": upload_id},
        timeout=60,
    )

    assert_refused_in_the_api_error_shape(
        second, "POST", "/v1/postcards", frozenset({(409, "upload_already_claimed")})
    )
    assert api.stored() == before


def test_a_postcard_naming_no_upload_is_refused(api: Api, http: requests.Session) -> None:
    before = api.stored()

    answer = http.post(
        f"{api.url}/v1/postcards",
        json={**bad_requests.A_VALID_CARD, "upload_id": uuid.uuid4().hex},
        timeout=60,
    )

    assert_refused_in_the_api_error_shape(
        answer, "POST", "/v1/postcards", frozenset({(422, "upload_not_found")})
    )
    assert api.stored() == before


# --- not through the gateway: the README's own `aws lambda invoke` -------------------------------


def test_the_readme_try_it_invoke_gets_a_clear_error_not_a_traceback(api: Api, tmp_path: Path) -> None:
    # Given the README's command: no --payload, so the event is {}
    out = tmp_path / "out.json"
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CA_BUNDLE": api.cloud.ca_bundle,  # the local CA, as the README says
    }
    command = [
        sys.executable,
        "-m",
        "awscli",
        "--endpoint-url",
        api.cloud.aws_endpoint_url,
        "lambda",
        "invoke",
    ]

    # When it is run against the local cloud
    ran = subprocess.run(
        [*command, "--function-name", api.function_name, str(out)],
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )

    # Then the function answered (no function error) with a 400 that says what it expects
    assert ran.returncode == 0, ran.stderr
    assert "FunctionError" not in json.loads(ran.stdout), ran.stdout
    response = json.loads(out.read_text())
    assert response["statusCode"] == 400
    error = json.loads(response["body"])["error"]
    assert error["code"] == "not_an_api_gateway_event"
    assert "API Gateway REST API proxy events" in error["message"]
    assert "Traceback" not in out.read_text()
    assert "KeyError" not in out.read_text()

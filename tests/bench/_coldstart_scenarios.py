"""What each function's first invocation gets: the deployed stack on a moto server, the environment
Terraform sets (terraform/stack.tf), and a representative event, fresh for every cold start."""

from __future__ import annotations

import io
import json
import os
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from PIL import Image

from tests.bench._results import REPO

# The unit tests' moto stack is the one description of the tables in tests/ (docs/architecture.md,
# "Data"), and their S3 notification the one of that event; the thumbnails helpers import functions/
# (common.clock), so it goes on the path, as pytest's pythonpath setting puts it.
if str(REPO / "functions") not in sys.path:
    sys.path.insert(0, str(REPO / "functions"))
from tests.unit.stack import REGION, Stack
from tests.unit.thumbnails.helpers import s3_event

FEED_SIZE = 30  # more than one page (20), so the first call reads a full page and a cursor
ORPHAN_AFTER_HOURS = 24


def timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")  # common.clock's format


def seed_feed(stack: Stack) -> None:
    ddb = boto3.client("dynamodb", region_name=REGION)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for n in range(FEED_SIZE):
        card_id = uuid.UUID(int=n + 1).hex
        created_at = timestamp(start + timedelta(minutes=n))
        item = {
            "id": card_id,
            "author": f"Author {n}",
            "message": f"Greetings from the benchmark, card {n}.",
            "created_at": created_at,
            "feed": "all",
            "feed_key": f"{created_at}#{card_id}",
        }
        ddb.put_item(TableName=stack.postcards_table, Item={k: {"S": v} for k, v in item.items()})


def environment(function: str, stack: Stack) -> dict[str, str]:
    """Variables Terraform sets on the function (terraform/stack.tf)."""
    common = {
        "UPLOADS_TABLE": stack.uploads_table,
        "SERVICE_VERSION": "bench",
        "POWERTOOLS_SERVICE_NAME": "postcards",
        "POWERTOOLS_METRICS_NAMESPACE": "postcards",
        "POWERTOOLS_LOG_LEVEL": "INFO",
    }
    own = {
        "postcards": {
            "POSTCARDS_TABLE": stack.postcards_table,
            "IDEMPOTENCY_TABLE": stack.idempotency_table,
            "MEDIA_BUCKET": stack.media_bucket,
            "MEDIA_BASE_URL": stack.media_base_url,
            "SITE_ORIGIN": stack.site_origin,
            "CURSOR_SIGNING_KEY_PARAMETER": stack.cursor_signing_key_parameter,
            "UPLOAD_URL_TTL_SECONDS": "300",
        },
        "thumbnails": {"MEDIA_BUCKET": stack.media_bucket},
        "housekeeping": {
            "POSTCARDS_TABLE": stack.postcards_table,
            "MEDIA_BUCKET": stack.media_bucket,
            "ORPHAN_AFTER_HOURS": str(ORPHAN_AFTER_HOURS),
        },
    }
    return common | own[function]


MEMORY_MB = {"postcards": 512, "thumbnails": 1024, "housekeeping": 256}  # terraform/stack.tf defaults


def api_event(method: str, path: str, origin: str) -> dict[str, Any]:
    """An API Gateway REST proxy (v1) event as the /v1/{proxy+} resource of stage "live" sends it."""
    request_id = str(uuid.uuid4())
    headers = {
        "Accept": "application/json",
        "Host": "abc123.execute-api.us-east-1.amazonaws.com",
        "Origin": origin,
        "User-Agent": "Mozilla/5.0 (bench)",
        "X-Amzn-Trace-Id": "Root=1-00000000-000000000000000000000000",
        "X-Forwarded-For": "203.0.113.7",
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": "https",
    }
    return {
        "resource": "/v1/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"proxy": path.removeprefix("/v1/")},
        "stageVariables": None,
        "requestContext": {
            "resourceId": "abc123",
            "resourcePath": "/v1/{proxy+}",
            "httpMethod": method,
            "extendedRequestId": request_id,
            "requestTime": datetime.now(UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "path": f"/live{path}",
            "accountId": "123456789012",
            "protocol": "HTTP/1.1",
            "stage": "live",
            "domainPrefix": "abc123",
            "requestTimeEpoch": int(datetime.now(UTC).timestamp() * 1000),
            "requestId": request_id,
            "identity": {"sourceIp": "203.0.113.7", "userAgent": "Mozilla/5.0 (bench)"},
            "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
            "apiId": "abc123",
        },
        "body": None,
        "isBase64Encoded": False,
    }


def scheduled_event() -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/postcards-bench-housekeeping"],
        "detail": {},
    }


def photo_jpeg() -> bytes:
    """A 1600x1200 camera-sized JPEG with detail (noise), so decoding and resizing do real work."""
    image = Image.effect_noise((1600, 1200), 64).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def put_upload(stack: Stack, status: str, created_at: datetime, data: bytes | None, reason: str = "") -> str:
    """An upload item (and its object, if data is given) as the postcards API and thumbnails leave them."""
    upload_id = uuid.uuid4().hex
    item = {
        "id": {"S": upload_id},
        "status": {"S": status},
        "content_type": {"S": "image/jpeg"},
        "size_bytes": {"N": str(len(data or b""))},
        "created_at": {"S": timestamp(created_at)},
    }
    if reason:
        item["reason"] = {"S": reason}
    boto3.client("dynamodb", region_name=REGION).put_item(TableName=stack.uploads_table, Item=item)
    if data is not None:
        boto3.client("s3", region_name=REGION).put_object(
            Bucket=stack.media_bucket, Key=f"uploads/{upload_id}", Body=data, ContentType="image/jpeg"
        )
    return upload_id


@dataclass(frozen=True)
class Scenario:
    """A function's first invocation: the environment and a fresh event (with its data) per call."""

    function: str
    next_event: Callable[[], dict[str, Any]]
    check: Callable[[Any], str | None]  # None when the response is what the event should produce


def scenarios(stack: Stack) -> dict[str, Scenario]:
    photo = photo_jpeg()

    def feed_page() -> dict[str, Any]:
        return api_event("GET", "/v1/postcards", stack.site_origin)

    def new_upload() -> dict[str, Any]:
        upload_id = put_upload(stack, "pending", datetime.now(UTC), photo)
        return s3_event(stack.media_bucket, f"uploads/{upload_id}", len(photo))

    def expired_uploads() -> dict[str, Any]:
        # Each run finds the same work: one failed upload and one orphan, both past their time.
        old = datetime.now(UTC) - timedelta(hours=ORPHAN_AFTER_HOURS + 1)
        put_upload(stack, "failed", old, None, reason="not an image")
        put_upload(stack, "pending", old, photo)
        return scheduled_event()

    return {
        "postcards": Scenario("postcards", feed_page, _check_feed_page),
        "thumbnails": Scenario("thumbnails", new_upload, _check_thumbnail),
        "housekeeping": Scenario("housekeeping", expired_uploads, _check_sweep),
    }


def _check_feed_page(response: Any) -> str | None:
    if not isinstance(response, dict) or response.get("statusCode") != 200:
        return f"expected a 200 response, got {str(response)[:300]}"
    body = json.loads(response["body"])
    if len(body.get("items", ())) != 20:
        return f"expected a page of 20 postcards, got {str(body)[:300]}"
    return None


def _check_thumbnail(response: Any) -> str | None:
    outcomes = response.get("outcomes", {}) if isinstance(response, dict) else {}
    return None if outcomes.get("created") == 1 else f"expected one thumbnail created, got {response!r}"


def _check_sweep(response: Any) -> str | None:
    removed = response.get("removed_total") if isinstance(response, dict) else None
    return None if removed == 2 else f"expected the 2 expired uploads removed, got {response!r}"


def check_floor(response: Any) -> str | None:
    return None if response == {"statusCode": 200, "count": 21} else f"unexpected floor response {response!r}"


def lambda_environment(function: str, handler: str, task_root: str, runtime_dir: str) -> dict[str, str]:
    """What the Lambda service sets in every execution environment of a python3.13 function."""
    name = f"postcards-bench-{function}"
    trace = f"Root=1-{os.urandom(4).hex()}-{os.urandom(12).hex()};Parent={os.urandom(8).hex()};Sampled=1"
    return {
        "AWS_LAMBDA_FUNCTION_NAME": name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(MEMORY_MB[function]),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "LAMBDA_TASK_ROOT": task_root,
        "LAMBDA_RUNTIME_DIR": runtime_dir,
        "_HANDLER": handler,
        "_X_AMZN_TRACE_ID": trace,
        "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        "TZ": ":UTC",
        "LANG": "en_US.UTF-8",
        "PATH": "/usr/local/bin:/usr/bin:/bin",
    }

"""S3 event notifications to Lambda, delivered by the local cloud instead of moto.

moto already knows every way an object is created (PutObject, the browser's presigned POST,
CompleteMultipartUpload, CopyObject), matches the bucket's notification configuration (events,
prefix and suffix filters) and builds the event; but it then calls the function in Docker. This
module runs inside the control-plane process and replaces the two moto hooks involved: the event gets
every field S3 sends (user identity, request parameters, response elements, sequencer, version id),
and delivery is an asynchronous ``Invoke`` (``X-Amz-Invocation-Type: Event``) through the edge, as S3
does it: the executor queues, runs and retries it like any other async event.

https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
"""

from __future__ import annotations

import json
import logging
import secrets
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, quote_plus

log = logging.getLogger("local.services.s3.moto_patches")

# One sender thread pool per control-plane process: S3 requests return at once, as on AWS.
_senders = ThreadPoolExecutor(max_workers=4, thread_name_prefix="lambda-event")
_edge: dict[str, str] = {"url": ""}  # set by install()


def s3_event(event_name: str, bucket: Any, key: Any, notification_id: str) -> dict[str, Any]:
    """The S3 notification for ``key`` (a moto FakeKey) in ``bucket`` (a moto FakeBucket)."""
    name = event_name.removeprefix("s3:")
    obj: dict[str, Any] = {
        # S3 sends the key form-encoded, slashes kept: "in/red flower.jpg" -> "in/red+flower.jpg".
        "key": quote_plus(key.name, safe="/"),
        "size": key.size,
        "eTag": key.etag.replace('"', ""),
        # Orders events for the same key; S3 documents it only as a hex string that grows.
        "sequencer": f"{time.time_ns():016X}",
    }
    version_id = getattr(key, "version_id", None)
    if version_id and version_id != "null":
        obj["versionId"] = version_id
    owner = {"principalId": getattr(bucket, "account_id", "") or "local"}
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": bucket.region_name,
                "eventTime": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
                "eventName": name,
                "userIdentity": owner,
                "requestParameters": {"sourceIPAddress": "127.0.0.1"},
                "responseElements": {
                    "x-amz-request-id": secrets.token_hex(8).upper(),
                    "x-amz-id-2": secrets.token_urlsafe(48),
                },
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": notification_id,
                    "bucket": {"name": bucket.name, "ownerIdentity": owner, "arn": bucket.arn},
                    "object": obj,
                },
            }
        ]
    }


def invoke_async(function_arn: str, event: Any) -> None:
    """Queue an ``Event`` invocation of ``function_arn`` (qualified or not) through the edge."""
    _senders.submit(_post_event, function_arn, json.dumps(event).encode())


def _post_event(function_arn: str, body: bytes) -> None:
    url = f"{_edge['url']}/2015-03-31/functions/{quote(function_arn, safe='')}/invocations"
    if not url.startswith("http"):
        raise ValueError(f"not an http URL: {url}")
    request = urllib.request.Request(  # noqa: S310 - http(s) only, checked above
        url,
        data=body,
        method="POST",
        headers={"X-Amz-Invocation-Type": "Event", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - checked above
            response.read()
    except (urllib.error.URLError, OSError) as error:
        # S3 gives no feedback to the uploader either; the event is lost, so say so loudly.
        print(f"s3 notification to {function_arn} not delivered: {error}", file=sys.stderr, flush=True)


def _invoke_from_notification(account_id: str, event_body: Any, fn_arn: str, region_name: str) -> None:
    invoke_async(fn_arn, event_body)


def install(edge_url: str) -> None:
    """Patch moto (in this process) so that S3 notifications reach Lambda through the edge."""
    _edge["url"] = edge_url.rstrip("/")
    from moto.s3 import notifications

    notifications._get_s3_event = s3_event
    notifications._invoke_awslambda = _invoke_from_notification

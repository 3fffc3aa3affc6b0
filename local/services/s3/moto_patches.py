"""S3 in moto (5.2): event notifications to Lambda delivered by the local cloud, model fixes, tag limits.

Runs inside the control-plane process; ``local.controlplane.patches`` calls ``install()`` before it
serves (after Lambda's patches, whose ``invoke_async`` delivers the events).

- Notifications: moto already knows every way an object is created (PutObject, the browser's
  presigned POST, CompleteMultipartUpload, CopyObject), matches the bucket's notification
  configuration (events, prefix and suffix filters) and builds the event; but it then calls the
  function in Docker. The two moto hooks involved are replaced: the event gets every field S3 sends
  (user identity, request parameters, response elements, sequencer, version id), and delivery is an
  asynchronous ``Invoke`` (``X-Amz-Invocation-Type: Event``) through the edge, as S3 does it: the
  executor queues, runs and retries it like any other async event.
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
- Deleting the last versions of a key that also has a delete marker (what ``force_destroy`` does to
  a versioned bucket) raises AttributeError (``FakeDeleteMarker`` has no ``dispose``), so
  DeleteObjects fails with a 500 forever; a delete marker holds no data, so disposing of it is a
  no-op.
- Tag limits, as S3 refuses them (BadRequest, 400): more than 10 tags on an object, also in
  PutObject's (and CreateMultipartUpload's, CopyObject's) ``x-amz-tagging`` header ("Object tags
  cannot be greater than 10"; moto checks PutObjectTagging only, and only after PutObject has stored
  the object), and more than 50 on a bucket ("Bucket tag count cannot be greater than 50"; moto takes
  any number). https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-tagging.html,
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/tagging.html; the codes and messages as
  reported from S3 (https://github.com/boto/boto3/issues/1213) and checked against it by S3
  reimplementations (versity/versitygw's s3err, scality/cloudserver's bucketPutTagging).
"""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote_plus

from local.services.lambda_.moto_patches import invoke_async


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


def _invoke_from_notification(account_id: str, event_body: Any, fn_arn: str, region_name: str) -> None:
    invoke_async(fn_arn, event_body)


def install() -> None:
    """Patch moto's S3 (in this process): notifications reach Lambda through the edge."""
    from moto.s3 import notifications

    notifications._get_s3_event = s3_event
    notifications._invoke_awslambda = _invoke_from_notification
    _delete_markers_dispose_of_nothing()
    _tag_limits()


OBJECT_TAG_LIMIT = 10
BUCKET_TAG_LIMIT = 50


def _tag_limits() -> None:
    from moto.s3.exceptions import BadRequest
    from moto.s3.models import S3Backend
    from moto.s3.responses import S3Response

    tagging_from_headers = S3Response._tagging_from_headers
    put_bucket_tagging = S3Backend.put_bucket_tagging

    def object_tags_from_headers(self: Any, headers: dict[str, Any]) -> dict[str, str]:
        # Read before the object is stored (PutObject, CreateMultipartUpload): refused, nothing kept.
        tags = tagging_from_headers(self, headers)
        if len(tags) > OBJECT_TAG_LIMIT:
            raise BadRequest(f"Object tags cannot be greater than {OBJECT_TAG_LIMIT}")
        return tags

    def bucket_tagging(self: Any, bucket_name: str, tags: dict[str, str]) -> None:
        if len(tags) > BUCKET_TAG_LIMIT:
            raise BadRequest(f"Bucket tag count cannot be greater than {BUCKET_TAG_LIMIT}")
        put_bucket_tagging(self, bucket_name, tags)

    S3Response._tagging_from_headers = object_tags_from_headers  # type: ignore[method-assign]
    S3Backend.put_bucket_tagging = bucket_tagging  # type: ignore[method-assign]


def _delete_markers_dispose_of_nothing() -> None:
    from moto.s3.models import FakeDeleteMarker

    if hasattr(FakeDeleteMarker, "dispose"):  # a later moto has it
        return

    def dispose(self: Any, garbage: bool = False) -> None:
        """A delete marker owns no buffer: nothing to release."""

    FakeDeleteMarker.dispose = dispose  # type: ignore[attr-defined]

"""S3 in moto (5.2): event notifications to Lambda delivered by the local cloud, browser uploads held
to their POST policy, S3's tag limits, and one model fix.

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
- Trace context: S3 passes the tracing header of the request that created the object on to the
  Lambda functions it notifies, so the function's segments continue the caller's trace
  ("Amazon S3 can send the tracing headers to downstream event subscribers such as AWS Lambda":
  https://docs.aws.amazon.com/xray/latest/devguide/xray-services-s3.html). moto builds and sends the
  notification inside the request's own thread, so the request's ``X-Amzn-Trace-Id`` is kept in a
  context variable while moto handles it and goes with the Invoke. A request without one (a browser's
  presigned POST) starts a new trace at Lambda, as on AWS.
- Browser uploads (POST with a form): moto stores whatever form it is sent. The form is checked as
  S3 checks it first (``local.services.s3.post_policy``: fields, signature, expiration, conditions,
  size), and a refused one gets S3's XML error document and status; nothing is stored. Then the
  signer's role must allow ``s3:PutObject`` on the key, as S3 asks IAM (``local.services.iam``).
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
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote_plus
from xml.sax.saxutils import escape

from local.services.iam.evaluation import Request
from local.services.iam.moto_patches import Denied, authorize, credentials_of
from local.services.lambda_.moto_patches import invoke_async
from local.services.s3 import post_policy

# The X-Amzn-Trace-Id of the S3 request this thread is handling (None: it had none).
_request_trace_header: ContextVar[str | None] = ContextVar("s3_request_trace_header", default=None)


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
    invoke_async(fn_arn, event_body, _request_trace_header.get())


def install() -> None:
    """Patch moto's S3 (in this process): notifications reach Lambda through the edge."""
    from moto.s3 import notifications

    notifications._get_s3_event = s3_event
    notifications._invoke_awslambda = _invoke_from_notification
    _keep_the_requests_trace_header()
    _post_uploads_obey_their_policy()
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


def _keep_the_requests_trace_header() -> None:
    """Every S3 request moto handles sets (or clears) the trace header its notifications carry."""
    from moto.s3.responses import S3Response

    setup_class = S3Response.setup_class

    def setup_with_trace_header(self: Any, request: Any, *arguments: Any, **options: Any) -> Any:
        headers = getattr(request, "headers", None) or {}
        _request_trace_header.set(headers.get("X-Amzn-Trace-Id") if hasattr(headers, "get") else None)
        return setup_class(self, request, *arguments, **options)

    S3Response.setup_class = setup_with_trace_header  # type: ignore[method-assign]


def _post_uploads_obey_their_policy() -> None:
    from moto.s3.responses import S3Response

    original = S3Response._bucket_response_post

    def bucket_response_post(self: Any, request: Any, bucket_name: str) -> Any:
        self.path = self._get_path(request)
        if self.is_delete_keys() or not request.headers.get("Content-Length"):
            return original(self, request, bucket_name)
        fields = {name.lower(): value for name, value in self.form_data.items() if name.lower() != "file"}
        body = self.body if isinstance(self.body, bytes) else str(self.body or "").encode()
        try:
            signer = post_policy.check(
                fields,
                bucket=bucket_name,
                size=len(body),
                now=datetime.now(UTC),
                credentials_of=credentials_of,
            )
            # The form is the signer's PutObject: its role must allow it on the key, as S3 asks IAM.
            authorize(signer, [Request("s3:PutObject", f"arn:aws:s3:::{bucket_name}/{fields['key']}")])
        except post_policy.Refusal as refusal:
            return refusal.status, {"Content-Type": "application/xml"}, error_document(refusal, bucket_name)
        except Denied as denied:
            denial = post_policy.Refusal(403, "AccessDenied", denied.message)
            return denial.status, {"Content-Type": "application/xml"}, error_document(denial, bucket_name)
        return original(self, request, bucket_name)

    S3Response._bucket_response_post = bucket_response_post  # type: ignore[method-assign]


def error_document(refusal: post_policy.Refusal, resource: str) -> str:
    """S3's error body: https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#RESTErrorResponses"""
    details = "".join(f"<{name}>{escape(str(value))}</{name}>" for name, value in refusal.details.items())
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{refusal.code}</Code><Message>{escape(refusal.message)}</Message>{details}"
        f"<Resource>/{escape(resource)}</Resource><RequestId>{secrets.token_hex(8).upper()}</RequestId>"
        f"<HostId>{secrets.token_urlsafe(48)}</HostId></Error>"
    )


def _delete_markers_dispose_of_nothing() -> None:
    from moto.s3.models import FakeDeleteMarker

    if hasattr(FakeDeleteMarker, "dispose"):  # a later moto has it
        return

    def dispose(self: Any, garbage: bool = False) -> None:
        """A delete marker owns no buffer: nothing to release."""

    FakeDeleteMarker.dispose = dispose  # type: ignore[attr-defined]

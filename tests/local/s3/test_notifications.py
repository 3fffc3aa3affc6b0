"""S3 event notifications reach Lambda through the executor, for every way an object is created."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import requests

from tests.local.cloud_support import RunningCloud

# Stores every record it receives under seen/<eventName>/<key>, so the test can read the event back,
# after the trace header its invocation got under trace/<eventName>/<key>.
RECORDER = """
import json, os, urllib.parse
import boto3

s3 = boto3.client("s3")


def handler(event, context):
    for record in event["Records"]:
        key = urllib.parse.unquote_plus(record["s3"]["object"]["key"])
        s3.put_object(  # the trace the invocation continues (the runtime sets it from Lambda's header)
            Bucket=record["s3"]["bucket"]["name"],
            Key="trace/" + record["eventName"] + "/" + key,
            Body=os.environ.get("_X_AMZN_TRACE_ID", "").encode(),
        )
        s3.put_object(
            Bucket=record["s3"]["bucket"]["name"],
            Key="seen/" + record["eventName"] + "/" + key,
            Body=json.dumps(record).encode(),
        )
"""


@pytest.fixture
def notified_bucket(cloud: RunningCloud, deploy: Callable[..., str]) -> str:
    """A bucket whose ObjectCreated events under in/ invoke the recorder function."""
    name = deploy(cloud, files={"recorder.py": RECORDER}, handler="recorder.handler")
    arn = cloud.client("lambda").get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    bucket = f"notified-{uuid.uuid4().hex[:12]}"
    s3 = cloud.client("s3")
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [
                {
                    "Id": "to-recorder",
                    "LambdaFunctionArn": arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "in/"}]}},
                }
            ]
        },
    )
    return bucket


def _seen(
    cloud: RunningCloud, bucket: str, event_name: str, key: str, timeout_s: float = 30
) -> dict[str, Any]:
    s3 = cloud.client("s3")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            body = s3.get_object(Bucket=bucket, Key=f"seen/{event_name}/{key}")["Body"].read()
            return dict(json.loads(body))
        except s3.exceptions.NoSuchKey:
            time.sleep(0.2)
    raise AssertionError(f"no {event_name} notification for {key} within {timeout_s} s")


def test_put_object_sends_a_faithful_s3_event(cloud: RunningCloud, notified_bucket: str) -> None:
    # When an object is put under the notified prefix
    cloud.client("s3").put_object(Bucket=notified_bucket, Key="in/red flower.jpg", Body=b"12345")

    # Then the function receives S3's record for it
    record = _seen(cloud, notified_bucket, "ObjectCreated:Put", "in/red flower.jpg")
    assert record["eventSource"] == "aws:s3"
    assert record["eventVersion"] == "2.1"
    assert record["awsRegion"] == "us-east-1"
    assert record["s3"]["configurationId"] == "to-recorder"
    assert record["s3"]["bucket"]["name"] == notified_bucket
    assert record["s3"]["bucket"]["arn"] == f"arn:aws:s3:::{notified_bucket}"
    assert record["s3"]["object"]["key"] == "in/red+flower.jpg"
    assert record["s3"]["object"]["size"] == 5
    assert len(record["s3"]["object"]["eTag"]) == 32
    assert record["s3"]["object"]["sequencer"]
    assert "principalId" in record["userIdentity"]
    assert "sourceIPAddress" in record["requestParameters"]
    assert "x-amz-request-id" in record["responseElements"]


def test_the_trace_header_of_the_put_goes_on_to_the_notified_function(
    cloud: RunningCloud, notified_bucket: str
) -> None:
    # Given a PutObject carrying a sampled trace header, as the X-Ray SDK sends it
    root = f"1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}"
    s3 = cloud.client("s3")

    def add_trace_header(request: Any, **_: Any) -> None:
        request.headers["X-Amzn-Trace-Id"] = f"Root={root};Parent=53995c3f42cd8ad8;Sampled=1"

    s3.meta.events.register("before-sign.s3.PutObject", add_trace_header)

    # When it creates an object S3 notifies a function of
    s3.put_object(Bucket=notified_bucket, Key="in/traced.txt", Body=b"x")

    # Then the function's invocation continues that trace, as S3 passes the header on to Lambda
    _seen(cloud, notified_bucket, "ObjectCreated:Put", "in/traced.txt")
    header = cloud.client("s3").get_object(
        Bucket=notified_bucket, Key="trace/ObjectCreated:Put/in/traced.txt"
    )
    assert f"Root={root}" in header["Body"].read().decode()


def test_a_browser_post_upload_sends_an_object_created_post_event(
    cloud: RunningCloud, notified_bucket: str
) -> None:
    # Given a presigned POST, as the postcards function hands to browsers
    post = cloud.client("s3").generate_presigned_post(Bucket=notified_bucket, Key="in/upload.png")

    # When the browser posts the form
    answer = requests.post(
        post["url"],
        data=post["fields"],
        files={"file": ("upload.png", b"\x89PNG data")},
        timeout=30,
        verify=cloud.ca_bundle,
    )

    # Then the upload succeeds and the function hears of it
    assert answer.status_code in (200, 204)
    record = _seen(cloud, notified_bucket, "ObjectCreated:Post", "in/upload.png")
    assert record["s3"]["object"]["size"] == len(b"\x89PNG data")


def test_copy_and_multipart_uploads_send_their_events(cloud: RunningCloud, notified_bucket: str) -> None:
    s3 = cloud.client("s3")
    s3.put_object(Bucket=notified_bucket, Key="source.txt", Body=b"not under in/")
    s3.copy_object(
        Bucket=notified_bucket, Key="in/copy.txt", CopySource={"Bucket": notified_bucket, "Key": "source.txt"}
    )
    upload = s3.create_multipart_upload(Bucket=notified_bucket, Key="in/big.bin")
    part = s3.upload_part(
        Bucket=notified_bucket, Key="in/big.bin", UploadId=upload["UploadId"], PartNumber=1, Body=b"x" * 1024
    )
    s3.complete_multipart_upload(
        Bucket=notified_bucket,
        Key="in/big.bin",
        UploadId=upload["UploadId"],
        MultipartUpload={"Parts": [{"ETag": part["ETag"], "PartNumber": 1}]},
    )

    assert _seen(cloud, notified_bucket, "ObjectCreated:Copy", "in/copy.txt")["s3"]["object"]["size"] == 13
    multipart = _seen(cloud, notified_bucket, "ObjectCreated:CompleteMultipartUpload", "in/big.bin")
    assert multipart["s3"]["object"]["size"] == 1024


def test_objects_outside_the_filter_send_nothing(cloud: RunningCloud, notified_bucket: str) -> None:
    s3 = cloud.client("s3")
    s3.put_object(Bucket=notified_bucket, Key="elsewhere.txt", Body=b"x")
    s3.put_object(Bucket=notified_bucket, Key="in/marker.txt", Body=b"x")

    # The marker's notification proves delivery ran; the other key, created first, had none.
    _seen(cloud, notified_bucket, "ObjectCreated:Put", "in/marker.txt")
    listed = s3.list_objects_v2(Bucket=notified_bucket, Prefix="seen/")["Contents"]
    assert [o["Key"] for o in listed] == ["seen/ObjectCreated:Put/in/marker.txt"]

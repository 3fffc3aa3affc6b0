"""S3 in the control plane refuses more than 10 object tags (PutObjectTagging and PutObject's
x-amz-tagging header) and more than 50 bucket tags, with S3's code and message, keeping nothing."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from botocore.exceptions import ClientError

from tests.local.controlplane_support import ControlPlane, running_controlplane


@pytest.fixture(scope="module")
def plane() -> Iterator[ControlPlane]:
    with running_controlplane() as running:
        yield running


def _tags(count: int) -> list[dict[str, str]]:
    return [{"Key": f"k{i}", "Value": f"v{i}"} for i in range(count)]


def _refusal(raised: pytest.ExceptionInfo[ClientError]) -> tuple[int, str, str]:
    response = raised.value.response
    return (
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Code"],
        response["Error"]["Message"],
    )


def test_put_object_with_eleven_tags_is_refused_and_stores_nothing(plane: ControlPlane) -> None:
    # Given a bucket
    s3 = plane.client("s3")
    s3.create_bucket(Bucket="header-tags")

    # When an object is put with 11 tags in its x-amz-tagging header
    header = urlencode({t["Key"]: t["Value"] for t in _tags(11)})
    with pytest.raises(ClientError) as raised:
        s3.put_object(Bucket="header-tags", Key="a.txt", Body=b"x", Tagging=header)

    # Then S3 refuses it as AWS does, and no object was created
    assert _refusal(raised) == (400, "BadRequest", "Object tags cannot be greater than 10")
    assert s3.list_objects_v2(Bucket="header-tags").get("KeyCount") == 0

    # while 10 tags are accepted
    s3.put_object(
        Bucket="header-tags", Key="b.txt", Body=b"x", Tagging=urlencode({f"k{i}": "v" for i in range(10)})
    )
    assert len(s3.get_object_tagging(Bucket="header-tags", Key="b.txt")["TagSet"]) == 10


def test_put_object_tagging_with_eleven_tags_is_refused(plane: ControlPlane) -> None:
    # Given an object with one tag
    s3 = plane.client("s3")
    s3.create_bucket(Bucket="object-tags")
    s3.put_object(Bucket="object-tags", Key="a.txt", Body=b"x", Tagging="keep=me")

    # When its tags are replaced by 11
    with pytest.raises(ClientError) as raised:
        s3.put_object_tagging(Bucket="object-tags", Key="a.txt", Tagging={"TagSet": _tags(11)})

    # Then S3 refuses and the object keeps its tag
    assert _refusal(raised) == (400, "BadRequest", "Object tags cannot be greater than 10")
    assert s3.get_object_tagging(Bucket="object-tags", Key="a.txt")["TagSet"] == [
        {"Key": "keep", "Value": "me"}
    ]


def test_bucket_tagging_above_fifty_is_refused(plane: ControlPlane) -> None:
    # Given a bucket
    s3 = plane.client("s3")
    s3.create_bucket(Bucket="bucket-tags")

    # When 51 tags are put on it
    with pytest.raises(ClientError) as raised:
        s3.put_bucket_tagging(Bucket="bucket-tags", Tagging={"TagSet": _tags(51)})

    # Then S3 refuses, and 50 are accepted
    assert _refusal(raised) == (400, "BadRequest", "Bucket tag count cannot be greater than 50")
    s3.put_bucket_tagging(Bucket="bucket-tags", Tagging={"TagSet": _tags(50)})
    assert len(s3.get_bucket_tagging(Bucket="bucket-tags")["TagSet"]) == 50

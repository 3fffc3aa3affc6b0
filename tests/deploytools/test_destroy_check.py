"""make destroy's pre-check: the buckets terraform destroy would stop at, found before it starts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from deploytools import destroy_check

REGION = "eu-west-1"
MEDIA = "module.data.module.media_bucket.aws_s3_bucket.this"
SITE = "module.site.module.bucket.aws_s3_bucket.this"


def state(*buckets: tuple[str, str, bool]) -> dict[str, Any]:
    """``terraform show -json`` of a state with these (address, bucket, force_destroy) in modules."""
    return {
        "format_version": "1.0",
        "values": {
            "root_module": {
                "resources": [],
                "child_modules": [
                    {
                        "address": address.rsplit(".aws_s3_bucket", 1)[0],
                        "resources": [
                            {
                                "address": address,
                                "mode": "managed",
                                "type": "aws_s3_bucket",
                                "values": {"bucket": bucket, "region": REGION, "force_destroy": force},
                            }
                        ],
                    }
                    for address, bucket, force in buckets
                ],
            }
        },
    }


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield boto3.client("s3", region_name=REGION)


def bucket(s3: Any, name: str, *, versioned: bool) -> str:
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    if versioned:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


def check(s3: Any, tf_state: dict[str, Any]) -> list[destroy_check.Blocker]:
    return destroy_check.blockers(tf_state, lambda region: s3)


def test_a_versioned_bucket_with_only_deleted_uploads_blocks_destroy(s3: Any) -> None:
    # Given an upload that was deleted: no current object, but its version and a delete marker remain.
    name = bucket(s3, "postcards-prod-media-123456789012", versioned=True)
    s3.put_object(Bucket=name, Key="uploads/a.jpg", Body=b"x")
    s3.delete_object(Bucket=name, Key="uploads/a.jpg")
    assert s3.list_objects_v2(Bucket=name)["KeyCount"] == 0

    found = check(s3, state((MEDIA, name, False)))

    assert [(b.bucket, b.versioned) for b in found] == [(name, True)]
    advice = found[0].advice()
    assert "force_destroy_media = true" in advice
    assert "delete markers" in advice
    assert f"list-object-versions --bucket {name}" in advice


def test_an_empty_versioned_bucket_does_not_block(s3: Any) -> None:
    name = bucket(s3, "postcards-prod-media-123456789012", versioned=True)

    assert check(s3, state((MEDIA, name, False))) == []


def test_a_force_destroyed_bucket_does_not_block_whatever_it_holds(s3: Any) -> None:
    media = bucket(s3, "postcards-prod-media-123456789012", versioned=True)
    site = bucket(s3, "postcards-prod-site-123456789012", versioned=True)
    for name in (media, site):
        s3.put_object(Bucket=name, Key="index.html", Body=b"x")

    assert check(s3, state((MEDIA, media, True), (SITE, site, True))) == []


def test_a_bucket_without_a_variable_of_its_own_is_told_to_be_emptied(s3: Any) -> None:
    name = bucket(s3, "other-bucket-123456789012", versioned=False)
    s3.put_object(Bucket=name, Key="k", Body=b"x")

    found = check(s3, state(("module.other.aws_s3_bucket.this", name, False)))

    assert [(b.bucket, b.versioned) for b in found] == [(name, False)]
    assert "force_destroy" not in found[0].advice()
    assert "empty it yourself" in found[0].advice()


def test_no_state_means_nothing_to_block(s3: Any) -> None:
    assert check(s3, {"format_version": "1.0"}) == []


def test_make_destroy_stops_with_the_reasons_before_terraform_runs(
    s3: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    name = bucket(s3, "postcards-prod-media-123456789012", versioned=True)
    s3.put_object(Bucket=name, Key="uploads/a.jpg", Body=b"x")
    monkeypatch.setattr(destroy_check, "_state", lambda _dir: state((MEDIA, name, False)))

    code = destroy_check.main(["--terraform-dir", "terraform"])

    assert code == 1
    err = capsys.readouterr().err
    assert "before deleting anything" in err
    assert name in err


def test_make_destroy_goes_on_when_nothing_blocks(s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    name = bucket(s3, "postcards-prod-media-123456789012", versioned=True)
    monkeypatch.setattr(destroy_check, "_state", lambda _dir: state((MEDIA, name, False)))

    assert destroy_check.main([]) == 0


def test_a_root_never_applied_reads_as_an_empty_state(tmp_path: Any) -> None:
    import shutil

    from tests.tools import require_tool

    require_tool(shutil.which("terraform"), "terraform is not installed on this machine")

    assert list(destroy_check.buckets(destroy_check._state(str(tmp_path)))) == []

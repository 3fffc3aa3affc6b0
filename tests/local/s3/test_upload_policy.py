"""The media bucket refuses a browser upload that breaks its presigned policy, as S3 does.

Every form here is posted through the local cloud's edge to the bucket the API's slots point at, and
S3's XML error document is read back: the shipped form passes, and each violation (size, type, key,
expiry, signature, missing or extra fields) is refused with S3's code and status, and nothing is
stored. https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html
"""

from __future__ import annotations

import base64
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from tests.local.cloud_support import RunningCloud

# checkov:skip=CKV_SECRET_2:a made-up key id S3 must not know, not a credential
UNKNOWN_KEY_ID = "AKIAUNKNOWNUNKNOWN00"
PHOTO = b"\x89PNG\r\n\x1a\n" + b"\x00" * 56  # 64 bytes: only the policy's size matters here


@dataclass(frozen=True)
class Refused:
    status: int
    code: str
    message: str
    document: ET.Element


@dataclass
class Slot:
    cloud: RunningCloud
    url: str
    fields: dict[str, str]
    size: int

    @property
    def key(self) -> str:
        return self.fields["key"]

    @property
    def bucket(self) -> str:
        [bucket] = [c["bucket"] for c in self.policy()["conditions"] if isinstance(c, dict) and "bucket" in c]
        return str(bucket)

    def policy(self) -> dict[str, Any]:
        policy: dict[str, Any] = json.loads(base64.b64decode(self.fields["policy"]))
        return policy

    def post(self, data: bytes, fields: dict[str, str] | None = None) -> requests.Response:
        """The page's POST: the form's fields in order, then the file."""
        return requests.post(
            self.url,
            data=self.fields if fields is None else fields,
            files={"file": ("photo", data, "image/png")},
            timeout=60,
            verify=self.cloud.ca_bundle,
        )

    def stored(self, key: str | None = None) -> bool:
        s3 = self.cloud.client("s3")
        answer = s3.list_objects_v2(Bucket=self.bucket, Prefix=key or self.key)
        return any(item["Key"] == (key or self.key) for item in answer.get("Contents", []))


def refused(answer: requests.Response) -> Refused:
    assert answer.headers["Content-Type"].startswith("application/xml"), answer.text
    document = ET.fromstring(answer.content)
    assert document.tag == "Error"
    return Refused(
        answer.status_code, document.findtext("Code", ""), document.findtext("Message", ""), document
    )


@pytest.fixture
def slot(cloud: RunningCloud) -> Slot:
    """A fresh upload slot from the API, as the site asks for one: a 64-byte PNG."""
    api_url = str(cloud.endpoints["api_url"]).rstrip("/")
    answer = requests.post(
        f"{api_url}/v1/uploads", json={"content_type": "image/png", "size_bytes": len(PHOTO)}, timeout=60
    )
    assert answer.status_code == 201, answer.text
    post = answer.json()["presigned_post"]
    return Slot(cloud, post["url"], dict(post["fields"]), len(PHOTO))


def test_the_shipped_form_passes_and_the_object_is_stored(slot: Slot) -> None:
    answer = slot.post(PHOTO)

    assert answer.status_code == 204, answer.text
    assert slot.stored()


def test_a_file_larger_than_declared_is_entity_too_large(slot: Slot) -> None:
    answer = refused(slot.post(PHOTO + b"!"))

    assert (answer.status, answer.code) == (400, "EntityTooLarge")
    assert answer.document.findtext("ProposedSize") == str(len(PHOTO) + 1)
    assert answer.document.findtext("MaxSizeAllowed") == str(len(PHOTO))
    assert not slot.stored()


def test_an_empty_file_is_entity_too_small(slot: Slot) -> None:
    answer = refused(slot.post(b""))

    assert (answer.status, answer.code) == (400, "EntityTooSmall")
    assert answer.document.findtext("MinSizeAllowed") == "1"
    assert not slot.stored()


def test_another_content_type_fails_the_policy_condition(slot: Slot) -> None:
    answer = refused(slot.post(PHOTO, {**slot.fields, "Content-Type": "text/html"}))

    assert (answer.status, answer.code) == (403, "AccessDenied")
    assert (
        answer.message
        == 'Invalid according to Policy: Policy Condition failed: ["eq", "$Content-Type", "image/png"]'
    )
    assert not slot.stored()


@pytest.mark.parametrize("key", ["uploads/someone-elses", "site/index.html"])
def test_another_key_fails_the_policy_condition(slot: Slot, key: str) -> None:
    answer = refused(slot.post(PHOTO, {**slot.fields, "key": key}))

    assert (answer.status, answer.code) == (403, "AccessDenied")
    assert answer.message.startswith('Invalid according to Policy: Policy Condition failed: ["eq", "$key", ')
    assert not slot.stored(key)


def test_an_expired_policy_is_refused(cloud: RunningCloud, slot: Slot) -> None:
    # Given a form signed like the shipped one, whose policy expired a minute ago
    key = slot.key + "-late"
    post = cloud.client("s3").generate_presigned_post(
        Bucket=slot.bucket,
        Key=key,
        Fields={"Content-Type": "image/png"},
        Conditions=[{"Content-Type": "image/png"}, ["content-length-range", 1, len(PHOTO)]],
        ExpiresIn=-60,
    )

    answer = refused(slot.post(PHOTO, dict(post["fields"])))

    assert (answer.status, answer.code, answer.message) == (
        403,
        "AccessDenied",
        "Invalid according to Policy: Policy expired.",
    )
    assert not slot.stored(key)


def test_a_forged_signature_does_not_match(slot: Slot) -> None:
    signature = slot.fields["x-amz-signature"]
    forged = signature[:-1] + ("0" if signature[-1] != "0" else "1")

    answer = refused(slot.post(PHOTO, {**slot.fields, "x-amz-signature": forged}))

    assert (answer.status, answer.code) == (403, "SignatureDoesNotMatch")
    assert not slot.stored()


def test_a_policy_rewritten_to_allow_more_no_longer_matches_its_signature(slot: Slot) -> None:
    # Given the slot's own policy with its size limit raised a thousandfold, re-encoded
    policy = slot.policy()
    policy["conditions"] = [
        ["content-length-range", 1, 1000 * len(PHOTO)]
        if isinstance(c, list) and c[0] == "content-length-range"
        else c
        for c in policy["conditions"]
    ]
    rewritten = base64.b64encode(json.dumps(policy).encode()).decode()

    answer = refused(slot.post(PHOTO * 10, {**slot.fields, "policy": rewritten}))

    assert (answer.status, answer.code) == (403, "SignatureDoesNotMatch")
    assert not slot.stored()


def test_an_unknown_access_key_is_refused(slot: Slot) -> None:
    credential = UNKNOWN_KEY_ID + "/" + slot.fields["x-amz-credential"].split("/", 1)[1]

    answer = refused(slot.post(PHOTO, {**slot.fields, "x-amz-credential": credential}))

    assert (answer.status, answer.code) == (403, "InvalidAccessKeyId")
    assert not slot.stored()


@pytest.mark.parametrize(("field", "named"), [("x-amz-signature", "X-Amz-Signature"), ("key", "key")])
def test_a_missing_field_is_an_invalid_argument(slot: Slot, field: str, named: str) -> None:
    fields = {name: value for name, value in slot.fields.items() if name != field}

    answer = refused(slot.post(PHOTO, fields))

    assert (answer.status, answer.code) == (400, "InvalidArgument")
    assert answer.document.findtext("ArgumentName") == named
    assert not slot.stored()


def test_a_form_without_a_policy_is_access_denied(slot: Slot) -> None:
    fields = {"key": slot.key, "Content-Type": "image/png"}

    answer = refused(slot.post(PHOTO, fields))

    assert (answer.status, answer.code) == (403, "AccessDenied")
    assert not slot.stored()


def test_a_field_the_policy_does_not_name_is_refused(slot: Slot) -> None:
    answer = refused(slot.post(PHOTO, {**slot.fields, "x-amz-meta-owner": "mallory"}))

    assert (answer.status, answer.code) == (403, "AccessDenied")
    assert answer.message == "Invalid according to Policy: Extra input fields: x-amz-meta-owner"
    assert not slot.stored()

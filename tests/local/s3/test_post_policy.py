"""The POST policy check on its own (in process): forms signed by botocore, as the functions sign them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config

from local.services.iam.credentials import Credentials
from local.services.s3 import post_policy

# checkov:skip=CKV_SECRET_2:a made-up key id the test signs with itself, not a credential
ACCESS_KEY_ID = "ASIAEXAMPLEEXAMPLE00"
SECRET = "a-secret"
TOKEN = "a-session-token"


def signed_form(
    conditions: list[Any], fields: dict[str, str] | None = None, **options: Any
) -> dict[str, str]:
    s3 = boto3.session.Session().client(
        "s3",
        region_name="us-east-1",
        endpoint_url="https://127.0.0.1:1",  # never called: signing is local
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET,
        aws_session_token=TOKEN,
        config=Config(signature_version="s3v4"),  # as functions/common/aws.py signs
    )
    post = s3.generate_presigned_post(
        Bucket="media", Key="uploads/a", Fields=fields, Conditions=conditions, **options
    )
    return {name.lower(): value for name, value in post["fields"].items()}


def check(fields: dict[str, str], size: int = 10, now: datetime | None = None) -> str:
    known = {ACCESS_KEY_ID: Credentials(SECRET, TOKEN)}
    return post_policy.check(
        fields, bucket="media", size=size, now=now or datetime.now(UTC), credentials_of=known.get
    )


def test_a_form_signed_by_botocore_passes_and_names_its_signer() -> None:
    form = signed_form([["content-length-range", 1, 10]])

    assert check(form, size=10) == ACCESS_KEY_ID


def test_starts_with_allows_the_prefix_and_refuses_the_rest() -> None:
    form = signed_form([["starts-with", "$Content-Type", "image/"]], fields={"Content-Type": "image/png"})

    check(form)
    with pytest.raises(post_policy.Refusal) as refused:
        check({**form, "content-type": "text/html"})
    assert refused.value.message.endswith('["starts-with", "$Content-Type", "image/"]')


def test_every_comma_separated_content_type_must_start_with_the_prefix() -> None:
    form = signed_form([["starts-with", "$Content-Type", "image/"]], fields={"Content-Type": "image/png"})

    with pytest.raises(post_policy.Refusal):
        check({**form, "content-type": "image/png, text/html"})


def test_the_policy_expires_at_its_expiration() -> None:
    form = signed_form([], ExpiresIn=60)

    check(form, now=datetime.now(UTC) + timedelta(seconds=50))
    with pytest.raises(post_policy.Refusal) as refused:
        check(form, now=datetime.now(UTC) + timedelta(seconds=61))
    assert (refused.value.status, refused.value.code) == (403, "AccessDenied")


def test_a_missing_or_wrong_session_token_is_refused() -> None:
    form = signed_form([])

    for fields in (
        {k: v for k, v in form.items() if k != "x-amz-security-token"},
        {**form, "x-amz-security-token": "x"},
    ):
        with pytest.raises(post_policy.Refusal) as refused:
            check(fields)
        assert refused.value.code == "InvalidToken"


def test_x_ignore_fields_need_no_condition() -> None:
    form = signed_form([])

    check({**form, "x-ignore-tracking": "1"})


def test_a_policy_that_is_not_base64_json_is_an_invalid_policy_document() -> None:
    form = signed_form([])

    with pytest.raises(post_policy.Refusal) as refused:
        # The signature is over the text, so the text is checked second: sign it as it is.
        post_policy._decode("bm90IGpzb24=")
    assert (refused.value.status, refused.value.code) == (400, "InvalidPolicyDocument")
    assert form  # the helper's form is valid; only the document above is not


def test_a_sigv2_form_is_verified_too() -> None:
    s3 = boto3.session.Session().client(
        "s3",
        region_name="us-east-1",
        endpoint_url="https://127.0.0.1:1",
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET,
        aws_session_token=TOKEN,
    )
    form = {
        k.lower(): v for k, v in s3.generate_presigned_post(Bucket="media", Key="uploads/a")["fields"].items()
    }
    assert "signature" in form

    check(form)
    with pytest.raises(post_policy.Refusal) as refused:
        check({**form, "signature": "AAAA" + form["signature"][4:]})
    assert refused.value.code == "SignatureDoesNotMatch"

"""A browser's POST upload checked as S3 checks it (moto 5.2 stores any form it is sent).

The form's fields (names compared ignoring case), the bucket and the file's size go in; either the
signer's access key comes out, or a ``Refusal`` with S3's status, code and message. In S3's order:
the fields a SigV4 POST needs, the signer's key and the signature over the base64 policy, the
policy document, its expiration, then every condition against the form (and every form field must
be named by a condition), the file's size last.

- Fields, signature (HMAC-SHA256 of the base64 policy with the SigV4 signing key of the date, region
  and service in ``x-amz-credential``): https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-authentication-HTTPPOST.html
- Expiration, exact / ``eq`` / ``starts-with`` / ``content-length-range`` conditions, names that need
  no condition (``x-amz-signature``, ``file``, ``policy``, ``x-ignore-*``):
  https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html
- Codes (EntityTooLarge/Small 400, AccessDenied, SignatureDoesNotMatch, InvalidAccessKeyId 403,
  InvalidPolicyDocument, InvalidArgument 400): https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from local.services.iam.credentials import Credentials

SIGV4_FIELDS = ("x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature")
# Fields no condition needs to name; everything else in the form must be named by one.
UNCONDITIONED = frozenset({"x-amz-signature", "file", "policy", "signature", "awsaccesskeyid"})
IGNORED_PREFIX = "x-ignore-"


class Refusal(Exception):
    """S3's answer to a form it does not store: status, code, message and the extra elements."""

    def __init__(self, status: int, code: str, message: str, **details: str | int) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details


def check(
    fields: Mapping[str, str],
    *,
    bucket: str,
    size: int,
    now: datetime,
    credentials_of: Callable[[str], Credentials | None],
) -> str:
    """The access key that signed the form, once the form passes; else raise ``Refusal``.

    ``fields`` are the form's fields other than the file, names in lower case."""
    if not fields.get("key"):
        raise _missing("key")
    policy_b64 = fields.get("policy")
    if not policy_b64:
        # Only a bucket anyone may write to accepts a form without a policy; the project's never do.
        raise Refusal(403, "AccessDenied", "Access Denied")
    if any(name in fields for name in SIGV4_FIELDS):
        access_key = _verify_sigv4(fields, policy_b64, credentials_of)
    else:
        access_key = _verify_sigv2(fields, policy_b64, credentials_of)
    policy = _decode(policy_b64)
    _check_expiration(policy, now)
    _check_conditions(policy["conditions"], fields, bucket=bucket, size=size)
    return access_key


def _verify_sigv4(
    fields: Mapping[str, str], policy_b64: str, credentials_of: Callable[[str], Credentials | None]
) -> str:
    for name in SIGV4_FIELDS:
        if not fields.get(name):
            raise _missing(_spelled(name))
    if fields["x-amz-algorithm"] != "AWS4-HMAC-SHA256":
        raise Refusal(
            400,
            "InvalidArgument",
            "Only AWS4-HMAC-SHA256 is supported for x-amz-algorithm",
            ArgumentName="x-amz-algorithm",
            ArgumentValue=fields["x-amz-algorithm"],
        )
    scope = fields["x-amz-credential"].split("/")
    if len(scope) != 5 or scope[4] != "aws4_request":
        raise Refusal(
            400,
            "AuthorizationQueryParametersError",
            "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; "
            'expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".',
        )
    access_key, date, region, service, _ = scope
    known = _known(access_key, fields, credentials_of)
    key = f"AWS4{known.secret_access_key}".encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    expected = hmac.new(key, policy_b64.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, fields["x-amz-signature"].lower()):
        raise _mismatch(access_key, policy_b64, fields["x-amz-signature"])
    return access_key


def _verify_sigv2(
    fields: Mapping[str, str], policy_b64: str, credentials_of: Callable[[str], Credentials | None]
) -> str:
    """SigV2 (what botocore signs a POST with when given an endpoint URL): base64 HMAC-SHA1 of the
    policy. https://docs.aws.amazon.com/AmazonS3/latest/userguide/HTTPPOSTForms.html"""
    for name, spelled in (("awsaccesskeyid", "AWSAccessKeyId"), ("signature", "Signature")):
        if not fields.get(name):
            raise _missing(spelled)
    access_key = fields["awsaccesskeyid"]
    known = _known(access_key, fields, credentials_of)
    digest = hmac.new(known.secret_access_key.encode(), policy_b64.encode(), hashlib.sha1).digest()
    if not hmac.compare_digest(base64.b64encode(digest).decode(), fields["signature"]):
        raise _mismatch(access_key, policy_b64, fields["signature"])
    return access_key


def _known(
    access_key: str, fields: Mapping[str, str], credentials_of: Callable[[str], Credentials | None]
) -> Credentials:
    known = credentials_of(access_key)
    if known is None:
        raise Refusal(
            403,
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
            AWSAccessKeyId=access_key,
        )
    if known.session_token is not None and fields.get("x-amz-security-token") != known.session_token:
        raise Refusal(400, "InvalidToken", "The provided token is malformed or otherwise invalid.")
    return known


def _mismatch(access_key: str, policy_b64: str, provided: str) -> Refusal:
    return Refusal(
        403,
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. "
        "Check your key and signing method.",
        AWSAccessKeyId=access_key,
        StringToSign=policy_b64,
        SignatureProvided=provided,
    )


def _decode(policy_b64: str) -> dict[str, Any]:
    try:
        policy = json.loads(base64.b64decode(policy_b64, validate=True))
    except (binascii.Error, ValueError) as error:
        raise Refusal(400, "InvalidPolicyDocument", "Invalid Policy: Invalid JSON.") from error
    if not isinstance(policy, dict) or "expiration" not in policy:
        raise Refusal(400, "InvalidPolicyDocument", "Invalid Policy: Policy missing expiration.")
    if not isinstance(policy.get("conditions"), list):
        raise Refusal(400, "InvalidPolicyDocument", "Invalid Policy: Policy missing conditions.")
    return policy


def _check_expiration(policy: dict[str, Any], now: datetime) -> None:
    try:
        expiration = datetime.fromisoformat(str(policy["expiration"]).replace("Z", "+00:00"))
    except ValueError as error:
        raise Refusal(
            400,
            "InvalidPolicyDocument",
            "Invalid Policy: Invalid 'expiration' value: " + policy["expiration"],
        ) from error
    if expiration.tzinfo is None:
        expiration = expiration.replace(tzinfo=UTC)
    if now >= expiration:
        raise Refusal(403, "AccessDenied", "Invalid according to Policy: Policy expired.")


def _check_conditions(conditions: list[Any], fields: Mapping[str, str], *, bucket: str, size: int) -> None:
    values = {**fields, "bucket": bucket}
    named: set[str] = set()
    size_range: tuple[int, int] | None = None
    for condition in conditions:
        if isinstance(condition, dict) and len(condition) == 1:
            [(name, expected)] = condition.items()
            named.add(name.lower())
            if values.get(name.lower(), "") != str(expected):
                raise _failed(["eq", f"${name}", expected])
        elif isinstance(condition, list) and len(condition) == 3 and isinstance(condition[0], str):
            operator = condition[0].lower()
            if operator == "content-length-range":
                size_range = (int(condition[1]), int(condition[2]))
                continue
            if operator not in {"eq", "starts-with"} or not str(condition[1]).startswith("$"):
                raise Refusal(
                    400,
                    "InvalidPolicyDocument",
                    f"Invalid Policy: Invalid Condition: {json.dumps(condition)}",
                )
            name = str(condition[1])[1:].lower()
            named.add(name)
            if not _matches(operator, name, values.get(name, ""), str(condition[2])):
                raise _failed(condition)
        else:
            raise Refusal(
                400, "InvalidPolicyDocument", f"Invalid Policy: Invalid Condition: {json.dumps(condition)}"
            )
    extra = [
        name
        for name in fields
        if name not in named and name not in UNCONDITIONED and not name.startswith(IGNORED_PREFIX)
    ]
    if extra:
        raise Refusal(
            403, "AccessDenied", "Invalid according to Policy: Extra input fields: " + ", ".join(extra)
        )
    if size_range is not None:
        low, high = size_range
        if size > high:
            raise Refusal(
                400,
                "EntityTooLarge",
                "Your proposed upload exceeds the maximum allowed size",
                ProposedSize=size,
                MaxSizeAllowed=high,
            )
        if size < low:
            raise Refusal(
                400,
                "EntityTooSmall",
                "Your proposed upload is smaller than the minimum allowed size",
                ProposedSize=size,
                MinSizeAllowed=low,
            )


def _matches(operator: str, name: str, value: str, expected: str) -> bool:
    if operator == "eq":
        return value == expected
    if name == "content-type":
        # "Content-Type can hold several comma-separated values": each must start with the prefix.
        return all(part.strip().startswith(expected) for part in value.split(","))
    return value.startswith(expected)


def _failed(condition: list[Any]) -> Refusal:
    return Refusal(
        403, "AccessDenied", "Invalid according to Policy: Policy Condition failed: " + json.dumps(condition)
    )


def _missing(name: str) -> Refusal:
    return Refusal(
        400,
        "InvalidArgument",
        f"Bucket POST must contain a field named '{name}'.  "
        "If it is specified, please check the order of the fields.",
        ArgumentName=name,
        ArgumentValue="",
    )


def _spelled(name: str) -> str:
    """S3 names a missing SigV4 field as the documentation spells it (X-Amz-Signature...)."""
    return "-".join(part.capitalize() for part in name.split("-"))

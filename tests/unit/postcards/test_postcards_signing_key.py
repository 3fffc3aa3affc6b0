"""The cursor signing key: an SSM SecureString named by the environment, read once per environment."""

from __future__ import annotations

import boto3
import pytest

from common import aws, settings
from postcards import cursor, signing_key
from tests.unit.postcards.api_client import ApiClient
from tests.unit.postcards.test_postcards_feed import write_postcards
from tests.unit.stack import REGION, Stack


def test_cursors_are_signed_with_the_decrypted_secure_string(api: ApiClient, stack: Stack) -> None:
    write_postcards(api, 2)

    next_cursor = api.get("/v1/postcards?limit=1").json["next_cursor"]

    assert cursor.decode(next_cursor, stack.cursor_signing_key.encode()).postcard_id


def test_the_key_is_read_once_per_environment(api: ApiClient, stack: Stack) -> None:
    write_postcards(api, 3)
    first = api.get("/v1/postcards?limit=1").json["next_cursor"]
    # Given the key was read, when SSM can no longer answer for it, then the environment keeps going.
    boto3.client("ssm", region_name=REGION).delete_parameter(Name=stack.cursor_signing_key_parameter)

    reply = api.get(f"/v1/postcards?limit=1&cursor={first}")

    assert reply.status == 200
    assert reply.json["next_cursor"]


def test_a_new_environment_gets_a_rotated_key(api: ApiClient, stack: Stack) -> None:
    write_postcards(api, 3)
    old = api.get("/v1/postcards?limit=1").json["next_cursor"]
    boto3.client("ssm", region_name=REGION).put_parameter(
        Name=stack.cursor_signing_key_parameter, Type="SecureString", Value="rotated-key", Overwrite=True
    )
    signing_key.clear()  # a new execution environment

    reply = api.get(f"/v1/postcards?limit=1&cursor={old}")

    assert reply.status == 400
    assert reply.error["code"] == "invalid_cursor"
    assert cursor.decode(api.get("/v1/postcards?limit=1").json["next_cursor"], b"rotated-key").postcard_id


def test_a_missing_parameter_name_is_reported_by_name(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CURSOR_SIGNING_KEY_PARAMETER")

    with pytest.raises(settings.MissingSettingError, match="CURSOR_SIGNING_KEY_PARAMETER"):
        signing_key.signing_key()


def test_every_client_shares_one_session(stack: Stack) -> None:
    # One session: botocore's data is loaded once per environment, not once per client.
    assert aws.client("ssm")._loader is aws.dynamodb()._loader

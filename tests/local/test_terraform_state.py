"""Reading resource attributes from a Terraform state file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from local.services.apigateway.loader import openapi_bodies_from_state
from local.terraform_state import StateError, TerraformState


def _write(path: Path, document: object) -> Path:
    path.write_text(json.dumps(document))
    return path


def test_instances_of_a_type_in_modules_and_for_each(tmp_path: Path) -> None:
    state = TerraformState.load(
        _write(
            tmp_path / "terraform.tfstate",
            {
                "version": 4,
                "resources": [
                    {
                        "mode": "managed",
                        "type": "aws_api_gateway_rest_api",
                        "name": "this",
                        "module": "module.api",
                        "instances": [{"attributes": {"id": "abc", "body": '{"openapi": "3.0.1"}'}}],
                    },
                    {
                        "mode": "data",
                        "type": "aws_api_gateway_rest_api",
                        "name": "ignored",
                        "instances": [{"attributes": {"id": "zzz", "body": "x"}}],
                    },
                    {
                        "mode": "managed",
                        "type": "aws_s3_object",
                        "name": "file",
                        "instances": [
                            {"index_key": "a.html", "attributes": {"key": "a.html"}},
                            {"index_key": "b.css", "attributes": {"key": "b.css"}},
                        ],
                    },
                ],
            },
        )
    )

    assert [a["key"] for a in state.of_type("aws_s3_object")] == ["a.html", "b.css"]
    assert state.instances[1].address == 'aws_s3_object.file["a.html"]'
    assert openapi_bodies_from_state(state) == {
        "abc": (
            '{"openapi": "3.0.1"}',
            "OpenAPI body in Terraform state (module.api.aws_api_gateway_rest_api.this)",
        )
    }


def test_a_missing_or_foreign_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StateError, match="no Terraform state"):
        TerraformState.load(tmp_path / "absent.tfstate")
    with pytest.raises(StateError, match="format version 4"):
        TerraformState.load(_write(tmp_path / "other.json", {"version": 3}))
    with pytest.raises(StateError, match="not JSON"):
        TerraformState.load(tmp_path.joinpath("bad.tfstate")) if (tmp_path / "bad.tfstate").write_text(
            "{"
        ) else None


def test_root_outputs_are_read_by_name(tmp_path: Path) -> None:
    # Given a state with root outputs (Terraform keeps each as {"value", "type", "sensitive"?})
    document = {
        "version": 4,
        "resources": [],
        "outputs": {
            "site_url": {"value": "http://www.postcards.localhost:4590", "type": "string"},
            "site_security_headers": {"value": {"X-Frame-Options": "DENY"}, "type": ["map", "string"]},
        },
    }
    # When it is loaded
    state = TerraformState.load(_write(tmp_path / "terraform.tfstate", document))
    # Then each output's value is there under its name, and a state without outputs has none
    assert state.outputs["site_url"] == "http://www.postcards.localhost:4590"
    assert state.outputs["site_security_headers"] == {"X-Frame-Options": "DENY"}
    assert TerraformState.empty().outputs == {}

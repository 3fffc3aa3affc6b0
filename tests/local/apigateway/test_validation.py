"""Request validation against the contract's models."""

from __future__ import annotations

import json

from local.services.apigateway.models import Method
from local.services.apigateway.openapi import OpenApiExtras
from local.services.apigateway.validation import ModelValidators, missing_parameters, model_for, validate_body


def _validators(extras: OpenApiExtras) -> ModelValidators:
    return ModelValidators("abc123", extras.models)


def test_a_valid_postcard_passes(contract_extras: OpenApiExtras) -> None:
    validator = _validators(contract_extras).get("NewPostcard")
    assert validator is not None

    assert validate_body(validator, json.dumps({"author": "Ann", "message": "Hi"}).encode()) is None


def test_problems_are_listed_in_api_gateway_wording(contract_extras: OpenApiExtras) -> None:
    validator = _validators(contract_extras).get("NewPostcard")
    assert validator is not None

    problem = validate_body(validator, json.dumps({"author": "", "extra": 1}).encode())

    assert problem is not None
    assert 'object has missing required properties (["message"])' in problem
    assert 'object instance has properties which are not allowed by the schema: ["extra"]' in problem
    assert 'string "" is too short (length: 0, required minimum: 1)' in problem


def test_references_between_models_resolve(contract_extras: OpenApiExtras) -> None:
    validators = _validators(contract_extras)
    page = validators.get("PostcardPage")
    assert page is not None

    problem = validate_body(page, json.dumps({"items": [{"id": "nothex"}]}).encode())

    assert problem is not None
    assert "does not match input string" in problem


def test_unparseable_and_empty_bodies(contract_extras: OpenApiExtras) -> None:
    validator = _validators(contract_extras).get("NewUpload")
    assert validator is not None

    assert validate_body(validator, b"{nope") is not None
    assert "missing required properties" in (validate_body(validator, b"") or "")


def test_wrong_types_and_enums(contract_extras: OpenApiExtras) -> None:
    validator = _validators(contract_extras).get("NewUpload")
    assert validator is not None

    problem = (
        validate_body(validator, json.dumps({"content_type": "image/gif", "size_bytes": "9"}).encode()) or ""
    )

    assert 'instance value ("image/gif") not found in enum' in problem
    assert (
        'instance type (string) does not match any allowed primitive type (allowed: ["integer"])' in problem
    )


def test_unknown_model_has_no_validator(contract_extras: OpenApiExtras) -> None:
    assert _validators(contract_extras).get("Nope") is None


def test_model_is_chosen_by_content_type_with_json_by_default() -> None:
    method = Method("POST", request_models={"application/json": "A", "$default": "B"})

    assert model_for(method, None) == "A"
    assert model_for(method, "application/json; charset=utf-8") == "A"
    assert model_for(method, "text/plain") == "B"
    assert model_for(Method("POST"), "application/json") is None


def test_missing_parameters_are_named_and_headers_are_case_insensitive() -> None:
    missing = missing_parameters(
        [
            "method.request.header.Idempotency-Key",
            "method.request.querystring.limit",
            "method.request.path.id",
            "method.request.header.X-Present",
        ],
        headers={"x-present": "1"},
        query={},
        path={"id": "abc"},
    )

    assert missing == ["Idempotency-Key", "limit"]

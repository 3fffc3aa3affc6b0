"""What the gateway reads from an OpenAPI body where moto keeps nothing."""

from __future__ import annotations

import json

import pytest

from local.services.apigateway.models import RequestValidator
from local.services.apigateway.openapi import OpenApiError, OpenApiExtras, extract, parse_document


def test_validators_of_the_contract_are_read(contract_extras: OpenApiExtras) -> None:
    assert contract_extras.validators["body-and-params"] == RequestValidator("body-and-params", True, True)
    assert contract_extras.validators["params-only"] == RequestValidator("params-only", False, True)


def test_create_postcard_has_its_model_validator_and_optional_header(contract_extras: OpenApiExtras) -> None:
    extras = contract_extras.methods[("/v1/postcards", "POST")]

    assert extras.request_models == {"application/json": "NewPostcard"}
    assert extras.request_parameters == {"method.request.header.Idempotency-Key": False}
    assert contract_extras.validator_for(extras) == contract_extras.validators["body-and-params"]


def test_path_parameters_are_required_even_when_not_marked(contract_extras: OpenApiExtras) -> None:
    assert contract_extras.methods[("/v1/postcards/{id}", "GET")].request_parameters == {
        "method.request.path.id": True
    }


def test_any_method_extension_is_read_as_any(contract_extras: OpenApiExtras) -> None:
    assert ("/legacy/{proxy+}", "ANY") in contract_extras.methods


def test_gateway_responses_keep_status_and_templates(contract_extras: OpenApiExtras) -> None:
    missing = contract_extras.gateway_responses["MISSING_AUTHENTICATION_TOKEN"]
    default_4xx = contract_extras.gateway_responses["DEFAULT_4XX"]

    assert missing.status_code == 404
    assert "$context.requestId" in missing.response_templates["application/json"]
    assert default_4xx.status_code is None


def test_models_are_the_component_schemas(contract_extras: OpenApiExtras) -> None:
    assert contract_extras.models["NewPostcard"]["required"] == ["author", "message"]


def test_an_inline_body_schema_becomes_a_generated_model() -> None:
    document = {
        "openapi": "3.0.1",
        "paths": {
            "/things": {
                "post": {"requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}}}
            }
        },
    }

    extras = extract(document)

    name = extras.methods[("/things", "POST")].request_models["application/json"]
    assert extras.models[name] == {"type": "object"}


def test_parameters_by_reference_and_on_the_path_item_are_read() -> None:
    document = {
        "openapi": "3.0.1",
        "components": {"parameters": {"Limit": {"name": "limit", "in": "query", "required": True}}},
        "paths": {
            "/things/{id}": {
                "parameters": [{"name": "id", "in": "path"}],
                "get": {"parameters": [{"$ref": "#/components/parameters/Limit"}]},
            }
        },
    }

    extras = extract(document)

    assert extras.methods[("/things/{id}", "GET")].request_parameters == {
        "method.request.path.id": True,
        "method.request.querystring.limit": True,
    }


def test_api_key_security_marks_the_method() -> None:
    document = {
        "openapi": "3.0.1",
        "components": {"securitySchemes": {"key": {"type": "apiKey", "name": "x-api-key", "in": "header"}}},
        "paths": {"/a": {"get": {"security": [{"key": []}]}, "post": {}}},
    }

    extras = extract(document)

    assert extras.methods[("/a", "GET")].api_key_required
    assert not extras.methods[("/a", "POST")].api_key_required


def test_parse_document_reads_json_and_yaml() -> None:
    assert parse_document(json.dumps({"openapi": "3.0.0", "paths": {}}))["openapi"] == "3.0.0"
    assert parse_document("openapi: 3.0.0\npaths: {}\n")["paths"] == {}


@pytest.mark.parametrize("body", ['{"swagger": "2.0"}', "[1, 2]", "{not: [valid"])
def test_parse_document_rejects_what_is_not_openapi_3(body: str) -> None:
    with pytest.raises(OpenApiError):
        parse_document(body)

"""Request validation as a REST API's request validators do it.

API Gateway validates required method request parameters (``validateRequestParameters``) and the
body against the method's request model for the request's Content-Type (``validateRequestBody``),
with JSON Schema draft 4. Failures are gateway responses BAD_REQUEST_PARAMETERS and BAD_REQUEST_BODY;
``$context.error.validationErrorString`` lists the problems in the wording of the validator AWS uses
(java json-schema-validator), which clients sometimes show, so the common ones are reproduced.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from jsonschema import Draft4Validator, ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from local.services.apigateway.events import media_type
from local.services.apigateway.models import Method

_DOCUMENT_URI = "urn:local-apigateway:models"


class ModelValidators:
    """Compiled validators for one API's models, built on first use."""

    def __init__(self, api_id: str, models: Mapping[str, Any]) -> None:
        self._models = models
        document = {"components": {"schemas": dict(models)}, "definitions": dict(models)}
        registry: Registry[Any] = Registry().with_resource(_DOCUMENT_URI, DRAFT4.create_resource(document))
        # Models created through the API reference each other by their API Gateway URL.
        for name, schema in models.items():
            url = f"https://apigateway.amazonaws.com/restapis/{api_id}/models/{name}"
            registry = registry.with_resource(
                url, Resource.from_contents(schema, default_specification=DRAFT4)
            )
        self._registry = registry.crawl()
        self._compiled: dict[str, Draft4Validator] = {}

    def get(self, name: str) -> Draft4Validator | None:
        validator = self._compiled.get(name)
        if validator is None and name in self._models:
            schema = {"$ref": f"{_DOCUMENT_URI}#/components/schemas/{_escape_pointer(name)}"}
            validator = Draft4Validator(schema, registry=self._registry)
            self._compiled[name] = validator
        return validator


def _escape_pointer(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def model_for(method: Method, content_type: str | None) -> str | None:
    """The request model API Gateway picks: by media type (application/json when absent), else $default."""
    models = method.request_models
    if not models:
        return None
    return models.get(media_type(content_type) or "application/json") or models.get("$default")


def validate_body(validator: Draft4Validator, body: bytes) -> str | None:
    """None when valid, else the validation error string."""
    try:
        # An empty body is validated as an empty object.
        instance = json.loads(body) if body.strip() else {}
    except (ValueError, UnicodeDecodeError) as error:
        return f"[Unable to parse the request body as JSON: {error}]"
    except RecursionError:
        # A JSON parser refuses nesting past its depth limit (Jackson's default is 1000 levels)
        # rather than failing the request; so does this one, past Python's recursion limit.
        return "[Unable to parse the request body as JSON: nested too deeply]"
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    if not errors:
        return None
    return "[" + ", ".join(_describe(error) for error in errors) + "]"


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _required(instance: Any, expected: Any, _: ValidationError) -> str:
    present = instance.keys() if isinstance(instance, dict) else ()
    missing = sorted(name for name in expected if name not in present)
    return f"object has missing required properties ({_json(missing)})"


def _type(instance: Any, expected: Any, _: ValidationError) -> str:
    allowed = sorted(expected) if isinstance(expected, list) else [expected]
    return (
        f"instance type ({_type_name(instance)}) does not match any allowed primitive type "
        f"(allowed: {_json(allowed)})"
    )


def _additional(instance: Any, _: Any, error: ValidationError) -> str:
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    allowed_names = set((schema.get("properties") or {}).keys())
    extra = sorted(k for k in instance if k not in allowed_names)
    return f"object instance has properties which are not allowed by the schema: {_json(extra)}"


_WORDING: dict[str, Callable[[Any, Any, ValidationError], str]] = {
    "required": _required,
    "type": _type,
    "additionalProperties": _additional,
    "minLength": lambda i, e, _: f"string {_json(i)} is too short (length: {len(i)}, required minimum: {e})",
    "maxLength": lambda i, e, _: f"string {_json(i)} is too long (length: {len(i)}, maximum allowed: {e})",
    "enum": lambda i, e, _: f"instance value ({_json(i)}) not found in enum (possible values: {_json(e)})",
    "minimum": lambda i, e, _: (
        f"numeric instance is lower than the required minimum (minimum: {e}, found: {i})"
    ),
    "maximum": lambda i, e, _: (
        f"numeric instance is greater than the required maximum (maximum: {e}, found: {i})"
    ),
    "pattern": lambda i, e, _: f"ECMA 262 regex {_json(e)} does not match input string {_json(i)}",
}


def _describe(error: ValidationError) -> str:
    """The json-schema-validator wording of the common keywords; jsonschema's message otherwise."""
    wording = _WORDING.get(str(error.validator))
    return wording(error.instance, error.validator_value, error) if wording else error.message


def missing_parameters(
    required: Iterable[str],
    *,
    headers: Mapping[str, str],
    query: Mapping[str, str],
    path: Mapping[str, str],
) -> list[str]:
    """Names of required ``method.request.<location>.<name>`` parameters absent from the request.

    ``headers`` finds names case-insensitively (lower-case keys, or a CIMultiDict)."""
    missing = []
    for key in required:
        _, _, location_and_name = key.partition("method.request.")
        location, _, name = location_and_name.partition(".")
        if location == "header":
            present = name.lower() in headers
        elif location in ("querystring", "multivaluequerystring"):
            present = name in query
        elif location == "path":
            present = bool(path.get(name))
        else:
            present = True
        if not present:
            missing.append(name)
    return missing

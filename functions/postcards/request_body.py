"""Reading a JSON request body: media type (415), size (413), syntax (400), in that order.

Only the shape of the bytes is checked here; what the fields mean is ``validation``'s job (422).
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any, Final

from postcards.errors import ApiError, bad_request

# Our largest valid body (a postcard) is well under 2 KiB even in 4-byte characters; anything much
# bigger is a mistake or abuse and is refused before it is parsed.
MAX_BODY_BYTES: Final = 16 * 1024
JSON_MEDIA_TYPE: Final = "application/json"


class _DuplicateKeyError(ValueError):
    pass


def read_json(content_type: str | None, body: str | None, *, is_base64: bool = False) -> Any:
    """The parsed JSON value of a request body, or an ApiError saying what is wrong with it."""
    _require_json_media_type(content_type)
    raw = _raw_bytes(body, is_base64)
    if len(raw) > MAX_BODY_BYTES:
        raise ApiError(
            413, "payload_too_large", f"request body is {len(raw)} bytes; the limit is {MAX_BODY_BYTES}"
        )
    if not raw.strip():
        raise bad_request("request body is empty; expected a JSON object", "invalid_json")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise bad_request("request body is not valid UTF-8", "invalid_json") from None
    try:
        return json.loads(text, object_pairs_hook=_object_without_duplicates, parse_constant=_no_constant)
    except _DuplicateKeyError as error:
        raise bad_request(str(error), "invalid_json") from None
    except json.JSONDecodeError as error:
        raise bad_request(f"request body is not valid JSON: {error}", "invalid_json") from None
    except ValueError as error:  # NaN / Infinity
        raise bad_request(str(error), "invalid_json") from None
    except RecursionError:
        raise bad_request("request body is nested too deeply", "invalid_json") from None


def _require_json_media_type(content_type: str | None) -> None:
    media_type, _, parameters = (content_type or "").partition(";")
    charset = _parameter(parameters, "charset")
    if media_type.strip().lower() != JSON_MEDIA_TYPE or charset not in (None, "utf-8"):
        raise ApiError(
            415,
            "unsupported_media_type",
            f"Content-Type must be {JSON_MEDIA_TYPE} (UTF-8), got {content_type or 'none'}",
        )


def _parameter(parameters: str, name: str) -> str | None:
    for parameter in parameters.split(";"):
        key, _, value = parameter.partition("=")
        if key.strip().lower() == name:
            return value.strip().strip('"').lower()
    return None


def _raw_bytes(body: str | None, is_base64: bool) -> bytes:
    if body is None:
        return b""
    if not is_base64:
        return body.encode("utf-8", errors="surrogatepass")
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise bad_request("request body is not valid base64", "invalid_json") from None


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Duplicate keys are legal JSON but ambiguous (which one counts?); refuse them.
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKeyError(f"request body repeats the key {key!r}")
        result[key] = value
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(f"request body contains {name}, which is not valid JSON")

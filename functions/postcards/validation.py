"""Small, hand-written request validation with messages a person can act on.

A ``Fields`` reader collects every problem of a body before failing, so a client learns all of them
from one 422. Text is normalised before it is measured: Unicode NFC, CRLF to LF, surrounding
whitespace stripped; length is counted in Unicode code points after that, which is what a person
typing would call characters for all but a few composed emoji.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Final, TypeVar

from common.uploads import is_valid_id
from postcards.errors import FieldError, invalid_fields

_INNER_WHITESPACE: Final = re.compile(r"\s+")
# Embeddings, overrides and isolates reorder the text around them when it is shown ("Ann" + U+202E +
# "gpj.exe" reads "Annexe.jpg"): refused, as in source code (CVE-2021-42574). The marks U+200E/U+200F
# and U+061C, which only give neutral characters a direction, are ordinary right-to-left text.
_BIDI_CONTROLS: Final = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_T = TypeVar("_T")


class Fields:
    """Reads the fields of one JSON object, remembering every error instead of stopping at the first."""

    def __init__(self, body: object, *, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> None:
        self.errors: list[FieldError] = []
        if not isinstance(body, dict):
            raise invalid_fields([FieldError("body", f"must be a JSON object, got {_json_type(body)}")])
        self._body: dict[str, Any] = body
        known = set(required) | set(optional)
        for name in sorted(set(body) - known):
            self.errors.append(FieldError(name, f"unknown field (allowed: {', '.join(sorted(known))})"))
        for name in required:
            if name not in body:
                self.errors.append(FieldError(name, "is required"))

    def text(self, name: str, *, max_chars: int, multiline: bool = False) -> str:
        """A non-empty string of at most ``max_chars`` characters after normalisation ('' if invalid)."""
        value = self._body.get(name)
        if name not in self._body:
            return ""
        if not isinstance(value, str):
            return self._fail(name, f"must be a string, got {_json_type(value)}", "")
        # Surrounding whitespace is trimmed by normalisation anyway, so a name pasted with its line
        # break ("Ann\n") is one line; the OpenAPI pattern's `$` admits that trailing "\n" too.
        problem = _forbidden_character(value.strip(), multiline=multiline)
        if problem:
            return self._fail(name, problem, "")
        text = normalise_text(value, multiline=multiline)
        if not text:
            return self._fail(name, "must not be empty", "")
        if len(text) > max_chars:
            return self._fail(name, f"must be at most {max_chars} characters, got {len(text)}", "")
        return text

    def optional_id(self, name: str) -> str | None:
        """An upload id (uuid4 hex); absent and null both mean none."""
        value = self._body.get(name)
        if value is None:
            return None
        if not is_valid_id(value):
            return self._fail(name, "must be an upload id (32 lowercase hex characters)", None)
        return str(value)

    def optional_token(self, name: str, pattern: re.Pattern[str], expected: str) -> str | None:
        """A string matching ``pattern`` exactly, as is (no normalisation); absent and null mean none."""
        value = self._body.get(name)
        if value is None:
            return None
        if not isinstance(value, str):
            return self._fail(name, f"must be a string, got {_json_type(value)}", None)
        if not pattern.fullmatch(value):
            return self._fail(name, f"must be {expected}", None)
        return value

    def choice(self, name: str, allowed: tuple[str, ...]) -> str:
        value = self._body.get(name)
        if name not in self._body:
            return ""
        normalised = value.strip().lower() if isinstance(value, str) else None
        if normalised not in allowed:
            return self._fail(name, f"must be one of {', '.join(allowed)}", "")
        return normalised

    def integer(self, name: str, *, minimum: int, maximum: int, unit: str = "") -> int:
        value = self._body.get(name)
        if name not in self._body:
            return 0
        # bool is an int in Python but not a number in JSON; 1.0 is a float in JSON terms.
        if not isinstance(value, int) or isinstance(value, bool):
            return self._fail(name, f"must be an integer, got {_json_type(value)}", 0)
        if not minimum <= value <= maximum:
            suffix = f" {unit}" if unit else ""
            return self._fail(name, f"must be between {minimum} and {maximum}{suffix}, got {value}", 0)
        return value

    def raise_if_invalid(self) -> None:
        if self.errors:
            raise invalid_fields(self.errors)

    def _fail(self, name: str, message: str, placeholder: _T) -> _T:
        self.errors.append(FieldError(name, message))
        return placeholder


def normalise_text(value: str, *, multiline: bool) -> str:
    text = unicodedata.normalize("NFC", value)
    if multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        return "\n".join(line.rstrip() for line in text.strip().split("\n"))
    # One line: runs of whitespace (tabs, non-breaking spaces) become one space.
    return _INNER_WHITESPACE.sub(" ", text).strip()


def _forbidden_character(value: str, *, multiline: bool) -> str | None:
    allowed_controls = {"\n", "\r", "\t"} if multiline else {"\t"}
    for char in value:
        category = unicodedata.category(char)
        if category == "Cs":
            return "contains an invalid character (unpaired surrogate)"
        if char in _BIDI_CONTROLS:
            return f"contains a bidirectional control character (U+{ord(char):04X})"
        if category == "Cc" and char not in allowed_controls:
            if char in "\r\n":
                return "must be a single line"
            return f"contains a control character (U+{ord(char):04X})"
    return None


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"

"""The bad requests ``test_bad_input`` sends, one list per kind, and how each must be refused.

Each ``Bad`` is a raw HTTP request to the API (method, path and query under the stage, body bytes,
headers) and the answers allowed for it: (status, error code) pairs. Where API Gateway's request
validator refuses the body before the function sees it, the answer is its BAD_REQUEST_BODY (422
``validation_error``); where the function does, its own code: either is the API's one error shape.
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass, field

JSON = {"Content-Type": "application/json"}
UNREADABLE_JSON = frozenset({(400, "invalid_json"), (422, "validation_error")})
INVALID_FIELDS = frozenset({(422, "validation_error")})
NOT_JSON = frozenset({(415, "unsupported_media_type")})
TOO_LARGE = frozenset({(413, "payload_too_large")})
NO_SUCH_ROUTE = frozenset({(404, "not_found")})
BAD_QUERY = frozenset({(400, "invalid_query")})
BAD_CURSOR = frozenset({(400, "invalid_cursor")})
BAD_KEY = frozenset({(400, "invalid_idempotency_key")})
A_VALID_CARD = {"author": "Ann", "message": "hello"}


@dataclass(frozen=True)
class Bad:
    id: str
    method: str
    target: str  # path and query under the stage
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    allowed: frozenset[tuple[int, str]] = INVALID_FIELDS


def _card_bytes(id_: str, raw: bytes, allowed: frozenset[tuple[int, str]] = UNREADABLE_JSON) -> Bad:
    return Bad(id_, "POST", "/v1/postcards", raw, JSON, allowed)


def _card(id_: str, body: object, allowed: frozenset[tuple[int, str]] = INVALID_FIELDS) -> Bad:
    return Bad(id_, "POST", "/v1/postcards", json.dumps(body).encode(), JSON, allowed)


def _nested(depth: int) -> bytes:
    return b'{"author": ' + b"[" * depth + b"]" * depth + b', "message": "hi"}'


MALFORMED_JSON = [
    _card_bytes("truncated", b'{"author": "Ann", "message": "hel'),
    _card_bytes("only an opening brace", b"{"),
    _card_bytes("empty body", b""),
    _card_bytes("whitespace only", b" \n\t "),
    _card_bytes("trailing garbage", b'{"author": "Ann", "message": "hi"} x'),
    _card_bytes("two documents", b'{"author": "Ann", "message": "hi"}{"author": "Bob", "message": "hi"}'),
    _card_bytes("single quotes", b"{'author': 'Ann', 'message': 'hi'}"),
    _card_bytes("a comment", b'{"author": "Ann", /* who */ "message": "hi"}'),
    _card_bytes("NaN", b'{"author": "Ann", "message": "hi", "upload_id": NaN}'),
    _card_bytes("Infinity", b'{"author": "Ann", "message": "hi", "upload_id": -Infinity}'),
    _card_bytes("a repeated key", b'{"author": "Ann", "author": "Bob", "message": "hi"}'),
    _card_bytes("a byte order mark", b'\xef\xbb\xbf{"author": "Ann", "message": "hi"}'),
    _card_bytes("UTF-16", '{"author": "Ann", "message": "hi"}'.encode("utf-16")),
    _card_bytes("an invalid UTF-8 byte", b'{"author": "Ann\xff", "message": "hi"}'),
    _card_bytes("an overlong UTF-8 slash", b'{"author": "Ann\xc0\xaf", "message": "hi"}'),
    _card_bytes(
        "an integer of 5000 digits", b'{"author": "Ann", "message": "hi", "upload_id": ' + b"9" * 5000 + b"}"
    ),
    _card_bytes("a number beyond float", b'{"author": "Ann", "message": "hi", "upload_id": 1e400}'),
    _card_bytes("nested 2000 deep", _nested(2000)),
    _card_bytes("nested 100000 deep", _nested(100_000)),
    _card_bytes("null", b"null", UNREADABLE_JSON | INVALID_FIELDS),
    _card_bytes("an array", b'[{"author": "Ann", "message": "hi"}]', UNREADABLE_JSON | INVALID_FIELDS),
    _card_bytes("a string", b'"Ann: hi"', UNREADABLE_JSON | INVALID_FIELDS),
]

HUGE_BODIES = [
    # Valid JSON, valid fields, padded past the function's 16 KiB limit.
    _card_bytes("17 KiB of padding", b'{"author": "Ann", "message": "hi"' + b" " * 17_000 + b"}", TOO_LARGE),
    # Past API Gateway's 10 MB payload quota.
    _card_bytes("11 MiB message", b'{"author": "Ann", "message": "' + b"a" * (11 << 20) + b'"}', TOO_LARGE),
    _card("2000 unknown fields", {**A_VALID_CARD, **{f"k{i}": i for i in range(2000)}}),
    _card("a 5000-character message", {"author": "Ann", "message": "m" * 5000}),
]

CONTENT_TYPES = [
    Bad(f"Content-Type {name}", "POST", target, json.dumps(body).encode(), headers, NOT_JSON)
    for target, body in (
        ("/v1/postcards", A_VALID_CARD),
        ("/v1/uploads", {"content_type": "image/png", "size_bytes": 9}),
    )
    for name, headers in (
        ("missing", {}),
        ("text/plain", {"Content-Type": "text/plain"}),
        ("form", {"Content-Type": "application/x-www-form-urlencoded"}),
        ("multipart", {"Content-Type": "multipart/form-data; boundary=x"}),
        ("latin-1 json", {"Content-Type": "application/json; charset=latin-1"}),
        ("json-patch", {"Content-Type": "application/json-patch+json"}),
        ("xml", {"Content-Type": "application/xml"}),
    )
]

ODD_UNICODE = [
    _card("NUL in author", {"author": "Ann\u0000", "message": "hi"}),
    _card("NUL in message", {"author": "Ann", "message": "hi\u0000there"}),
    _card("bell in message", {"author": "Ann", "message": "ding\u0007"}),
    _card("escape sequence in author", {"author": "\u001b[31mAnn", "message": "hi"}),
    _card("C1 control in author", {"author": "Ann\u0085", "message": "hi"}),
    _card_bytes("lone high surrogate", b'{"author": "Ann \\ud800", "message": "hi"}', INVALID_FIELDS),
    _card_bytes("lone low surrogate", b'{"author": "Ann", "message": "\\udfff hi"}', INVALID_FIELDS),
    _card_bytes(
        "reversed surrogate pair", b'{"author": "Ann \\udc00\\ud800", "message": "hi"}', INVALID_FIELDS
    ),
    _card("right-to-left override", {"author": "Ann\u202egpj.exe", "message": "hi"}),
    _card("left-to-right embedding", {"author": "Ann", "message": "a\u202ab"}),
    _card("first strong isolate", {"author": "\u2068Ann", "message": "hi"}),
    _card("a line break inside a name", {"author": "Ann\nLee", "message": "hi"}),
    _card("only whitespace", {"author": "\u00a0\u3000\t", "message": "hi"}),
    _card("only line breaks", {"author": "Ann", "message": "\r\n\r\n"}),
    _card("a combining pile", {"author": "Z" + "\u0300" * 300, "message": "hi"}),
    _card("41 characters", {"author": "\U0001f600" * 41, "message": "hi"}),
]

INJECTIONS = [
    _card("an operator object as author", {"author": {"$gt": ""}, "message": "hi"}),
    _card("an array as message", {"author": "Ann", "message": ["hi", {"$where": "1"}]}),
    _card("a quote-breaking stamp", {**A_VALID_CARD, "stamp": 'x", "admin": true'}),
    _card("markup as stamp", {**A_VALID_CARD, "stamp": "<img src=x onerror=alert(1)>"}),
    _card("a path as upload id", {**A_VALID_CARD, "upload_id": "../../etc/passwd"}),
    _card("SQL as upload id", {**A_VALID_CARD, "upload_id": "' OR '1'='1"}),
    _card("__proto__", json.loads('{"author": "Ann", "message": "hi", "__proto__": {"admin": true}}')),
    _card("an id chosen by the client", {**A_VALID_CARD, "id": "0" * 32}),
    _card("a creation time chosen by the client", {**A_VALID_CARD, "created_at": "1970-01-01T00:00:00Z"}),
]

_UPLOAD = "/v1/uploads"
FORGED_UPLOAD_SLOTS = [
    Bad(f"upload {name}", "POST", _UPLOAD, json.dumps(body).encode(), JSON)
    for name, body in (
        ("of 0 bytes", {"content_type": "image/png", "size_bytes": 0}),
        ("of -1 bytes", {"content_type": "image/png", "size_bytes": -1}),
        ("of 5 MiB + 1", {"content_type": "image/png", "size_bytes": 5 * 1024 * 1024 + 1}),
        ("of 10^20 bytes", {"content_type": "image/png", "size_bytes": 10**20}),
        ("of 1.5 bytes", {"content_type": "image/png", "size_bytes": 1.5}),
        ("of '12' bytes", {"content_type": "image/png", "size_bytes": "12"}),
        ("as a GIF", {"content_type": "image/gif", "size_bytes": 10}),
        ("as SVG", {"content_type": "image/svg+xml", "size_bytes": 10}),
        ("as HTML", {"content_type": "text/html", "size_bytes": 10}),
        ("with a padded type", {"content_type": " IMAGE/PNG ", "size_bytes": 10}),
        (
            "with its own key",
            {"content_type": "image/png", "size_bytes": 10, "key": "uploads/../site/index.html"},
        ),
        ("without a size", {"content_type": "image/png"}),
        ("as an array", [{"content_type": "image/png", "size_bytes": 10}]),
    )
]

IDEMPOTENCY_KEYS = [
    Bad(
        f"Idempotency-Key {name}",
        "POST",
        "/v1/postcards",
        json.dumps(A_VALID_CARD).encode(),
        {**JSON, "Idempotency-Key": key},
        BAD_KEY,
    )
    for name, key in (
        ("of 256 characters", "k" * 256),
        ("in UTF-8", "ключ".encode().decode("latin-1")),
        ("with a space", "two words"),
        ("with a tab", "a\tb"),
    )
]

BAD_IDS = [
    Bad(f"{collection} id {name}", "GET", f"/v1/{collection}/{value}", allowed=NO_SUCH_ROUTE)
    for collection in ("postcards", "uploads")
    for name, value in (
        ("not hex", "not-an-id"),
        ("in upper case", "AB" * 16),
        ("31 long", "a" * 31),
        ("33 long", "a" * 33),
        ("a uuid with dashes", str(uuid.UUID(int=1))),
        ("SQL", "'%20OR%20'1'='1"),
        ("a traversal", "..%2F..%2Fetc%2Fpasswd"),
        ("a NUL", "a" * 31 + "%00"),
        ("a line feed", "a" * 32 + "%0A"),
        ("Arabic digits", "%D9%A3" * 32),
        ("9000 long", "a" * 9000),
    )
]

_LIST = "/v1/postcards"
BAD_QUERIES = [
    Bad(f"limit {value}", "GET", f"{_LIST}?limit={value}", allowed=BAD_QUERY)
    for value in (
        "0",
        "51",
        "-1",
        "abc",
        "1.5",
        "1e1",
        "0x10",
        "1;DROP%20TABLE%20postcards",
        "%D9%A3",
        "9" * 30,
    )
]


def _forged_cursor(payload: dict[str, object], signature: bytes = b"\x00" * 16) -> str:
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    return f"{b64(json.dumps(payload).encode())}.{b64(signature)}"


FORGED_CURSORS = [
    Bad(f"cursor {name}", "GET", f"{_LIST}?cursor={value}", allowed=BAD_CURSOR)
    for name, value in (
        ("with a zero signature", _forged_cursor({"v": 1, "k": "2026-01-01T00:00:00#x", "i": "a" * 32})),
        ("of another version", _forged_cursor({"v": 2, "k": "x", "i": "a" * 32})),
        ("without a signature", "eyJ2IjoxfQ"),
        ("with two dots", "a.b.c"),
        ("with padding", "eyJ2IjoxfQ==.AAAA"),
        ("of 600 characters", "a" * 600 + ".b"),
        ("as markup", "%3Cscript%3Ealert(1)%3C/script%3E"),
        ("with a NUL", "a%00.b"),
        ("of SQL", "1'%20OR%20'1'='1.x"),
    )
]

WRONG_METHODS = [
    Bad(
        f"{method} {path}",
        method,
        path,
        json.dumps(A_VALID_CARD).encode() if method != "DELETE" else None,
        JSON,
        NO_SUCH_ROUTE,
    )
    for method, path in (
        ("PUT", "/v1/postcards"),
        ("PATCH", "/v1/postcards"),
        ("DELETE", "/v1/postcards"),
        ("POST", f"/v1/postcards/{'a' * 32}"),
        ("PUT", f"/v1/postcards/{'a' * 32}"),
        ("DELETE", f"/v1/postcards/{'a' * 32}"),
        ("PUT", "/v1/uploads"),
        ("GET", "/v1/uploads"),
        ("POST", f"/v1/uploads/{'a' * 32}"),
        ("POST", "/v1/health"),
        ("DELETE", "/v1/instance"),
    )
] + [
    Bad(f"GET {path}", "GET", path, allowed=NO_SUCH_ROUTE)
    for path in ("/v1/nope", "/v2/postcards", f"/v1/postcards/{'a' * 32}/photo", "/v1", "/")
]

ALL = (
    MALFORMED_JSON
    + HUGE_BODIES
    + CONTENT_TYPES
    + ODD_UNICODE
    + INJECTIONS
    + FORGED_UPLOAD_SLOTS
    + IDEMPOTENCY_KEYS
    + BAD_IDS
    + BAD_QUERIES
    + FORGED_CURSORS
    + WRONG_METHODS
)

"""A subset of X-Ray filter expressions, for GetTraceSummaries' ``FilterExpression``.

Follows https://docs.aws.amazon.com/xray/latest/devguide/xray-console-filters.html. Supported:

- booleans ``ok``, ``error``, ``fault``, ``throttle``, ``partial``, alone or compared (``fault = true``);
- numbers ``duration``, ``responsetime`` (seconds), ``http.status`` with ``= != < <= > >=``;
- strings ``http.url``, ``http.method``, ``http.useragent``, ``http.clientip``, ``user`` with
  ``= !=`` and ``CONTAINS``, ``BEGINSWITH``, ``ENDSWITH``;
- ``annotation.key`` or ``annotation[key]`` compared with a string, number or boolean;
- ``service("name")``, optionally followed by ``{ expression }`` evaluated on that service's segments;
- ``AND`` / ``&&``, ``OR`` / ``||``, ``NOT`` / ``!`` and parentheses.

On a whole trace, flags and annotations match anywhere in it; ``http.*`` and ``responsetime`` are the
entry point's, ``duration`` is the whole trace's. Anything else (``edge()``, ``rootcause``, ``json``,
groups...) is refused with an error naming it, rather than silently matching nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from local.services.xray.documents import Document, duration, walk


class InvalidFilter(ValueError):
    pass


@dataclass(frozen=True)
class Scope:
    """What one evaluation looks at: a whole trace, or one service's segment in it."""

    segments: list[Document]
    root: Document | None
    duration: float
    partial: bool

    def nodes(self) -> Iterator[Document]:
        for segment in self.segments:
            yield from walk(segment)


Predicate = Callable[[Scope], bool]

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<annotation>annotation\[(?P<key>[^\]]+)\])
      | (?P<op>!=|<=|>=|&&|\|\||[=<>!(){},:])
      | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
    )""",
    re.VERBOSE,
)
_BOOLEANS = ("ok", "error", "fault", "throttle", "partial")
_NUMBERS = ("duration", "responsetime", "http.status")
_STRINGS = {
    "http.url": "url",
    "http.method": "method",
    "http.useragent": "user_agent",
    "http.clientip": "client_ip",
}
_STRING_OPS = ("=", "!=", "contains", "beginswith", "endswith")
_NUMBER_OPS = ("=", "!=", "<", "<=", ">", ">=")
SUPPORTED = (
    "ok, error, fault, throttle, partial, duration, responsetime, http.status, http.url, http.method, "
    'http.useragent, http.clientip, user, annotation.KEY, annotation[KEY], service("NAME") { ... }, '
    "AND/OR/NOT, parentheses"
)


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str


def _tokens(expression: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(expression):
        if expression[position:].strip() == "":
            break
        match = _TOKEN.match(expression, position)
        if match is None:
            raise InvalidFilter(f"cannot read the filter expression at {expression[position:][:20]!r}")
        kind = match.lastgroup
        text = match["key"] if kind == "annotation" else match[kind or "word"]
        tokens.append(_Token(kind or "word", text))
        position = match.end()
    return tokens


def parse(expression: str) -> Predicate:
    """A predicate over a Scope, or InvalidFilter naming what is wrong or unsupported."""
    parser = _Parser(_tokens(expression))
    if not parser.tokens:
        return lambda scope: True
    predicate = parser.expression()
    if parser.peek() is not None:
        raise InvalidFilter(f"unexpected {parser.peek().text!r} in the filter expression")  # type: ignore[union-attr]
    return predicate


class _Parser:
    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.position = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise InvalidFilter("the filter expression ends too early")
        self.position += 1
        return token

    def expect(self, text: str) -> None:
        token = self.take()
        if token.text != text:
            raise InvalidFilter(f"expected {text!r}, found {token.text!r}")

    def _at_word(self, *words: str) -> bool:
        token = self.peek()
        return token is not None and token.text.lower() in words

    def expression(self) -> Predicate:
        left = self.term()
        while self._at_word("or", "||"):
            self.take()
            right = self.term()
            left = _either(left, right)
        return left

    def term(self) -> Predicate:
        left = self.factor()
        while self._at_word("and", "&&"):
            self.take()
            right = self.factor()
            left = _both(left, right)
        return left

    def factor(self) -> Predicate:
        if self._at_word("not", "!"):
            self.take()
            inner = self.factor()
            return lambda scope: not inner(scope)
        if self._at_word("("):
            self.take()
            inner = self.expression()
            self.expect(")")
            return inner
        return self.predicate()

    def predicate(self) -> Predicate:
        token = self.take()
        if token.kind == "annotation":
            return self._annotation(token.text)
        if token.kind != "word":
            raise InvalidFilter(f"expected a keyword, found {token.text!r}")
        word = token.text.lower()
        if word == "service":
            return self._service()
        if word in _BOOLEANS:
            return self._boolean(word)
        if word in _NUMBERS:
            op, value = self._comparison(_NUMBER_OPS)
            if not isinstance(value, float):
                raise InvalidFilter(f"{word} compares with a number")
            return _numeric(word, op, value)
        if word in _STRINGS or word == "user":
            op, value = self._comparison(_STRING_OPS)
            if not isinstance(value, str):
                raise InvalidFilter(f"{word} compares with a quoted string")
            return _textual(word, op, value)
        if word.startswith("annotation."):
            return self._annotation(token.text[len("annotation.") :])
        raise InvalidFilter(f"{token.text!r} is not supported by the local X-Ray (supported: {SUPPORTED})")

    def _comparison(self, operators: tuple[str, ...]) -> tuple[str, Any]:
        op = self.take().text.lower()
        if op not in operators:
            raise InvalidFilter(f"operator {op!r} is not one of {', '.join(operators)} here")
        token = self.take()
        if token.kind == "string":
            return op, _unquote(token.text)
        if token.kind == "number":
            return op, float(token.text)
        if token.text.lower() in ("true", "false"):
            return op, token.text.lower() == "true"
        raise InvalidFilter(f"expected a value after {op!r}, found {token.text!r}")

    def _boolean(self, word: str) -> Predicate:
        flag = _flag(word)
        if self.peek() is None or self.peek().text not in ("=", "!="):  # type: ignore[union-attr]
            return flag
        op, value = self._comparison(("=", "!="))
        if not isinstance(value, bool):
            raise InvalidFilter(f"{word} compares with true or false")
        wanted = value if op == "=" else not value
        return lambda scope: flag(scope) == wanted

    def _annotation(self, key: str) -> Predicate:
        op, value = self._comparison(tuple(dict.fromkeys(_STRING_OPS + _NUMBER_OPS)))
        compare = _comparer(op, value)
        return lambda scope: any(
            key in (node.get("annotations") or {}) and compare(node["annotations"][key])
            for node in scope.nodes()
        )

    def _service(self) -> Predicate:
        self.expect("(")
        token = self.take()
        if token.kind != "string":
            raise InvalidFilter('service() takes a quoted service name here, as in service("name")')
        name = _unquote(token.text)
        self.expect(")")
        inner: Predicate | None = None
        if self._at_word("{"):
            self.take()
            inner = self.expression()
            self.expect("}")
        return _in_service(name, inner)


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])


def _either(left: Predicate, right: Predicate) -> Predicate:
    return lambda scope: left(scope) or right(scope)


def _both(left: Predicate, right: Predicate) -> Predicate:
    return lambda scope: left(scope) and right(scope)


def _flag(word: str) -> Predicate:
    if word == "partial":
        return lambda scope: scope.partial
    if word == "ok":
        return lambda scope: (
            not any(
                node.get(flag) is True for node in scope.nodes() for flag in ("error", "fault", "throttle")
            )
        )
    return lambda scope: any(node.get(word) is True for node in scope.nodes())


def _http(scope: Scope) -> dict[str, Any]:
    http = (scope.root or {}).get("http")
    return http if isinstance(http, dict) else {}


def _numeric(word: str, op: str, value: float) -> Predicate:
    compare = _comparer(op, value)

    def measure(scope: Scope) -> float | None:
        if word == "duration":
            return scope.duration
        if word == "responsetime":
            return duration(scope.root) if scope.root is not None else None
        status = (_http(scope).get("response") or {}).get("status")
        return float(status) if isinstance(status, int | float) else None

    return lambda scope: compare(measure(scope))


def _textual(word: str, op: str, value: str) -> Predicate:
    compare = _comparer(op, value)
    if word == "user":
        return lambda scope: any(compare(node.get("user")) for node in scope.segments)
    field = _STRINGS[word]
    return lambda scope: compare((_http(scope).get("request") or {}).get(field))


def _comparer(op: str, expected: Any) -> Callable[[Any], bool]:
    """A test of one value against ``expected``; a value of another type never matches."""
    if op in ("<", "<=", ">", ">=") and not _is_number(expected):
        raise InvalidFilter(f"operator {op!r} compares numbers")
    if op in ("contains", "beginswith", "endswith") and not isinstance(expected, str):
        raise InvalidFilter(f"operator {op.upper()} compares strings")

    def same_kind(actual: Any) -> bool:
        if isinstance(expected, bool):
            return isinstance(actual, bool)
        if isinstance(expected, str):
            return isinstance(actual, str)
        return _is_number(actual)

    test = _OPERATORS[op]
    return lambda actual: same_kind(actual) and test(actual, expected)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: bool(a == b),
    "!=": lambda a, b: bool(a != b),
    "<": lambda a, b: bool(a < b),
    "<=": lambda a, b: bool(a <= b),
    ">": lambda a, b: bool(a > b),
    ">=": lambda a, b: bool(a >= b),
    "contains": lambda a, b: b in a,
    "beginswith": lambda a, b: bool(a.startswith(b)),
    "endswith": lambda a, b: bool(a.endswith(b)),
}


def _in_service(name: str, inner: Predicate | None) -> Predicate:
    def matches(scope: Scope) -> bool:
        segments = [s for s in scope.segments if s.get("name") == name]
        if inner is None:
            return bool(segments)
        return any(inner(Scope([s], s, duration(s), s.get("in_progress") is True)) for s in segments)

    return matches

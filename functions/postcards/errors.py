"""The API's error vocabulary: one exception type, rendered as ``{"error": {...}}`` by the handler.

Routes raise ``ApiError`` (or a helper below) for every expected failure; anything else is a bug or
an AWS fault and becomes a generic 500/503 in ``handler`` after being logged with its stack.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

# A body of thousands of unknown fields must not be echoed back whole: a 422 names this many
# problems at most (the OpenAPI document's maxItems for error.details) and counts the rest.
MAX_DETAILS: Final = 20


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


@dataclass
class ApiError(Exception):
    status: int
    code: str
    message: str
    details: list[FieldError] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def body(self, request_id: str | None) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message, "request_id": request_id}
        if self.details:
            error["details"] = [detail.as_dict() for detail in self.details]
        return {"error": error}


def bad_request(message: str, code: str = "bad_request") -> ApiError:
    return ApiError(400, code, message)


def not_found(message: str) -> ApiError:
    return ApiError(404, "not_found", message)


def conflict(code: str, message: str, *, retry_after: int | None = None) -> ApiError:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    return ApiError(409, code, message, headers=headers)


def unprocessable(code: str, message: str) -> ApiError:
    return ApiError(422, code, message)


def invalid_fields(errors: list[FieldError]) -> ApiError:
    shown = errors[:MAX_DETAILS]
    message = "; ".join(f"{error.field}: {error.message}" for error in shown)
    if len(errors) > len(shown):
        message += f"; and {len(errors) - len(shown)} more"
    return ApiError(422, "validation_error", message, details=shown)


def unavailable(message: str = "the service is busy; try again shortly") -> ApiError:
    return ApiError(503, "service_unavailable", message, headers={"Retry-After": "1"})

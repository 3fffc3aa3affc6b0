"""405 Method Not Allowed for a known path asked with a method it does not serve.

Powertools answers any unmatched method with 404; registering the other methods explicitly makes
the answer 405 with an ``Allow`` header, as HTTP asks. OPTIONS stays with the CORS preflight.
"""

from __future__ import annotations

from typing import Final

from aws_lambda_powertools.event_handler.api_gateway import Router

from postcards.errors import ApiError

METHODS: Final = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def refuse_other_methods(router: Router, rule: str, allowed: tuple[str, ...]) -> None:
    allow = ", ".join(allowed)

    def method_not_allowed(**_path_parameters: str) -> None:
        method = router.current_event.http_method.upper()
        raise ApiError(
            405,
            "method_not_allowed",
            f"{method} is not allowed here; allowed: {allow}",
            headers={"Allow": allow},
        )

    router.route(rule, method=[method for method in METHODS if method not in allowed])(method_not_allowed)

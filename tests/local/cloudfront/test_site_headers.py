"""Which security headers the CloudFront stand-in sends."""

from __future__ import annotations

from typing import Any

from local.services.cloudfront.loader import _response_headers
from local.services.cloudfront.models import Behavior
from local.terraform_state import TerraformState

CSP = "default-src 'self'; connect-src 'self' http://api.postcards.localhost:4580"
OUTPUT = {"Content-Security-Policy": CSP, "X-Frame-Options": "DENY"}


class NoCloudFront:
    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"no policy to read, yet CloudFront's {name} was called")


def _behaviors(policy_id: str | None) -> list[Behavior]:
    return [
        Behavior("/media/*", "media", frozenset({"GET", "HEAD"}), True, None, policy_id),
        Behavior(None, "site", frozenset({"GET", "HEAD"}), True, None, policy_id),
    ]


def test_without_a_headers_policy_the_roots_output_is_sent_on_every_behaviour() -> None:
    # Given a distribution whose behaviours name no headers policy (the local cloud's) and a state
    # with the root's site_security_headers output
    state = TerraformState((), {"site_security_headers": OUTPUT})
    sources: dict[str, str] = {}
    # When the stand-in works out the headers
    headers = _response_headers(NoCloudFront(), state, _behaviors(None), sources)
    # Then every behaviour (the "" key) gets the output's headers, overriding the origin's
    assert headers[""] == (("Content-Security-Policy", CSP, True), ("X-Frame-Options", "DENY", True))
    assert sources["response headers policy"] == "Terraform output site_security_headers"


def test_a_headers_policy_wins_over_the_output() -> None:
    # Given behaviours with a policy the control plane does not know, and no such policy in the state
    state = TerraformState((), {"site_security_headers": OUTPUT})

    class Missing:
        def get_response_headers_policy(self, **_: Any) -> Any:
            from botocore.exceptions import ClientError

            raise ClientError({"Error": {"Code": "NoSuchResponseHeadersPolicy"}}, "GetResponseHeadersPolicy")

    # When the stand-in works out the headers
    headers = _response_headers(Missing(), state, _behaviors("policy-1"), {})
    # Then the output is not applied in its place (AWS would send the policy's headers, not these)
    assert headers == {}


def test_without_policy_or_output_nothing_is_added() -> None:
    headers = _response_headers(NoCloudFront(), TerraformState.empty(), _behaviors(None), {})

    assert headers == {}

"""Build a ``Distribution`` from what Terraform deployed.

Primary source: the control plane (moto) through the CloudFront API, as the AWS console would read
it: origins, behaviours, default root object, error responses and the functions' code. moto drops
function associations and has no response headers policies; those come from the Terraform state
(what Terraform sent), when a state file is given. ``Distribution.sources`` records which source each
part came from. Synchronous (boto3): run it off the event loop.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from local.aws_clients import control_plane_client
from local.services.cloudfront import headers_policy
from local.services.cloudfront.models import Behavior, Distribution, PolicyHeader
from local.terraform_state import TerraformState

log = logging.getLogger("local.services.cloudfront")

_S3_DOMAIN = re.compile(r"^(?P<bucket>.+?)\.s3(?:[.-](?:dualstack\.)?[a-z0-9-]+)?\.amazonaws\.com$")


def _items(container: Any) -> list[Any]:
    return list((container or {}).get("Items") or [])


def _behavior(raw: dict[str, Any], path_pattern: str | None) -> Behavior:
    return Behavior(
        path_pattern=path_pattern,
        origin_id=raw["TargetOriginId"],
        allowed_methods=frozenset(_items(raw.get("AllowedMethods")) or ("GET", "HEAD")),
        compress=bool(raw.get("Compress")),
        response_headers_policy_id=raw.get("ResponseHeadersPolicyId") or None,
        viewer_protocol_policy=raw.get("ViewerProtocolPolicy") or "allow-all",
    )


def read_distribution(
    aws_endpoint_url: str, region: str, state: TerraformState, *, alias: str | None = None
) -> tuple[Distribution, dict[str, str]]:
    """The distribution (the one with ``alias`` among its aliases, else the only one) and the code
    of its viewer-request functions by ARN. Blocking (boto3)."""
    cloudfront = control_plane_client("cloudfront", aws_endpoint_url, region)
    summaries = _items(cloudfront.list_distributions().get("DistributionList"))
    if not summaries:
        raise LookupError("the control plane holds no CloudFront distribution")
    chosen = next((s for s in summaries if alias and alias in _items(s.get("Aliases"))), None)
    if chosen is None:
        if len(summaries) > 1:
            raise LookupError(f"{len(summaries)} distributions and none has the alias {alias!r}")
        chosen = summaries[0]
    config = cloudfront.get_distribution_config(Id=chosen["Id"])["DistributionConfig"]
    sources = {"origins, behaviours, root object, error responses": "control plane"}

    origins = {}
    for origin in _items(config.get("Origins")):
        match = _S3_DOMAIN.match(origin["DomainName"])
        if match is None:
            log.warning(
                "origin %s (%s) is not an S3 bucket; not served locally", origin["Id"], origin["DomainName"]
            )
            continue
        origins[origin["Id"]] = (match["bucket"], origin.get("OriginPath") or "")
    behaviors = [_behavior(raw, raw.get("PathPattern")) for raw in _items(config.get("CacheBehaviors"))]
    behaviors.append(_behavior(config["DefaultCacheBehavior"], None))

    # moto drops function associations: take them from what Terraform sent.
    state_distribution = next(
        (a for a in state.of_type("aws_cloudfront_distribution") if a.get("id") == chosen["Id"]), None
    )
    if state_distribution is not None:
        behaviors = _with_state_functions(behaviors, state_distribution)
        sources["function associations"] = "Terraform state"
    functions = _function_code(cloudfront, state, behaviors, sources)
    response_headers = _response_headers(cloudfront, state, behaviors, sources)

    # The aliases' certificate and security policy (CloudFront's own *.cloudfront.net one has none).
    viewer = config.get("ViewerCertificate") or {}
    errors = {}
    for item in _items(config.get("CustomErrorResponses")):
        code = item.get("ResponseCode")
        errors[int(item["ErrorCode"])] = (item.get("ResponsePagePath") or "", int(code) if code else None)
    distribution = Distribution(
        id=chosen["Id"],
        domain_name=chosen.get("DomainName", ""),
        aliases=tuple(_items(chosen.get("Aliases"))),
        default_root_object=config.get("DefaultRootObject") or "",
        origins=origins,
        behaviors=tuple(behaviors),
        custom_error_responses=errors,
        response_headers=response_headers,
        sources=sources,
        certificate_arn=viewer.get("ACMCertificateArn") or None,
        minimum_protocol_version=viewer.get("MinimumProtocolVersion") or None,
    )
    return distribution, functions


def _with_state_functions(behaviors: list[Behavior], attributes: dict[str, Any]) -> list[Behavior]:
    def viewer_request(raw: dict[str, Any]) -> str | None:
        for association in raw.get("function_association") or []:
            if association.get("event_type") == "viewer-request":
                return str(association["function_arn"])
        return None

    by_pattern: dict[str | None, str | None] = {
        raw.get("path_pattern"): viewer_request(raw) for raw in attributes.get("ordered_cache_behavior") or []
    }
    for raw in attributes.get("default_cache_behavior") or []:
        by_pattern[None] = viewer_request(raw)
    return [dataclasses.replace(b, viewer_request_function=by_pattern.get(b.path_pattern)) for b in behaviors]


def _function_code(
    cloudfront: Any, state: TerraformState, behaviors: list[Behavior], sources: dict[str, str]
) -> dict[str, str]:
    code = {}
    for arn in {b.viewer_request_function for b in behaviors if b.viewer_request_function}:
        name = arn.rsplit("/", 1)[-1]
        try:
            raw = cloudfront.get_function(Name=name)["FunctionCode"].read()
            code[arn] = raw.decode() if isinstance(raw, bytes) else str(raw)
            sources["function code"] = "control plane"
        except (BotoCoreError, ClientError):
            found = next(
                (a["code"] for a in state.of_type("aws_cloudfront_function") if a.get("arn") == arn), None
            )
            if found is None:
                log.warning("CloudFront function %s: no code in the control plane or the state", arn)
                continue
            code[arn] = found
            sources["function code"] = "Terraform state"
    return code


def _response_headers(
    cloudfront: Any, state: TerraformState, behaviors: list[Behavior], sources: dict[str, str]
) -> dict[str, tuple[PolicyHeader, ...]]:
    headers = {}
    for policy_id in {b.response_headers_policy_id for b in behaviors if b.response_headers_policy_id}:
        try:
            config = cloudfront.get_response_headers_policy(Id=policy_id)["ResponseHeadersPolicy"][
                "ResponseHeadersPolicyConfig"
            ]
            headers[policy_id] = tuple(headers_policy.from_api(config))
            sources["response headers policy"] = "control plane"
        except (BotoCoreError, ClientError):
            found = next(
                (
                    a
                    for a in state.of_type("aws_cloudfront_response_headers_policy")
                    if a.get("id") == policy_id
                ),
                None,
            )
            if found is None:
                log.warning(
                    "response headers policy %s: not in the control plane or the state; not applied",
                    policy_id,
                )
                continue
            headers[policy_id] = tuple(headers_policy.from_state(found))
            sources["response headers policy"] = "Terraform state"
    if not any(b.response_headers_policy_id for b in behaviors):
        # Where the control plane lacks response headers policies (the local cloud), the root leaves
        # the policy out and gives its headers as an output instead, for stand-ins like this one.
        given = state.outputs.get("site_security_headers")
        if isinstance(given, Mapping) and given:
            headers[""] = tuple((str(name), str(value), True) for name, value in given.items())
            sources["response headers policy"] = "Terraform output site_security_headers"
    return headers

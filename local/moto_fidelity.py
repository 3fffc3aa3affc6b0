"""Fixes to moto's models where they differ from AWS in ways the local cloud would show.

Installed in the control-plane process before it serves. Most keep a field AWS returns as it was
sent; without them, every ``terraform plan`` against the local cloud proposes the same update again
(and a re-``make up`` is never a no-change apply).

- Lambda (moto 5.2): GetFunction leaves out ``Concurrency`` when the reserved concurrency is 0 (a
  function switched off), so a reader would think it unlimited. Event invoke configurations ignore
  the ``Qualifier``, and Put appends while Get answers the first one ever stored: they are kept per
  qualifier here (``$LATEST`` when none is given), Put replaces and Update merges, as on AWS; the
  executor reads the alias's to decide retries and destinations.
- CloudFront (moto 5.2): cache behaviours drop their function and Lambda@Edge associations and
  invent ``ForwardedValues`` when a cache policy is used; origins drop ``OriginAccessControlId``;
  the viewer certificate claims ``CloudFrontDefaultCertificate`` next to an ACM certificate.
  (``CacheBehaviour.__init__`` calls ``DefaultCacheBehaviour.__init__``, so one patch covers the
  default behaviour and every path-pattern behaviour.)
- S3 (moto 5.2): deleting the last versions of a key that also has a delete marker (what
  ``force_destroy`` does to a versioned bucket) raises AttributeError (``FakeDeleteMarker`` has no
  ``dispose``), so DeleteObjects fails with a 500 forever; a delete marker holds no data, so disposing
  of it is a no-op.
- EventBridge (moto 5.2): a rule with no event pattern (a scheduled rule) matches every event sent
  to its bus, and PutEvents then fails with a 500 on the rule's Lambda target. On AWS a scheduled
  rule never matches an event (the local cloud's schedules fire it).

This is the one patch set: the local control plane installs it, and so does the Terraform apply test
(it runs the same control plane).
"""

from __future__ import annotations

import json
import time
from typing import Any

_installed = False


def install() -> None:
    global _installed  # noqa: PLW0603 - patch once per process
    if _installed:
        return
    _installed = True
    _lambda()
    _lambda_event_invoke_configs()
    _cloudfront()
    _s3()
    _events()


def _lambda() -> None:
    from moto.awslambda.models import LambdaFunction

    get_code = LambdaFunction.get_code

    def get_code_with_zero_concurrency(self: Any) -> dict[str, Any]:
        document = get_code(self)
        if self.reserved_concurrency is not None and "Concurrency" not in document:
            document["Concurrency"] = {"ReservedConcurrentExecutions": int(self.reserved_concurrency)}
        return document

    LambdaFunction.get_code = get_code_with_zero_concurrency  # type: ignore[method-assign]


def _lambda_event_invoke_configs() -> None:
    from urllib.parse import unquote

    from moto.awslambda.exceptions import UnknownEventConfig
    from moto.awslambda.models import EventInvokeConfig
    from moto.awslambda.responses import LambdaResponse

    def target(response: Any, segments_after_name: int = 1) -> tuple[Any, str, dict[str, Any]]:
        """(the function, the qualifier, its stored configurations) of a request."""
        name = unquote(response.path.rsplit("/", segments_after_name + 1)[1])
        qualifier = response.querystring.get("Qualifier", [None])[0] or "$LATEST"
        function = response.backend.get_function(name)
        return function, qualifier, function.__dict__.setdefault("local_event_invoke_configs", {})

    def store(response: Any, merge: bool) -> tuple[int, dict[str, str], str]:
        function, qualifier, configs = target(response)
        given = dict(response.json_body)
        if merge and qualifier in configs:
            given = {**configs[qualifier].config, **given}
        # LastModified is this configuration's, in epoch seconds as REST-JSON timestamps go (moto's
        # own answer carries the function's as a string, which the AWS SDK for Go refuses).
        config = EventInvokeConfig(f"{function.function_arn}:{qualifier}", time.time(), given)  # type: ignore[arg-type]
        configs[qualifier] = config
        return 200, {}, json.dumps(config.response())

    def get(self: Any) -> tuple[int, dict[str, str], str]:
        function, qualifier, configs = target(self)
        if qualifier not in configs:
            raise UnknownEventConfig(f"{function.function_arn}:{qualifier}")
        return 200, {}, json.dumps(configs[qualifier].response())

    def delete(self: Any) -> tuple[int, dict[str, str], str]:
        function, qualifier, configs = target(self)
        if configs.pop(qualifier, None) is None:
            raise UnknownEventConfig(f"{function.function_arn}:{qualifier}")
        return 204, {}, ""

    def list_all(self: Any) -> tuple[int, dict[str, str], str]:
        _, _, configs = target(self, segments_after_name=2)
        return 200, {}, json.dumps({"FunctionEventInvokeConfigs": [c.response() for c in configs.values()]})

    def put(self: Any) -> tuple[int, dict[str, str], str]:
        return store(self, merge=False)

    def update(self: Any) -> tuple[int, dict[str, str], str]:
        return store(self, merge=True)

    patched: Any = LambdaResponse  # moto types these as ActionResult / str; a tuple is served alike
    patched.put_function_event_invoke_config = put
    patched.update_function_event_invoke_config = update
    patched.get_function_event_invoke_config = get
    patched.delete_function_event_invoke_config = delete
    patched.list_function_event_invoke_configs = list_all


def _cloudfront() -> None:
    from moto.cloudfront import models

    behaviour_init = models.DefaultCacheBehaviour.__init__

    def cache_behaviour(self: Any, config: dict[str, Any]) -> None:
        behaviour_init(self, config)
        if config.get("FunctionAssociations"):
            self.function_associations = config["FunctionAssociations"]
        if config.get("LambdaFunctionAssociations"):
            self.lambda_function_associations = config["LambdaFunctionAssociations"]
        if "ForwardedValues" not in config:  # a cache policy decides instead (legacy field unset)
            self.forwarded_values = None

    origin_init = models.Origin.__init__

    def origin(self: Any, config: dict[str, Any]) -> None:
        origin_init(self, config)
        self.origin_access_control_id = config.get("OriginAccessControlId") or ""

    certificate_init = models.ViewerCertificate.__init__

    def viewer_certificate(self: Any, config: dict[str, Any]) -> None:
        certificate_init(self, config)
        if "CloudFrontDefaultCertificate" not in config and (
            config.get("ACMCertificateArn") or config.get("IAMCertificateId")
        ):
            self.cloud_front_default_certificate = False
            self.certificate_source = "acm" if config.get("ACMCertificateArn") else "iam"

    models.DefaultCacheBehaviour.__init__ = cache_behaviour  # type: ignore[method-assign]
    models.Origin.__init__ = origin  # type: ignore[method-assign,assignment]
    models.ViewerCertificate.__init__ = viewer_certificate  # type: ignore[method-assign]


def _s3() -> None:
    from moto.s3.models import FakeDeleteMarker

    if hasattr(FakeDeleteMarker, "dispose"):  # a later moto has it
        return

    def dispose(self: Any, garbage: bool = False) -> None:
        """A delete marker owns no buffer: nothing to release."""

    FakeDeleteMarker.dispose = dispose  # type: ignore[attr-defined]


def _events() -> None:
    from moto.events.models import Rule

    send_to_targets = Rule.send_to_targets

    def send_when_matched(self: Any, event: Any, transform_input: bool = True) -> None:
        if not self.event_pattern.get_pattern():
            return  # a scheduled rule: events never match it
        send_to_targets(self, event, transform_input)

    Rule.send_to_targets = send_when_matched  # type: ignore[method-assign,assignment]

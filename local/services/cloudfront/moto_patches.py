"""CloudFront in moto (5.2), made to keep the distribution fields Terraform sends.

Runs inside the control-plane process; ``local.controlplane.patches`` calls ``install()`` before it
serves. Without it, every ``terraform plan`` against the local cloud proposes the same update of the
distribution again (and a re-``make up`` is never a no-change apply):

- cache behaviours drop their function and Lambda@Edge associations and invent ``ForwardedValues``
  when a cache policy is used (``CacheBehaviour.__init__`` calls ``DefaultCacheBehaviour.__init__``,
  so one patch covers the default behaviour and every path-pattern behaviour);
- origins drop ``OriginAccessControlId``;
- the viewer certificate claims ``CloudFrontDefaultCertificate`` next to an ACM certificate.
"""

from __future__ import annotations

from typing import Any


def install() -> None:
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

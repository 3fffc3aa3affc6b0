"""moto server with the gaps of moto 5.2 that break `terraform apply/plan/destroy` closed.

moto stores a distribution but drops parts of what it was given, so every later `terraform plan`
wants to put them back (a plan that never settles):

- an origin's ``OriginAccessControlId`` (the distribution reads the buckets through OAC),
- the cache behaviours' ``FunctionAssociations`` (the /media prefix function),
- and it invents ``ForwardedValues`` and ``CloudFrontDefaultCertificate=true`` that were not sent
  (this stack uses cache policies and an ACM certificate).

The CloudFront patches keep what was sent and invent nothing, the way CloudFront does. One S3 patch:
deleting the last versions of a key that also has a delete marker (what ``force_destroy`` does to a
versioned bucket) raises AttributeError in moto (``FakeDeleteMarker`` has no ``dispose``), so the
DeleteObjects call fails with 500 forever; a delete marker holds no data, so disposing of it is a
no-op. Only those models are touched. Run ``python -m tests.terraform.moto_compat -H HOST -p PORT``
(moto_server's arguments).
"""

from __future__ import annotations

import sys
from typing import Any

from moto.cloudfront import models
from moto.s3 import models as s3_models


def _patch_origin() -> None:
    original = models.Origin.__init__

    def init(self: Any, origin: dict[str, Any]) -> None:
        original(self, origin)
        self.origin_access_control_id = origin.get("OriginAccessControlId", "")

    models.Origin.__init__ = init  # type: ignore[method-assign]


def _patch_cache_behaviour(cls: type) -> None:
    original = cls.__init__

    def init(self: Any, config: dict[str, Any]) -> None:
        original(self, config)
        self.function_associations = config.get("FunctionAssociations") or {"Quantity": 0}
        if "ForwardedValues" not in config:
            self.forwarded_values = None

    cls.__init__ = init  # type: ignore[misc]


def _patch_viewer_certificate() -> None:
    original = models.ViewerCertificate.__init__

    def init(self: Any, config: dict[str, Any]) -> None:
        original(self, config)
        uses_own_certificate = bool(config.get("ACMCertificateArn") or config.get("IAMCertificateId"))
        self.cloud_front_default_certificate = config.get(
            "CloudFrontDefaultCertificate", not uses_own_certificate
        )
        if uses_own_certificate:
            self.certificate_source = "acm" if config.get("ACMCertificateArn") else "iam"

    models.ViewerCertificate.__init__ = init  # type: ignore[method-assign]


def _patch_delete_marker() -> None:
    if not hasattr(s3_models.FakeDeleteMarker, "dispose"):

        def dispose(self: Any, garbage: bool = False) -> None:
            """A delete marker owns no buffer: nothing to release."""

        s3_models.FakeDeleteMarker.dispose = dispose  # type: ignore[attr-defined]


def apply_patches() -> None:
    _patch_origin()
    _patch_cache_behaviour(models.DefaultCacheBehaviour)
    _patch_cache_behaviour(models.CacheBehaviour)
    _patch_viewer_certificate()
    _patch_delete_marker()


def main() -> None:
    """moto_server's own command line, with the patches applied first."""
    apply_patches()
    from moto.server import main as moto_server

    moto_server(sys.argv[1:])


if __name__ == "__main__":
    main()

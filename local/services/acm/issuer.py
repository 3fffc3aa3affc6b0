"""Leaves from the local CA for the ACM certificates in the control plane, as ACM issues them.

For each certificate requested (in the local region and in us-east-1, where CloudFront's live), a
leaf with the certificate's domain name and subject alternative names is issued once the certificate
is validated (``validation``: its DNS records are in the hosted zone), and only then: a certificate
that never validated is never served. Leaves are kept under ``<state>/tls/acm/`` and reused by the
next ``make up`` while they are the CA's, name the same names and are not due for renewal
(``LocalCA.ensure``); otherwise a new one is issued. moto marks certificates ISSUED after a timer,
whatever the DNS holds: its status is not what is followed here.

https://docs.aws.amazon.com/acm/latest/userguide/dns-validation.html
https://docs.aws.amazon.com/acm/latest/userguide/managed-renewal.html
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local.aws_clients import control_plane_client
from local.services.acm.validation import HostedZone, Record, RequestedCertificate, dns_name, missing_records
from local.tls.authority import LeafFiles, LocalCA, NotPermitted

log = logging.getLogger("local.services.acm")

CLOUDFRONT_REGION = "us-east-1"  # CloudFront takes certificates from here only


@dataclass(frozen=True)
class CertificateStatus:
    """One certificate as the local cloud serves it: its leaf, or why there is none."""

    arn: str
    names: tuple[str, ...]
    leaf: LeafFiles | None
    problems: tuple[str, ...] = ()
    issued_now: bool = False  # a new leaf (else one kept from before)

    def to_json(self) -> dict[str, Any]:
        return {
            "arn": self.arn,
            "names": list(self.names),
            "served": self.leaf is not None,
            "leaf": str(self.leaf.certificate) if self.leaf else None,
            "problems": list(self.problems),
        }


class AcmIssuer:
    def __init__(self, ca: LocalCA, folder: Path, aws_endpoint_url: str, regions: Iterable[str]) -> None:
        self.ca = ca
        self.folder = folder
        self._endpoint = aws_endpoint_url
        self._regions = tuple(dict.fromkeys([*regions, CLOUDFRONT_REGION]))
        self.certificates: dict[str, CertificateStatus] = {}

    def leaf(self, arn: str | None) -> LeafFiles | None:
        """The leaf of certificate ``arn`` as of the last ``refresh``; None if it is not validated."""
        status = self.certificates.get(arn or "")
        return status.leaf if status else None

    def refresh(self) -> dict[str, CertificateStatus]:
        """Read the certificates and the hosted zones; issue, keep or drop each one's leaf. Blocking."""
        zones = self._zones()
        found = {}
        for region in self._regions:
            acm = control_plane_client("acm", self._endpoint, region)
            for page in acm.get_paginator("list_certificates").paginate():
                for summary in page.get("CertificateSummaryList", []):
                    described = acm.describe_certificate(CertificateArn=summary["CertificateArn"])
                    certificate = RequestedCertificate.described(described["Certificate"])
                    found[certificate.arn] = self._settle(certificate, zones)
        self._sweep(found)
        for status in found.values():
            if status.issued_now:
                log.info("certificate %s (%s): leaf issued", status.arn, ", ".join(status.names))
            elif status.leaf is None:
                log.warning(
                    "certificate %s (%s) is not served: %s",
                    status.arn,
                    ", ".join(status.names),
                    "; ".join(status.problems),
                )
        self.certificates = found
        return found

    def _settle(self, certificate: RequestedCertificate, zones: list[HostedZone]) -> CertificateStatus:
        files = self._files(certificate.arn)
        problems = missing_records(certificate, zones)
        if problems:
            _remove(files)
            return CertificateStatus(certificate.arn, certificate.names, None, tuple(problems))
        try:
            files, issued = self.ca.ensure(files, certificate.names)
        except NotPermitted as error:
            return CertificateStatus(certificate.arn, certificate.names, None, (str(error),))
        return CertificateStatus(certificate.arn, certificate.names, files, issued_now=issued)

    def _files(self, arn: str) -> LeafFiles:
        # arn:aws:acm:<region>:<account>:certificate/<id>: one pair of files per region and id
        parts = arn.split(":")
        stem = f"{parts[3]}-{parts[-1].rsplit('/', 1)[-1]}" if len(parts) >= 6 else arn.replace("/", "_")
        return LeafFiles(self.folder / f"{stem}.pem", self.folder / f"{stem}.key")

    def _sweep(self, found: dict[str, CertificateStatus]) -> None:
        """Leaves of certificates ACM no longer has go too."""
        kept = {self._files(arn).certificate.stem for arn in found}
        for path in self.folder.glob("*.pem") if self.folder.is_dir() else []:
            if path.stem not in kept:
                _remove(LeafFiles(path, path.with_suffix(".key")))

    def _zones(self) -> list[HostedZone]:
        route53 = control_plane_client("route53", self._endpoint, self._regions[0])
        zones = []
        for page in route53.get_paginator("list_hosted_zones").paginate():
            for zone in page.get("HostedZones", []):
                records = set()
                for records_page in route53.get_paginator("list_resource_record_sets").paginate(
                    HostedZoneId=zone["Id"]
                ):
                    for record_set in records_page.get("ResourceRecordSets", []):
                        for value in record_set.get("ResourceRecords") or []:
                            records.add(Record.of(record_set["Name"], record_set["Type"], value["Value"]))
                private = bool((zone.get("Config") or {}).get("PrivateZone"))
                zones.append(HostedZone(dns_name(zone["Name"]), private, frozenset(records)))
        return zones


def _remove(files: LeafFiles) -> None:
    files.certificate.unlink(missing_ok=True)
    files.key.unlink(missing_ok=True)

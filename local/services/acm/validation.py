"""Whether a requested certificate is validated, judged as ACM judges DNS validation: every name's
CNAME record (``DomainValidationOptions[].ResourceRecord``) exists, with its value, in the DNS.

Locally the DNS is the control plane's public Route53 hosted zones (``*.localhost`` is not resolved
through any DNS): a record counts when the zone whose name is the longest suffix of the record's name
holds it, as a resolver would find it. Pure: the reads are ``issuer``'s.

https://docs.aws.amazon.com/acm/latest/userguide/dns-validation.html
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


def dns_name(name: str) -> str:
    """A DNS name as compared: lower case, no trailing dot (Route53 and ACM write one)."""
    return name.strip().lower().rstrip(".")


@dataclass(frozen=True)
class Record:
    name: str
    type: str
    value: str

    @classmethod
    def of(cls, name: str, kind: str, value: str) -> Record:
        return cls(dns_name(name), kind.upper(), dns_name(value))


@dataclass(frozen=True)
class RequestedCertificate:
    """A certificate as ``DescribeCertificate`` tells it."""

    arn: str
    names: tuple[str, ...]  # the domain name, then the other subject alternative names
    method: str  # DNS, EMAIL, HTTP
    kind: str  # AMAZON_ISSUED, IMPORTED, PRIVATE
    records: tuple[Record, ...]  # one per name (a wildcard shares its apex's)
    names_without_record: tuple[str, ...]  # names ACM has not given a record for (yet)

    @classmethod
    def described(cls, certificate: Mapping[str, Any]) -> RequestedCertificate:
        names = [dns_name(certificate["DomainName"])]
        names += [
            dns_name(n) for n in certificate.get("SubjectAlternativeNames") or [] if dns_name(n) not in names
        ]
        options = certificate.get("DomainValidationOptions") or []
        records, missing = [], []
        for option in options:
            record = option.get("ResourceRecord")
            if record:
                records.append(Record.of(record["Name"], record["Type"], record["Value"]))
            else:
                missing.append(dns_name(option["DomainName"]))
        covered = {dns_name(o["DomainName"]) for o in options}
        missing += [n for n in names if n not in covered]
        methods = {o.get("ValidationMethod", "") for o in options} or {""}
        return cls(
            arn=certificate["CertificateArn"],
            names=tuple(names),
            method=methods.pop() if len(methods) == 1 else "MIXED",
            kind=certificate.get("Type", ""),
            records=tuple(dict.fromkeys(records)),
            names_without_record=tuple(missing),
        )


@dataclass(frozen=True)
class HostedZone:
    name: str
    private: bool
    records: frozenset[Record]


def authoritative_zone(name: str, zones: Iterable[HostedZone]) -> HostedZone | None:
    """The public zone a resolver would ask for ``name``: the one with the longest matching suffix."""
    candidates = [z for z in zones if not z.private and (name == z.name or name.endswith("." + z.name))]
    return max(candidates, key=lambda z: len(z.name), default=None)


def missing_records(certificate: RequestedCertificate, zones: Iterable[HostedZone]) -> list[str]:
    """What keeps ``certificate`` from being validated (empty: it is)."""
    zones = list(zones)
    if certificate.method != "DNS":
        return [f"validation method {certificate.method or 'unknown'} (only DNS validation is followed)"]
    problems = [f"{name}: ACM gave no validation record" for name in certificate.names_without_record]
    for record in certificate.records:
        zone = authoritative_zone(record.name, zones)
        if zone is None:
            problems.append(f"{record.name}: no public hosted zone holds it")
        elif record not in zone.records:
            problems.append(f"{record.type} {record.name} -> {record.value}: not in zone {zone.name}")
    return problems

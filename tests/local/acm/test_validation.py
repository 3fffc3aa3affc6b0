"""DNS validation as ACM judges it, on the zones the control plane holds (pure)."""

from __future__ import annotations

from local.services.acm.validation import HostedZone, Record, RequestedCertificate, missing_records

CNAME = ("_abc.www.example.localhost.", "CNAME", "_xyz.acm-validations.aws.")


def certificate(*options: dict[str, object], method: str = "DNS") -> RequestedCertificate:
    return RequestedCertificate.described(
        {
            "CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/1",
            "DomainName": "www.example.localhost",
            "SubjectAlternativeNames": ["www.example.localhost"],
            "Type": "AMAZON_ISSUED",
            "DomainValidationOptions": [{"ValidationMethod": method, **option} for option in options],
        }
    )


def option(record: tuple[str, str, str] | None = CNAME) -> dict[str, object]:
    found: dict[str, object] = {"DomainName": "www.example.localhost"}
    if record is not None:
        found["ResourceRecord"] = {"Name": record[0], "Type": record[1], "Value": record[2]}
    return found


def zone(name: str, *records: tuple[str, str, str], private: bool = False) -> HostedZone:
    return HostedZone(name, private, frozenset(Record.of(*r) for r in records))


def test_the_record_in_the_names_zone_validates_it_whatever_the_case_and_trailing_dots() -> None:
    upper = (CNAME[0].upper().rstrip("."), "cname", CNAME[2].rstrip("."))
    assert missing_records(certificate(option()), [zone("example.localhost", upper)]) == []


def test_a_missing_record_a_wrong_value_or_a_private_zone_do_not() -> None:
    wrong = (CNAME[0], "CNAME", "_other.acm-validations.aws.")
    assert missing_records(certificate(option()), [zone("example.localhost")])
    assert missing_records(certificate(option()), [zone("example.localhost", wrong)])
    assert missing_records(certificate(option()), [zone("example.localhost", CNAME, private=True)])


def test_the_most_specific_zone_is_the_one_asked() -> None:
    # A delegated subzone answers for its names: the record in the parent zone is not seen
    zones = [zone("localhost", CNAME), zone("example.localhost")]
    assert missing_records(certificate(option()), zones) == [
        f"CNAME {CNAME[0].rstrip('.')} -> {CNAME[2].rstrip('.')}: not in zone example.localhost"
    ]


def test_no_record_yet_or_another_method_never_validates() -> None:
    assert missing_records(certificate(option(None)), [zone("example.localhost", CNAME)]) == [
        "www.example.localhost: ACM gave no validation record"
    ]
    assert missing_records(certificate(option(), method="EMAIL"), [zone("example.localhost", CNAME)])

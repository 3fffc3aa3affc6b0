"""Leaves follow ACM: issued once a certificate's DNS validation records are in its hosted zone,
never before, kept across runs, replaced when the names (and so the certificate) change."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509

from local.services.acm.issuer import AcmIssuer
from local.tls.authority import LocalCA
from tests.local.gateway_support import MotoServer, moto_server

moto = pytest.fixture(scope="module")(moto_server)


@pytest.fixture
def zone(moto: MotoServer) -> Iterator[str]:
    route53 = moto.client("route53")
    zone_id = route53.create_hosted_zone(Name="test.localhost", CallerReference="issuer-test")["HostedZone"][
        "Id"
    ]
    yield zone_id
    for record in route53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]:
        if record["Type"] == "CNAME":
            route53.change_resource_record_sets(
                HostedZoneId=zone_id,
                ChangeBatch={"Changes": [{"Action": "DELETE", "ResourceRecordSet": record}]},
            )
    route53.delete_hosted_zone(Id=zone_id)
    acm = moto.client("acm")
    for certificate in acm.list_certificates()["CertificateSummaryList"]:
        acm.delete_certificate(CertificateArn=certificate["CertificateArn"])


def request(moto: MotoServer, name: str, *alternatives: str) -> str:
    arn = moto.client("acm").request_certificate(
        DomainName=name, SubjectAlternativeNames=[name, *alternatives], ValidationMethod="DNS"
    )["CertificateArn"]
    return str(arn)


def publish_validation_records(moto: MotoServer, zone_id: str, arn: str) -> None:
    """What Terraform's aws_route53_record.validation does."""
    options = moto.client("acm").describe_certificate(CertificateArn=arn)["Certificate"][
        "DomainValidationOptions"
    ]
    changes: list[dict[str, Any]] = []
    for record in {(o["ResourceRecord"]["Name"], o["ResourceRecord"]["Value"]) for o in options}:
        changes.append(
            {
                "Action": "UPSERT",
                "ResourceRecordSet": {
                    "Name": record[0],
                    "Type": "CNAME",
                    "TTL": 300,
                    "ResourceRecords": [{"Value": record[1]}],
                },
            }
        )
    moto.client("route53").change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})


def names_of(certificate: x509.Certificate) -> set[str]:
    return set(
        certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
            x509.DNSName
        )
    )


def test_a_certificate_is_served_once_its_validation_records_exist_and_never_before(
    moto: MotoServer, zone: str, tmp_path: Path
) -> None:
    # Given a certificate Terraform requested, whose validation record is not in the zone yet
    ca = LocalCA.load_or_create(tmp_path / "ca")
    issuer = AcmIssuer(ca, tmp_path / "acm", moto.url, ["us-east-1"])
    arn = request(moto, "www.test.localhost", "test.localhost")

    # When the local cloud looks
    before = issuer.refresh()[arn]

    # Then it is not served, and says why
    assert before.leaf is None
    assert issuer.leaf(arn) is None
    assert any("not in zone test.localhost" in problem for problem in before.problems)
    assert list((tmp_path / "acm").glob("*.pem")) == []

    # When the records are published
    publish_validation_records(moto, zone, arn)
    after = issuer.refresh()[arn]

    # Then a leaf of the local CA names exactly the certificate's names
    assert after.leaf is not None
    assert after.issued_now
    leaf = after.leaf.read()
    assert names_of(leaf) == {"www.test.localhost", "test.localhost"}
    assert ca.signed(leaf)


def test_a_second_run_keeps_the_leaf_and_a_new_ca_gets_a_new_one(
    moto: MotoServer, zone: str, tmp_path: Path
) -> None:
    # Given a validated certificate whose leaf a first run issued
    ca = LocalCA.load_or_create(tmp_path / "ca")
    arn = request(moto, "api.test.localhost")
    publish_validation_records(moto, zone, arn)
    first = AcmIssuer(ca, tmp_path / "acm", moto.url, ["us-east-1"]).refresh()[arn]
    assert first.leaf is not None
    serial = first.leaf.read().serial_number

    # When the next run (a new issuer, the same folder and CA) looks
    again = AcmIssuer(
        LocalCA.load_or_create(tmp_path / "ca"), tmp_path / "acm", moto.url, ["us-east-1"]
    ).refresh()[arn]

    # Then it serves the same leaf
    assert again.leaf is not None
    assert not again.issued_now
    assert again.leaf.read().serial_number == serial

    # When the CA was made again in between (the user deleted it), the old leaf is not trusted: new one
    other = LocalCA.load_or_create(tmp_path / "other-ca")
    renewed = AcmIssuer(other, tmp_path / "acm", moto.url, ["us-east-1"]).refresh()[arn]
    assert renewed.issued_now
    assert renewed.leaf is not None
    assert other.signed(renewed.leaf.read())


def test_new_names_mean_a_new_certificate_and_the_old_leaf_goes(
    moto: MotoServer, zone: str, tmp_path: Path
) -> None:
    # Given a served certificate
    ca = LocalCA.load_or_create(tmp_path / "ca")
    issuer = AcmIssuer(ca, tmp_path / "acm", moto.url, ["us-east-1"])
    old = request(moto, "site.test.localhost")
    publish_validation_records(moto, zone, old)
    issuer.refresh()
    old_leaf = issuer.leaf(old)
    assert old_leaf is not None

    # When Terraform replaces it with one for more names (create_before_destroy), then deletes it
    new = request(moto, "site.test.localhost", "www.site.test.localhost")
    publish_validation_records(moto, zone, new)
    moto.client("acm").delete_certificate(CertificateArn=old)
    served = issuer.refresh()

    # Then the new names are served from a new leaf, and the old one is gone
    assert old not in served
    new_leaf = issuer.leaf(new)
    assert new_leaf is not None
    assert names_of(new_leaf.read()) == {"site.test.localhost", "www.site.test.localhost"}
    assert not old_leaf.certificate.exists()


def test_a_name_the_ca_may_not_sign_is_not_served(moto: MotoServer, zone: str, tmp_path: Path) -> None:
    moto.client("route53").create_hosted_zone(Name="example.com", CallerReference="not-local")
    arn = request(moto, "www.example.com")
    zone_id = moto.client("route53").list_hosted_zones_by_name(DNSName="example.com")["HostedZones"][0]["Id"]
    publish_validation_records(moto, zone_id, arn)

    status = AcmIssuer(
        LocalCA.load_or_create(tmp_path / "ca"), tmp_path / "acm", moto.url, ["us-east-1"]
    ).refresh()[arn]

    assert status.leaf is None
    assert "signs only localhost" in status.problems[0]

"""Route 53 in the control plane refuses a CREATE of a record set that exists (InvalidChangeBatch, with
AWS's message) and applies none of the batch; UPSERT, and DELETE then CREATE in one batch, pass."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local.services.route53.moto_patches import first_existing_create, record_key
from tests.local.controlplane_support import ControlPlane, running_controlplane


@pytest.fixture(scope="module")
def plane() -> Iterator[ControlPlane]:
    with running_controlplane() as running:
        yield running


def _change(action: str, name: str, value: str, **extra: Any) -> dict[str, Any]:
    record = {"Name": name, "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": value}], **extra}
    return {"Action": action, "ResourceRecordSet": record}


def _zone(plane: ControlPlane, name: str) -> tuple[Any, str]:
    route53 = plane.client("route53")
    zone = route53.create_hosted_zone(Name=name, CallerReference=name)["HostedZone"]["Id"]
    route53.change_resource_record_sets(
        HostedZoneId=zone, ChangeBatch={"Changes": [_change("CREATE", f"www.{name}", "192.0.2.1")]}
    )
    return route53, zone


def _www(route53: Any, zone: str, name: str) -> list[str]:
    records = route53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
    return [
        r["ResourceRecords"][0]["Value"] for r in records if r["Name"] == f"www.{name}." and r["Type"] == "A"
    ]


def test_creating_an_existing_record_set_is_refused(plane: ControlPlane) -> None:
    # Given a zone that already holds www (A)
    route53, zone = _zone(plane, "taken.example")

    # When a batch creates api and then www again, with another value
    changes = [
        _change("CREATE", "api.taken.example", "192.0.2.3"),
        _change("CREATE", "WWW.taken.example.", "192.0.2.2"),
    ]
    with pytest.raises(ClientError) as raised:
        route53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": changes})

    # Then Route 53 refuses with AWS's code and message, and applies none of the batch
    error = raised.value.response
    assert (
        error["ResponseMetadata"]["HTTPStatusCode"],
        error["Error"]["Code"],
        error["Error"]["Message"],
    ) == (
        400,
        "InvalidChangeBatch",
        "Tried to create resource record set [name='WWW.taken.example.', type='A'] but it already exists",
    )
    assert _www(route53, zone, "taken.example") == ["192.0.2.1"]
    names = [r["Name"] for r in route53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]]
    assert "api.taken.example." not in names


def test_upsert_and_delete_then_create_replace_it(plane: ControlPlane) -> None:
    # Given the same kind of zone
    route53, zone = _zone(plane, "replaced.example")

    # When www is upserted, then deleted and created again in one batch
    upsert = _change("UPSERT", "www.replaced.example", "192.0.2.5")
    route53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [upsert]})
    again = [
        _change("DELETE", "www.replaced.example", "192.0.2.5"),
        _change("CREATE", "www.replaced.example", "192.0.2.6"),
    ]
    route53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": again})

    # Then both are applied
    assert _www(route53, zone, "replaced.example") == ["192.0.2.6"]


def test_the_set_identifier_is_part_of_the_record_set() -> None:
    existing = {record_key("geo.example.com.", "A", "Europe")}
    other = _change("CREATE", "geo.example.com", "192.0.2.1", SetIdentifier="Default")
    same = _change("CREATE", "GEO.example.com", "192.0.2.1", SetIdentifier="Europe")
    assert first_existing_create(existing, [other]) is None
    assert first_existing_create(existing, [same]) == same["ResourceRecordSet"]

"""Route 53 in moto (5.2): a CREATE of a record set that exists is refused, as AWS refuses it.

Runs inside the control-plane process; ``local.controlplane.patches`` calls ``install()`` before it
serves. Route 53 validates a whole change batch against the zone before applying any of it, and a
CREATE of a record set (name, type and set identifier) the zone already holds fails the batch:
InvalidChangeBatch, "Tried to create resource record set [name='www.example.com.', type='A'] but it
already exists". moto only refuses a CREATE identical to an earlier change, so a stack that would
fail on a zone holding ``www`` already applied.
https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeResourceRecordSets.html ("CREATE:
Creates a resource record set that has the specified values"; UPSERT for one that may exist);
reports: https://github.com/jenkins-x/terraform-aws-eks-jx/issues/63,
https://github.com/barnybug/cli53/issues/317 (with a set identifier).
"""

from __future__ import annotations

from typing import Any

RecordKey = tuple[str, str, str | None]


def record_key(name: str, record_type: str, set_identifier: str | None) -> RecordKey:
    """What makes a record set unique in a zone: its name (case-insensitive, ``*`` as Route 53
    escapes it), type and set identifier."""
    return name.lower().rstrip(".").replace("\\052", "*"), record_type, set_identifier or None


def first_existing_create(existing: set[RecordKey], changes: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The first CREATE of ``changes`` whose record set exists when it is reached (the batch's own
    DELETEs and UPSERTs applied in order), or None."""
    present = set(existing)
    for change in changes:
        record = change.get("ResourceRecordSet") or {}
        key = record_key(
            str(record.get("Name", "")), str(record.get("Type", "")), record.get("SetIdentifier")
        )
        action = change.get("Action")
        if action == "CREATE" and key in present:
            return record
        if action in ("CREATE", "UPSERT"):
            present.add(key)
        elif action == "DELETE":
            present.discard(key)
    return None


def exists_message(record: dict[str, Any]) -> str:
    name = str(record.get("Name", "")).rstrip(".") + "."
    identifier = f", set-identifier='{record['SetIdentifier']}'" if record.get("SetIdentifier") else ""
    return (
        f"Tried to create resource record set [name='{name}', type='{record.get('Type')}'{identifier}] "
        "but it already exists"
    )


def install() -> None:
    from moto.route53.exceptions import Route53ClientError
    from moto.route53.models import Route53Backend

    original = Route53Backend.change_resource_record_sets

    def change_resource_record_sets(self: Any, zoneid: str, change_list: list[dict[str, Any]]) -> None:
        zone = self.get_hosted_zone(zoneid)
        existing = {record_key(r.name, r.type, r.set_identifier) for r in zone.rrsets}
        record = first_existing_create(existing, change_list)
        if record is not None:
            raise Route53ClientError("InvalidChangeBatch", exists_message(record))
        original(self, zoneid, change_list)

    Route53Backend.change_resource_record_sets = change_resource_record_sets  # type: ignore[method-assign]

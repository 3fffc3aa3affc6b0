"""Following ``terraform apply -json``: what must be done before the data planes serve, and when a
first apply may serve before it ends. Messages are shaped as Terraform 1.11's machine-readable UI."""

from __future__ import annotations

from typing import Any

from local.cloud.apply_progress import ApplyProgress

LIFECYCLE = "module.data.aws_s3_bucket_lifecycle_configuration.media"
TABLE = "module.data.aws_dynamodb_table.postcards"
RECORD = 'module.site.aws_route53_record.alias["www.example.com A"]'
POLICY_DOC = 'module.functions.data.aws_iam_policy_document.function["api"]'


def planned(address: str, action: str = "create") -> dict[str, Any]:
    """A planned_change message; ``address`` is in a module (module.<name>.<resource>)."""
    resource = address.split(".", 2)[2]
    kind = resource.removeprefix("data.").split(".")[0]
    return {
        "type": "planned_change",
        "change": {
            "resource": {"addr": address, "resource": resource, "resource_type": kind},
            "action": action,
        },
    }


def plan_summary() -> dict[str, Any]:
    return {"type": "change_summary", "changes": {"add": 1, "operation": "plan"}}


def plan_outputs(**actions: str) -> dict[str, Any]:
    return {"type": "outputs", "outputs": {name: {"action": action} for name, action in actions.items()}}


def complete(address: str, after: str = "1s", verb: str = "Creation") -> dict[str, Any]:
    return {
        "type": "apply_complete",
        "@message": f"{address}: {verb} complete after {after} [id=x]",
        "hook": {"resource": {"addr": address}, "action": "create" if verb == "Creation" else "read"},
    }


def state(*addresses: str, outputs: dict[str, Any] | None = None) -> dict[str, Any]:
    """A state (v4) document holding ``addresses`` (no keys, or one string key each)."""
    resources = []
    for address in addresses:
        base, _, key = address.partition("[")
        module, _, kind_name = base.rpartition(".aws_")
        kind, name = ("aws_" + kind_name).split(".")
        instance: dict[str, Any] = {"attributes": {}}
        if key:
            instance["index_key"] = key.rstrip("]").strip('"')
        resources.append(
            {"mode": "managed", "module": module, "type": kind, "name": name, "instances": [instance]}
        )
    return {"version": 4, "resources": resources, "outputs": outputs or {}}


def fed(*messages: dict[str, Any], served_outputs: tuple[str, ...] = ()) -> ApplyProgress:
    progress = ApplyProgress(served_outputs=served_outputs)
    for message in messages:
        progress.feed(message)
    return progress


def test_a_first_apply_may_serve_once_all_but_the_deferrable_changes_are_done() -> None:
    # Given a plan that creates a table, a lifecycle configuration and a DNS record
    progress = fed(planned(TABLE), planned(LIFECYCLE), planned(RECORD), plan_summary(), plan_outputs())

    # When only the table is complete
    assert progress.may_serve_early()
    assert progress.waiting_for() == [TABLE]
    progress.feed(complete(TABLE))

    # Then nothing more is waited for; the deferrable two are what is pending
    assert progress.waiting_for() == []
    assert progress.pending() == [LIFECYCLE, RECORD]
    assert progress.served_by(state(TABLE))
    assert not progress.served_by(state())  # Terraform has not written it yet


def test_a_plan_that_changes_what_exists_never_serves_early() -> None:
    # Given a plan that updates a table beside a deferrable change, then it must wait for the end
    progress = fed(planned(TABLE, "update"), planned(LIFECYCLE), plan_summary(), plan_outputs())
    assert not progress.may_serve_early()


def test_a_plan_with_nothing_deferrable_has_nothing_to_serve_early() -> None:
    progress = fed(planned(TABLE), plan_summary(), plan_outputs())
    assert not progress.may_serve_early()


def test_outputs_the_data_planes_read_must_be_written_or_unchanged() -> None:
    plan = (planned(TABLE), planned(LIFECYCLE), plan_summary())

    # Given an output the data planes read that the plan creates: it must be in the written state
    created = fed(*plan, plan_outputs(headers="create"), complete(TABLE), served_outputs=("headers",))
    assert created.may_serve_early()
    assert not created.served_by(state(TABLE))
    assert created.served_by(state(TABLE, outputs={"headers": {"value": {}}}))

    # Given one the plan changes: the written state cannot tell its new value from the old
    updated = fed(*plan, plan_outputs(headers="update"), served_outputs=("headers",))
    assert not updated.may_serve_early()

    # Given one it leaves as it is: the state already holds it
    kept = fed(*plan, plan_outputs(headers="noop"), complete(TABLE), served_outputs=("headers",))
    assert kept.may_serve_early()
    assert kept.served_by(state(TABLE))

    # Given no outputs message yet: not before the plan has said what it does to them
    unknown = fed(*plan, served_outputs=("headers",))
    assert not unknown.may_serve_early()


def test_data_sources_read_during_the_apply_are_waited_for_but_never_in_the_state() -> None:
    progress = fed(planned(POLICY_DOC, "read"), planned(LIFECYCLE), plan_summary(), plan_outputs())
    assert progress.may_serve_early()
    assert progress.waiting_for() == [POLICY_DOC]
    progress.feed(complete(POLICY_DOC, after="0s", verb="Read"))
    assert progress.waiting_for() == []
    assert progress.served_by(state())


def test_an_apply_with_an_error_never_serves_early() -> None:
    # Given a first apply whose deferrable change failed while the rest went on
    progress = fed(planned(TABLE), planned(LIFECYCLE), plan_summary(), plan_outputs())
    progress.feed({"type": "apply_errored", "hook": {"resource": {"addr": LIFECYCLE}, "action": "create"}})
    progress.feed(complete(TABLE))

    # Then it does not serve: the apply's failure is reported whole, at its end
    assert not progress.may_serve_early()


def test_progress_lines_name_each_completed_change_and_errors_are_kept() -> None:
    progress = ApplyProgress()

    shown = progress.feed(complete(RECORD, after="1m15s"))
    progress.feed(
        {
            "type": "diagnostic",
            "@level": "error",
            "diagnostic": {"summary": "creating table", "detail": "AccessDenied", "address": TABLE},
        }
    )
    progress.feed(
        {"type": "diagnostic", "@level": "warn", "diagnostic": {"summary": "Deprecated flag: -state"}}
    )
    progress.feed(
        {
            "type": "change_summary",
            "@message": "Apply complete! Resources: 2 added, 0 changed, 0 destroyed.",
            "changes": {"add": 2, "change": 0, "remove": 0, "import": 0, "operation": "apply"},
        }
    )

    assert shown == f"{RECORD}: creation complete (1m15s)"
    assert progress.errors == [f"Error: creating table ({TABLE})\nAccessDenied"]
    assert progress.summary == "Apply complete! Resources: 2 added, 0 changed, 0 destroyed."
    assert progress.changed

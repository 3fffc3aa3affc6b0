"""The housekeeping job on moto: which uploads go, what stays, what it publishes, how it bounds work."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from common import settings
from common.uploads import thumbnail_key, upload_key
from tests.unit.emf import emf_metrics
from tests.unit.housekeeping.helpers import NOW, World, metric
from tests.unit.lambda_context import FakeLambdaContext

Run = Callable[[], dict[str, Any]]
HOUR = timedelta(hours=1)
# A run that raises publishes no metrics; Powertools says so with a warning, as it should.
no_metrics_warning = pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")


def removed(failed: int = 0, stale_pending: int = 0, unclaimed: int = 0) -> dict[str, int]:
    return {"failed": failed, "stale_pending": stale_pending, "unclaimed": unclaimed}


def test_only_failed_and_orphaned_uploads_are_removed_with_their_objects(
    world: World, run: Run, capsys: pytest.CaptureFixture[str]
) -> None:
    # given uploads of every kind, on both sides of each age limit
    old_failed = world.upload("failed", 2 * HOUR)
    recent_failed = world.upload("failed", 10 * timedelta(minutes=1))
    old_pending = world.upload("pending", 25 * HOUR)
    old_claimed_pending = world.upload("pending", 30 * HOUR, postcard_id="p" * 32)
    recent_pending = world.upload("pending", 1 * HOUR)
    old_unclaimed = world.upload("ready", 25 * HOUR)
    old_claimed = world.upload("ready", 30 * 24 * HOUR, postcard_id="c" * 32)
    recent_unclaimed = world.upload("ready", 23 * HOUR)
    world.put_object("thumbnails/unrelated.webp")
    capsys.readouterr()

    # when the schedule fires
    summary = run()

    # then exactly the failed past retention and the orphans are gone, items and objects
    gone = {old_failed, old_pending, old_claimed_pending, old_unclaimed}
    kept = {recent_failed, recent_pending, old_claimed, recent_unclaimed}
    assert world.upload_ids() == kept
    for upload_id in gone:
        assert upload_key(upload_id) not in world.object_keys()
        assert thumbnail_key(upload_id) not in world.object_keys()
    assert world.object_keys() == {
        upload_key(recent_pending),
        upload_key(old_claimed),
        thumbnail_key(old_claimed),
        upload_key(recent_unclaimed),
        thumbnail_key(recent_unclaimed),
        "thumbnails/unrelated.webp",
    }
    # and the summary says what happened
    assert summary["removed"] == removed(failed=1, stale_pending=2, unclaimed=1)
    assert summary["removed_total"] == 4
    assert summary["more_remaining"] is False
    assert summary["changed_meanwhile"] == 0
    assert summary["object_delete_errors"] == 0
    assert summary["ran_at"] == "2026-03-14T12:00:00.000000+00:00"
    # and the same figures are published as metrics, in total and per reason
    found = emf_metrics(capsys.readouterr().out)
    assert metric(found, "UploadsRemoved") == 4
    assert metric(found, "UploadsRemoved", Reason="failed") == 1
    assert metric(found, "UploadsRemoved", Reason="stale_pending") == 2
    assert metric(found, "UploadsRemoved", Reason="unclaimed") == 1
    assert metric(found, "HousekeepingBacklog") == 0
    assert {m.namespace for m in found} == {"Postcards"}
    assert all(m.dimensions.get("service") == "postcards" for m in found)


def test_postcards_written_today_are_counted_across_pages(
    world: World, run: Run, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given five postcards today (from midnight UTC on) and two yesterday, read two per page
    monkeypatch.setenv("HOUSEKEEPING_PAGE_SIZE", "2")
    midnight = NOW.replace(hour=0, minute=0, second=0, microsecond=0)
    for offset in (timedelta(0), HOUR, 2 * HOUR, 11 * HOUR, 12 * HOUR):
        world.postcard(midnight + offset)
    world.postcard(midnight - timedelta(microseconds=1))
    world.postcard(midnight - 20 * HOUR)
    capsys.readouterr()

    summary = run()

    assert summary["postcards_today"] == 5
    assert metric(emf_metrics(capsys.readouterr().out), "PostcardsWrittenToday") == 5


def test_candidates_are_read_page_by_page(world: World, run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    # given more candidates of each kind than fit a page, and claimed uploads between the
    # unclaimed ones (the filter leaves some pages empty)
    monkeypatch.setenv("HOUSEKEEPING_PAGE_SIZE", "2")
    failed = {world.upload("failed", (3 + i) * HOUR) for i in range(5)}
    pending = {world.upload("pending", (25 + i) * HOUR) for i in range(5)}
    unclaimed = set()
    claimed = set()
    for i in range(6):
        unclaimed.add(world.upload("ready", (25 + 2 * i) * HOUR))
        claimed.add(world.upload("ready", (26 + 2 * i) * HOUR, postcard_id=f"{i:032x}"))
        claimed.add(
            world.upload("ready", (26 + 2 * i) * HOUR + timedelta(minutes=1), postcard_id=f"{i + 9:032x}")
        )

    summary = run()

    assert summary["removed"] == removed(failed=5, stale_pending=5, unclaimed=6)
    assert world.upload_ids() == claimed
    assert not (failed | pending | unclaimed) & world.upload_ids()


def test_work_per_run_is_bounded_and_the_rest_is_left_for_the_next_run(
    world: World, run: Run, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given five candidates and a budget of three per run
    monkeypatch.setenv("HOUSEKEEPING_MAX_ITEMS", "3")
    monkeypatch.setenv("HOUSEKEEPING_PAGE_SIZE", "2")
    oldest_first = [world.upload("pending", (30 - i) * HOUR) for i in range(5)]
    capsys.readouterr()

    # when it runs once
    first = run()

    # then the three oldest go and the run reports that more remain
    assert first["removed_total"] == 3
    assert first["more_remaining"] is True
    assert world.upload_ids() == set(oldest_first[3:])
    assert metric(emf_metrics(capsys.readouterr().out), "HousekeepingBacklog") == 1

    # and the next run finishes the job
    second = run()
    assert second["removed_total"] == 2
    assert second["more_remaining"] is False
    assert world.upload_ids() == set()


def test_a_run_near_its_timeout_stops_taking_candidates(
    world: World, run: Run, lambda_context: FakeLambdaContext
) -> None:
    # given an orphan, and an invocation with less time left than the job keeps in reserve
    orphan = world.upload("pending", 25 * HOUR)
    lambda_context.remaining_ms = 5_000

    summary = run()

    assert summary["removed_total"] == 0
    assert summary["more_remaining"] is True
    assert world.has_item(orphan)


def test_running_twice_removes_nothing_the_second_time(world: World, run: Run) -> None:
    world.upload("failed", 5 * HOUR)
    world.upload("ready", 48 * HOUR)
    keep = world.upload("ready", 48 * HOUR, postcard_id="a" * 32)

    assert run()["removed_total"] == 2
    again = run()

    assert again["removed"] == removed()
    assert again["changed_meanwhile"] == 0
    assert world.upload_ids() == {keep}


def test_an_upload_claimed_while_the_job_runs_is_kept_with_its_objects(
    world: World, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given an unclaimed orphan that a postcard claims between the job's Query and its delete
    upload_id = world.upload("ready", 30 * HOUR)
    from housekeeping import sweep

    real_delete = sweep._delete_item

    def claim_first(config: Any, candidate: sweep.Candidate) -> bool:
        world.ddb.update_item(
            TableName=world.stack.uploads_table,
            Key={"id": {"S": candidate.id}},
            UpdateExpression="SET postcard_id = :p",
            ExpressionAttributeValues={":p": {"S": "f" * 32}},
        )
        return real_delete(config, candidate)

    monkeypatch.setattr(sweep, "_delete_item", claim_first)

    # when the job tries to remove it
    summary = run()

    # then the claim wins: item and objects stay
    assert summary["removed_total"] == 0
    assert summary["changed_meanwhile"] == 1
    assert world.has_item(upload_id)
    assert {upload_key(upload_id), thumbnail_key(upload_id)} <= world.object_keys()


def test_a_pending_upload_settled_while_the_job_runs_is_judged_by_its_new_status_next_time(
    world: World, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a stale pending upload that the thumbnails function rejects between Query and delete
    upload_id = world.upload("pending", 30 * HOUR)
    from housekeeping import sweep

    real_delete = sweep._delete_item

    def reject_first(config: Any, candidate: sweep.Candidate) -> bool:
        world.ddb.update_item(
            TableName=world.stack.uploads_table,
            Key={"id": {"S": candidate.id}},
            UpdateExpression="SET #s = :failed",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":failed": {"S": "failed"}},
        )
        return real_delete(config, candidate)

    monkeypatch.setattr(sweep, "_delete_item", reject_first)

    # when the job runs, then the pending-orphan removal is refused: the item changed
    assert run()["changed_meanwhile"] == 1
    assert world.has_item(upload_id)

    # and the next run removes it as the failed upload it now is
    monkeypatch.setattr(sweep, "_delete_item", real_delete)
    assert run()["removed"] == removed(failed=1)
    assert not world.has_item(upload_id)


@pytest.mark.parametrize("failure", ["raises", "per-key-errors"])
def test_objects_that_cannot_be_deleted_are_reported_not_raised(
    world: World,
    run: Run,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    failure: str,
) -> None:
    # given an orphan whose objects S3 refuses to delete
    upload_id = world.upload("pending", 30 * HOUR)
    from common import aws

    class RefusingS3:
        def delete_objects(self, **kwargs: Any) -> dict[str, Any]:
            if failure == "raises":
                raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "DeleteObjects")
            keys = [obj["Key"] for obj in kwargs["Delete"]["Objects"]]
            return {"Errors": [{"Key": key, "Code": "AccessDenied", "Message": "no"} for key in keys]}

    monkeypatch.setattr(aws, "s3", RefusingS3)
    capsys.readouterr()

    # when the job runs, then it completes and reports the error instead of failing the run
    summary = run()

    assert summary["removed_total"] == 1
    assert summary["object_delete_errors"] == 1
    assert not world.has_item(upload_id)
    assert metric(emf_metrics(capsys.readouterr().out), "UploadObjectDeleteErrors") == 1
    # and the keys are in the log for a manual cleanup
    assert any(upload_key(upload_id) in getattr(record, "keys", ()) for record in caplog.records)


def test_ages_come_from_the_environment(world: World, run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORPHAN_AFTER_HOURS", "48")
    monkeypatch.setenv("FAILED_RETENTION_HOURS", "6")
    young_orphan = world.upload("pending", 30 * HOUR)
    young_failure = world.upload("failed", 5 * HOUR)
    old_orphan = world.upload("ready", 49 * HOUR)
    old_failure = world.upload("failed", 7 * HOUR)

    assert run()["removed"] == removed(failed=1, unclaimed=1)

    assert world.upload_ids() == {young_orphan, young_failure}
    assert not {old_orphan, old_failure} & world.upload_ids()


def test_unclaimed_uploads_older_than_the_lookback_window_are_not_read(
    world: World, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The ready partition holds every claimed photo ever; reading all of it each run would cost as
    # much as the history. Only a window before the orphan cutoff is read (a trade-off documented
    # in housekeeping.config): a job that runs at least that often misses nothing.
    monkeypatch.setenv("UNCLAIMED_LOOKBACK_HOURS", "24")
    inside = world.upload("ready", 47 * HOUR)
    beyond = world.upload("ready", 49 * HOUR)

    assert run()["removed"] == removed(unclaimed=1)

    assert world.upload_ids() == {beyond}
    assert not world.has_item(inside)


@no_metrics_warning
@pytest.mark.parametrize("value", ["0", "-3", "soon"])
def test_a_bad_setting_is_reported_by_name(
    world: World, run: Run, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("HOUSEKEEPING_MAX_ITEMS", value)

    with pytest.raises(ValueError, match="HOUSEKEEPING_MAX_ITEMS must be a positive whole number"):
        run()


@no_metrics_warning
def test_a_missing_table_setting_is_reported_by_name(
    world: World, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("POSTCARDS_TABLE")

    with pytest.raises(settings.MissingSettingError, match="POSTCARDS_TABLE"):
        run()


@no_metrics_warning
def test_a_database_fault_fails_the_run_for_a_retry(world: World, run: Run) -> None:
    world.ddb.delete_table(TableName=world.stack.uploads_table)

    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        run()


@no_metrics_warning
def test_a_throttled_delete_fails_the_run_for_a_retry(
    world: World, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    orphan = world.upload("pending", 30 * HOUR)
    from common import aws

    real = aws.dynamodb()

    class ThrottledDeletes:
        def get_paginator(self, name: str) -> Any:
            return real.get_paginator(name)

        def delete_item(self, **kwargs: Any) -> None:
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow"}}, "DeleteItem")

    monkeypatch.setattr(aws, "dynamodb", ThrottledDeletes)

    with pytest.raises(ClientError, match="ThrottlingException"):
        run()
    assert world.has_item(orphan)
    assert upload_key(orphan) in world.object_keys()

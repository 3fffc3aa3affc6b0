"""The housekeeping job's settings, read from the environment Terraform sets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from common import settings


@dataclass(frozen=True)
class Config:
    uploads_table: str
    postcards_table: str
    media_bucket: str
    # An upload still pending or ready-but-unclaimed this long after its slot was created is an
    # orphan: its presigned form expired long ago and no postcard took it.
    orphan_after: timedelta
    # Failed uploads stay this long so the uploader can still read why the file was refused.
    failed_retention: timedelta
    # Ready uploads are looked at only if created within this window before the orphan cutoff:
    # nearly all old ready uploads belong to postcards, and reading them all on every run would
    # make each run cost as much as the whole history. A run at least this often misses nothing.
    unclaimed_lookback: timedelta
    # Bounded work per run: at most this many uploads removed; the rest waits for the next run.
    max_items: int
    # Items per DynamoDB Query page.
    page_size: int
    # The thumbnails function's on-failure queue (its name), drained on each run; None: not drained.
    thumbnail_failure_queue: str | None = None
    # At most this many of its messages per run.
    max_failure_messages: int = 100

    @classmethod
    def from_env(cls) -> Config:
        return cls(
            uploads_table=settings.required("UPLOADS_TABLE"),
            postcards_table=settings.required("POSTCARDS_TABLE"),
            media_bucket=settings.required("MEDIA_BUCKET"),
            orphan_after=timedelta(hours=_positive("ORPHAN_AFTER_HOURS", 24)),
            failed_retention=timedelta(hours=_positive("FAILED_RETENTION_HOURS", 1)),
            unclaimed_lookback=timedelta(hours=_positive("UNCLAIMED_LOOKBACK_HOURS", 7 * 24)),
            max_items=_positive("HOUSEKEEPING_MAX_ITEMS", 500),
            page_size=_positive("HOUSEKEEPING_PAGE_SIZE", 100),
            thumbnail_failure_queue=settings.optional("THUMBNAIL_FAILURE_QUEUE"),
            max_failure_messages=_positive("HOUSEKEEPING_MAX_FAILURE_MESSAGES", 100),
        )


def _positive(name: str, default: int) -> int:
    try:
        value = settings.integer(name, default)
    except ValueError:
        value = 0
    if value <= 0:
        raise ValueError(f"environment variable {name} must be a positive whole number")
    return value

"""Timestamps as stored in the tables: ISO 8601 in UTC with microseconds, always the same width.

Fixed width matters: ``created_at`` is a GSI range key that housekeeping compares as a string
(``created_at < cutoff``), which orders correctly only if every value has the same shape.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)


def isoformat(moment: datetime) -> str:
    """``2026-01-31T12:00:00.000000+00:00`` for any aware datetime (converted to UTC)."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def now_iso() -> str:
    return isoformat(utc_now())

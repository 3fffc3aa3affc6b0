"""EventBridge rate and cron expressions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from local.services.events.schedule_expressions import Rate, ScheduleExpressionError, parse

# A Thursday.
NOW = datetime(2026, 11, 26, 8, 50, 30, tzinfo=UTC)


def _next(expression: str) -> datetime:
    schedule = parse(expression)
    if isinstance(schedule, Rate):
        return schedule.next_after(NOW, NOW)
    return schedule.next_after(NOW)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("rate(1 minute)", datetime(2026, 11, 26, 8, 51, 30, tzinfo=UTC)),
        ("rate(6 hours)", datetime(2026, 11, 26, 14, 50, 30, tzinfo=UTC)),
        ("rate(2 days)", datetime(2026, 11, 28, 8, 50, 30, tzinfo=UTC)),
        ("cron(0 3 * * ? *)", datetime(2026, 11, 27, 3, 0, tzinfo=UTC)),
        ("cron(0/15 * * * ? *)", datetime(2026, 11, 26, 9, 0, tzinfo=UTC)),
        ("cron(0 8 ? * MON-FRI *)", datetime(2026, 11, 27, 8, 0, tzinfo=UTC)),
        ("cron(0 10 ? * 1 *)", datetime(2026, 11, 29, 10, 0, tzinfo=UTC)),  # 1 = Sunday
        ("cron(0 0 L * ? *)", datetime(2026, 11, 30, 0, 0, tzinfo=UTC)),
        ("cron(0 12 15W * ? *)", datetime(2026, 12, 15, 12, 0, tzinfo=UTC)),
        ("cron(15 10 ? * 6L 2027)", datetime(2027, 1, 29, 10, 15, tzinfo=UTC)),  # last Friday
        ("cron(0 9 ? * 6#3 *)", datetime(2026, 12, 18, 9, 0, tzinfo=UTC)),  # third Friday
        ("cron(30 8 1 JAN,JUL ? *)", datetime(2027, 1, 1, 8, 30, tzinfo=UTC)),
    ],
)
def test_next_fire_time(expression: str, expected: datetime) -> None:
    assert _next(expression) == expected


def test_a_rate_keeps_its_grid_from_the_origin() -> None:
    rate = parse("rate(5 minutes)")
    assert isinstance(rate, Rate)
    origin = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)

    assert rate.next_after(datetime(2026, 11, 26, 8, 7, tzinfo=UTC), origin) == datetime(
        2026, 11, 26, 8, 10, tzinfo=UTC
    )


@pytest.mark.parametrize(
    "expression",
    [
        "rate(0 minutes)",
        "rate(1 minutes)",
        "rate(5 minute)",
        "rate(5 weeks)",
        "cron(* * * * * *)",
        "cron(0 3 * * ?)",
        "cron(0 25 * * ? *)",
        "cron(0 3 ? * 6#9 *)",
        "cron(0 3 ? * FOO *)",
        "cron(0 0 30 2 ? *)",
        "every day",
    ],
)
def test_invalid_expressions_are_refused_with_a_reason(expression: str) -> None:
    with pytest.raises(ScheduleExpressionError):
        _next(expression)

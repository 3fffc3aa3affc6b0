"""EventBridge schedule expressions: ``rate(…)`` and ``cron(…)``, evaluated in UTC.

AWS cron has six fields — minutes, hours, day-of-month, month, day-of-week, year — with ``* , - /``
everywhere, ``?`` in exactly one of day-of-month / day-of-week, ``L`` (last day of the month, or
``<weekday>L`` the last such weekday), ``W`` (``15W`` the weekday nearest the 15th, ``LW``) and ``#``
(``6#3`` the third Friday). Day-of-week counts 1 = SUN … 7 = SAT.
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
_CRON = re.compile(r"^cron\((.*)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = {name.upper(): i for i, name in enumerate(calendar.month_abbr) if name}
_WEEKDAYS = {name: i + 1 for i, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"))}
_SEARCH_YEARS = 5  # a cron with no match within this many years never fires


class ScheduleExpressionError(ValueError):
    """Not an expression EventBridge accepts."""


@dataclass(frozen=True)
class Rate:
    seconds: int

    def next_after(self, moment: datetime, origin: datetime) -> datetime:
        """The first tick strictly after ``moment`` of the grid starting at ``origin``."""
        elapsed = (moment - origin).total_seconds()
        ticks = int(elapsed // self.seconds) + 1 if elapsed >= 0 else 1
        return origin + timedelta(seconds=ticks * self.seconds)


def _aws_weekday(day: date) -> int:
    return (day.weekday() + 1) % 7 + 1  # Monday=0 -> 2, Sunday=6 -> 1


def _values(field: str, low: int, high: int, names: dict[str, int] | None = None) -> frozenset[int]:
    def number(token: str) -> int:
        token = token.upper()
        if names and token in names:
            return names[token]
        if not token.isdigit():
            raise ScheduleExpressionError(f"{token!r} is not a value")
        value = int(token)
        if not low <= value <= high:
            raise ScheduleExpressionError(f"{value} is outside {low}-{high}")
        return value

    values: set[int] = set()
    for part in field.split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if step_text and (not step_text.isdigit() or step < 1):
            raise ScheduleExpressionError(f"bad step in {part!r}")
        if base == "*":
            start, end = low, high
        elif "-" in base:
            first, _, last = base.partition("-")
            start, end = number(first), number(last)
        else:
            start = number(base)
            end = high if step_text else start
        values.update(range(start, end + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    months: frozenset[int]
    years: frozenset[int]
    day_of_month: str  # kept as text: L and W depend on the month
    day_of_week: str

    @classmethod
    def parse(cls, body: str) -> Cron:
        fields = body.split()
        if len(fields) != 6:
            raise ScheduleExpressionError(f"cron needs 6 fields, got {len(fields)}: {body!r}")
        minutes, hours, dom, month, dow, year = fields
        if (dom == "?") == (dow == "?"):
            raise ScheduleExpressionError("exactly one of day-of-month and day-of-week must be '?'")
        cron = cls(
            minutes=_values(minutes, 0, 59),
            hours=_values(hours, 0, 23),
            months=_values(month, 1, 12, _MONTHS),
            years=_values(year, 1970, 2199),
            day_of_month=dom.upper(),
            day_of_week=dow.upper(),
        )
        cron._day_matches(date(2000, 1, 1))  # validates the day fields once
        return cron

    def _day_matches(self, day: date) -> bool:
        if self.day_of_month != "?":
            return _dom_matches(self.day_of_month, day)
        return _dow_matches(self.day_of_week, day)

    def next_after(self, moment: datetime) -> datetime:
        start = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
        day = start.date()
        for _ in range(366 * _SEARCH_YEARS):
            if day.year in self.years and day.month in self.months and self._day_matches(day):
                for hour in sorted(self.hours):
                    for minute in sorted(self.minutes):
                        candidate = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
                        if candidate >= start:
                            return candidate
            day += timedelta(days=1)
        raise ScheduleExpressionError(f"cron never fires within {_SEARCH_YEARS} years")


def _dom_matches(field: str, day: date) -> bool:
    last = calendar.monthrange(day.year, day.month)[1]
    for part in field.split(","):
        if part == "L":
            if day.day == last:
                return True
        elif part.endswith("W"):
            target = last if part == "LW" else int(part[:-1])
            if day == _nearest_weekday(day.replace(day=min(target, last))):
                return True
        elif day.day in _values(part, 1, 31):
            return True
    return False


def _nearest_weekday(day: date) -> date:
    """``nW``: the weekday nearest the day, without leaving the month."""
    if day.weekday() == 5:  # Saturday -> Friday, or Monday if Friday is last month
        return day - timedelta(days=1) if day.day > 1 else day + timedelta(days=2)
    if day.weekday() == 6:  # Sunday -> Monday, or Friday if Monday is next month
        last = calendar.monthrange(day.year, day.month)[1]
        return day + timedelta(days=1) if day.day < last else day - timedelta(days=2)
    return day


def _dow_matches(field: str, day: date) -> bool:
    weekday = _aws_weekday(day)
    for part in field.split(","):
        if "#" in part:
            name, _, nth = part.partition("#")
            if not nth.isdigit() or not 1 <= int(nth) <= 5:
                raise ScheduleExpressionError(f"bad '#' in {part!r}: expected 1-5")
            wanted = next(iter(_values(name, 1, 7, _WEEKDAYS)))
            if weekday == wanted and (day.day - 1) // 7 + 1 == int(nth):
                return True
        elif part.endswith("L") and part != "L":
            wanted = next(iter(_values(part[:-1], 1, 7, _WEEKDAYS)))
            last = calendar.monthrange(day.year, day.month)[1]
            if weekday == wanted and day.day + 7 > last:
                return True
        elif weekday in _values("7" if part == "L" else part, 1, 7, _WEEKDAYS):
            return True
    return False


Schedule = Rate | Cron


def parse(expression: str) -> Schedule:
    text = expression.strip()
    if match := _RATE.match(text):
        value, unit = int(match[1]), match[2].rstrip("s")
        if value < 1:
            raise ScheduleExpressionError("rate value must be positive")
        if (value == 1) != (match[2] == unit):
            raise ScheduleExpressionError(f"{expression!r}: use '1 {unit}' or 'N {unit}s' (EventBridge does)")
        return Rate(value * _UNIT_SECONDS[unit])
    if match := _CRON.match(text):
        return Cron.parse(match[1])
    raise ScheduleExpressionError(f"{expression!r} is neither rate(...) nor cron(...)")

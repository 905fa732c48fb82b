"""Named reporting periods in a workspace's timezone, and the period before each."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from feedback.errors import Invalid

NAMED = (
    "today",
    "last_7_days",
    "last_30_days",
    "last_90_days",
    "this_week",
    "last_week",
    "this_month",
    "last_month",
    "this_quarter",
    "last_quarter",
    "this_year",
    "last_year",
    "all",
)
# The days a custom period may run between: any history, and the period before the longest
# one still falls within the calendar `datetime` knows (years 1 to 9999).
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)


@dataclass(frozen=True)
class Period:
    """[start, end) in naive UTC, with the local dates that name it."""

    start: datetime | None
    end: datetime | None
    label: str
    kind: str  # "day", "week", "month", "quarter", "year", "days:N", "custom" or "all"

    def to_dict(self) -> dict[str, str | None]:
        return {
            "label": self.label,
            "from": self.start.isoformat() + "Z" if self.start else None,
            "to": self.end.isoformat() + "Z" if self.end else None,
        }


@functools.cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def zone(name: Any) -> ZoneInfo:
    """The timezone called `name`, an IANA name such as Europe/Paris; Invalid otherwise."""
    # Only a known name reaches ZoneInfo, which reads any other as a path under its data
    # folder: a long or odd one ("x" * 6000, the folder "America") fails there with an
    # OSError, not as an unknown zone.
    if not isinstance(name, str) or name not in _zone_names():
        shown = f" {name!r}" if isinstance(name, str) and len(name) <= 64 else ""
        raise Invalid(
            f"Unknown timezone{shown}; use an IANA name such as Europe/Paris.", "timezone"
        )
    return ZoneInfo(name)


def midnight(day: date, tz: ZoneInfo) -> datetime:
    """The naive UTC instant local day `day` starts at."""
    local = datetime(day.year, day.month, day.day, tzinfo=tz)
    return local.astimezone(UTC).replace(tzinfo=None)


def local_day(moment: datetime, tz: ZoneInfo) -> date:
    """The local date of a naive UTC instant."""
    return moment.replace(tzinfo=UTC).astimezone(tz).date()


def _span(first: date, after: date, tz: ZoneInfo, label: str, kind: str) -> Period:
    return Period(midnight(first, tz), midnight(after, tz), label, kind)


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _add_months(day: date, months: int) -> date:
    total = day.year * 12 + day.month - 1 + months
    return date(total // 12, total % 12 + 1, 1)


def _calendar_label(kind: str, first: date) -> str:
    if kind == "month":
        return first.strftime("%B %Y")
    if kind == "quarter":
        return f"Q{(first.month - 1) // 3 + 1} {first.year}"
    return str(first.year)


def resolve(name: str, tz_name: str, now: datetime | None = None) -> Period:
    """The period called `name`, as seen from `now` in the workspace's timezone."""
    tz = zone(tz_name)
    today = (now or datetime.now(UTC)).astimezone(tz).date()
    if name == "all":
        return Period(None, None, "all time", "all")
    if name == "today":
        return _span(today, today + timedelta(days=1), tz, today.isoformat(), "day")
    if name.startswith("last_") and name.endswith("_days"):
        days = int(name.split("_")[1])
        first = today - timedelta(days=days - 1)
        return _span(first, today + timedelta(days=1), tz, f"{first} to {today}", f"days:{days}")
    if name in ("this_week", "last_week"):
        monday = today - timedelta(days=today.weekday())
        if name == "last_week":
            monday -= timedelta(days=7)
        return _span(monday, monday + timedelta(days=7), tz, f"week of {monday}", "week")
    if name in ("this_month", "last_month"):
        first = _add_months(today.replace(day=1), -1 if name == "last_month" else 0)
        return _span(first, _add_months(first, 1), tz, _calendar_label("month", first), "month")
    if name in ("this_quarter", "last_quarter"):
        first = _add_months(_quarter_start(today), -3 if name == "last_quarter" else 0)
        return _span(first, _add_months(first, 3), tz, _calendar_label("quarter", first), "quarter")
    if name in ("this_year", "last_year"):
        year = today.year - (1 if name == "last_year" else 0)
        return _span(date(year, 1, 1), date(year + 1, 1, 1), tz, str(year), "year")
    raise Invalid(f"Unknown period {name!r}; use one of: {', '.join(NAMED)}.", "period")


def custom(first: str, last: str, tz_name: str) -> Period:
    """From the start of local day `first` to the end of local day `last` (inclusive)."""
    tz = zone(tz_name)
    try:
        start = date.fromisoformat(first)
    except (TypeError, ValueError) as exc:
        raise Invalid("Must be a date like 2026-01-31.", "from") from exc
    try:
        end = date.fromisoformat(last)
    except (TypeError, ValueError) as exc:
        raise Invalid("Must be a date like 2026-01-31.", "to") from exc
    for name, day in (("from", start), ("to", end)):
        if not FIRST_DAY <= day <= LAST_DAY:
            raise Invalid(f"Must be a date from {FIRST_DAY} to {LAST_DAY}.", name)
    if end < start:
        raise Invalid("The end date comes before the start date.", "to")
    return _span(start, end + timedelta(days=1), tz, f"{start} to {end}", "custom")


def previous(period: Period, tz_name: str) -> Period | None:
    """The period of the same kind just before: last quarter for a quarter, and so on."""
    if period.start is None or period.end is None:
        return None
    tz = zone(tz_name)
    first = period.start.replace(tzinfo=UTC).astimezone(tz).date()
    after = period.end.replace(tzinfo=UTC).astimezone(tz).date()
    months = {"month": 1, "quarter": 3, "year": 12}.get(period.kind)
    if months:
        prev_first = _add_months(first, -months)
        return _span(prev_first, first, tz, _calendar_label(period.kind, prev_first), period.kind)
    length = after - first
    return _span(
        first - length, first, tz, f"{first - length} to {first - timedelta(days=1)}", period.kind
    )


def month_spans(
    tz_name: str, count: int, now: datetime | None = None
) -> list[tuple[date, datetime, datetime]]:
    """The last `count` calendar months in the workspace's timezone, oldest first, the current
    one last: (its first local day, its start, its end) in naive UTC, exact across DST."""
    tz = zone(tz_name)
    this = (now or datetime.now(UTC)).astimezone(tz).date().replace(day=1)
    firsts = [_add_months(this, k) for k in range(1 - count, 2)]
    return [
        (first, midnight(first, tz), midnight(after, tz))
        for first, after in zip(firsts, firsts[1:], strict=False)
    ]

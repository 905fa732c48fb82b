"""A workspace's case settings, and when a case is due: business hours in its own timezone.

The default SLA is two business days (16 hours of a 09:00-17:00 day, Monday to Friday). A
case opened at night or on a weekend starts its clock when the next business day begins.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from feedback import periods
from feedback.errors import Invalid

DEFAULT_SETTINGS: dict[str, Any] = {
    "sla_hours": 16,
    "day_start": 9,
    "day_end": 17,
    # ISO weekdays: 1 is Monday.
    "workdays": [1, 2, 3, 4, 5],
    # A respondent who changes their score out of the low band resolves their case as
    # recovered; off, the case stays open for its owner (its trail still records the change).
    "resolve_on_recovery": True,
}


def clean_settings(raw: Any, current: dict[str, Any] | None = None) -> dict[str, Any]:
    """Case settings merged over the current ones; an error names the setting that is wrong."""
    if not isinstance(raw, dict):
        raise Invalid("Case settings must be an object.", "case_settings")
    settings = {**DEFAULT_SETTINGS, **(current or {})}
    for name, value in raw.items():
        if name not in DEFAULT_SETTINGS:
            raise Invalid(f"Unknown setting; use one of: {', '.join(DEFAULT_SETTINGS)}.", name)
        if name == "workdays":
            if (
                not isinstance(value, list)
                or not value
                # 1.0 would pass `in range(1, 8)`; a weekday is a whole number.
                or any(type(d) is not int or not 1 <= d <= 7 for d in value)
            ):
                raise Invalid("Workdays are ISO weekday numbers, 1 (Monday) to 7.", name)
            settings[name] = sorted(set(value))
            continue
        if name == "resolve_on_recovery":
            if not isinstance(value, bool):
                raise Invalid("Must be true or false.", name)
            settings[name] = value
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid("Must be a whole number.", name)
        limits = {"sla_hours": (1, 2000), "day_start": (0, 23), "day_end": (1, 24)}[name]
        if not limits[0] <= value <= limits[1]:
            raise Invalid(f"Must be from {limits[0]} to {limits[1]}.", name)
        settings[name] = value
    if settings["day_start"] >= settings["day_end"]:
        raise Invalid("The business day must end after it starts.", "day_end")
    return settings


def _at(day: datetime, hour: int, zone: ZoneInfo) -> datetime:
    if hour == 24:
        return datetime.combine(day.date() + timedelta(days=1), time(0), tzinfo=zone)
    return datetime.combine(day.date(), time(hour), tzinfo=zone)


def due_at(opened: datetime, timezone: str, settings: dict[str, Any] | None = None) -> datetime:
    """`opened` (naive UTC) plus the SLA's business hours; naive UTC like every stored time."""
    rules = {**DEFAULT_SETTINGS, **(settings or {})}
    zone = periods.zone(timezone)
    workdays = set(rules["workdays"])
    now = opened.replace(tzinfo=UTC).astimezone(zone)
    left = timedelta(hours=rules["sla_hours"])
    for _ in range(3660):  # ten years of days: settings are checked, so this always ends
        start, end = _at(now, rules["day_start"], zone), _at(now, rules["day_end"], zone)
        if now.isoweekday() in workdays and now < end:
            now = max(now, start)
            # Same tzinfo on both sides: the difference is wall-clock time, which is what a
            # business day measures, also across a DST change.
            available = end - now
            if left <= available:
                return (now + left).astimezone(UTC).replace(tzinfo=None)
            left -= available
        now = _at(now, 24, zone)
    raise ValueError("no business hours in the settings")

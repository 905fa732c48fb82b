"""Named periods resolve in the workspace's timezone, and each knows the one before it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from feedback.errors import Invalid
from feedback.periods import custom, month_spans, previous, resolve, zone

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)  # still Nov 24 in New York


def test_this_quarter_and_the_one_before() -> None:
    q = resolve("this_quarter", "UTC", NOW)
    assert (q.start, q.end, q.label) == (datetime(2026, 10, 1), datetime(2027, 1, 1), "Q4 2026")
    before = previous(q, "UTC")
    assert (before.start, before.end, before.label) == (
        datetime(2026, 7, 1),
        datetime(2026, 10, 1),
        "Q3 2026",
    )


def test_local_day_boundaries_follow_the_timezone() -> None:
    today = resolve("today", "America/New_York", NOW)
    assert today.label == "2026-11-24"
    assert today.start == datetime(2026, 11, 24, 5, 0)  # midnight EST in UTC


def test_weeks_start_on_monday_and_rolling_windows_include_today() -> None:
    week = resolve("this_week", "UTC", NOW)
    assert week.start == datetime(2026, 11, 23)
    last7 = resolve("last_7_days", "UTC", NOW)
    assert (last7.start, last7.end) == (datetime(2026, 11, 19), datetime(2026, 11, 26))
    assert previous(last7, "UTC").start == datetime(2026, 11, 12)


def test_custom_range_is_inclusive_and_checked() -> None:
    p = custom("2026-01-01", "2026-01-31", "UTC")
    assert (p.start, p.end) == (datetime(2026, 1, 1), datetime(2026, 2, 1))
    with pytest.raises(Invalid) as err:
        custom("2026-02-01", "2026-01-01", "UTC")
    assert err.value.field == "to"


@pytest.mark.parametrize(
    ("first", "last", "field"),
    [("0001-01-01", "2026-01-01", "from"), ("2026-01-01", "9999-12-31", "to")],
)
def test_a_custom_range_stays_on_the_calendar(first: str, last: str, field: str) -> None:
    # The last day plus one, or the period before the first, would leave datetime's years.
    with pytest.raises(Invalid) as err:
        custom(first, last, "Europe/Paris")
    assert err.value.field == field


def test_unknown_period_and_timezone_are_named() -> None:
    with pytest.raises(Invalid) as err:
        resolve("fortnight", "UTC", NOW)
    assert err.value.field == "period"
    with pytest.raises(Invalid) as err:
        resolve("today", "Nowhere/City", NOW)
    assert err.value.field == "timezone"


# ZoneInfo reads a name as a path: these failed there with OSError or ValueError, not "unknown".
@pytest.mark.parametrize(
    "name", ["x" * 6000, "America", "../../etc/passwd", "/etc/localtime", "UTC\x00", "", 5, None]
)
def test_only_a_known_timezone_name_reaches_zoneinfo(name: object) -> None:
    with pytest.raises(Invalid) as err:
        zone(name)
    assert err.value.field == "timezone"
    assert len(err.value.message) < 200  # a 6,000-character name is not echoed back


def test_twelve_months_end_with_the_local_one_and_follow_summer_time() -> None:
    # At 03:00 UTC on 1 December it is still 30 November in New York: November is the last.
    months = month_spans("America/New_York", 12, datetime(2026, 12, 1, 3, 0, tzinfo=UTC))
    assert [first.isoformat() for first, _, _ in (months[0], months[-1])] == [
        "2025-12-01",
        "2026-11-01",
    ]
    by_first = {first.month: (start, end) for first, start, end in months}
    assert by_first[3] == (datetime(2026, 3, 1, 5, 0), datetime(2026, 4, 1, 4, 0))  # EST, EDT
    assert by_first[11][1] == datetime(2026, 12, 1, 5, 0)
    assert all(a[2] == b[1] for a, b in zip(months, months[1:], strict=False))

"""When a case is due: business hours, in the workspace's timezone."""

from __future__ import annotations

from datetime import datetime

import pytest

from feedback.cases.sla import clean_settings, due_at
from feedback.errors import Invalid


def test_two_business_days_from_the_middle_of_a_working_day() -> None:
    # Wednesday 10:00 UTC: 7 hours left that day, 8 on Thursday, 1 on Friday.
    assert due_at(datetime(2026, 11, 25, 10, 0), "UTC") == datetime(2026, 11, 27, 10, 0)


def test_a_case_opened_on_friday_night_is_due_by_tuesday_evening() -> None:
    assert due_at(datetime(2026, 11, 27, 20, 0), "UTC") == datetime(2026, 12, 1, 17, 0)


def test_the_clock_follows_the_workspace_timezone() -> None:
    # 05:00 in New York: the clock starts at 09:00 there, 16 hours run out Thursday 17:00.
    assert due_at(datetime(2026, 11, 25, 10, 0), "America/New_York") == datetime(
        2026, 11, 26, 22, 0
    )


def test_business_hours_are_wall_clock_hours_across_a_dst_change() -> None:
    # Friday 16:00 in Berlin before the clocks go back on Sunday 25 October 2026: one hour
    # on Friday, the rest on Monday, which is an hour further from UTC.
    due = due_at(datetime(2026, 10, 23, 14, 0), "Europe/Berlin", {"sla_hours": 8})
    assert due == datetime(2026, 10, 26, 15, 0)  # Monday 16:00 CET


def test_custom_hours_and_workdays() -> None:
    settings = clean_settings({"sla_hours": 4, "day_start": 8, "day_end": 12, "workdays": [6]})
    # Wednesday: the next working day is Saturday, 08:00-12:00.
    assert due_at(datetime(2026, 11, 25, 10, 0), "UTC", settings) == datetime(2026, 11, 28, 12)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"sla_hours": 0}, "sla_hours"),
        ({"day_start": 18}, "day_end"),
        ({"workdays": [0]}, "workdays"),
        ({"workdays": []}, "workdays"),
        ({"workdays": [1.0]}, "workdays"),
        ({"workdays": [True]}, "workdays"),
        ({"workdays": [{}]}, "workdays"),
        ({"sla_hours": "16"}, "sla_hours"),
        ({"holidays": []}, "holidays"),
    ],
)
def test_bad_settings_name_the_setting(raw: dict, field: str) -> None:
    with pytest.raises(Invalid) as error:
        clean_settings(raw)
    assert error.value.field == field

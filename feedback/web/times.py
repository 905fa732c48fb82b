"""Times for people: in the workspace's timezone, named, and relative to now ("due in 5 h").

Every time a dashboard page shows goes through `local`, so one response reads 02:11 EST on
its case and on its own page alike.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import g

from feedback.cases.models import Case
from feedback.database import utcnow
from feedback.periods import zone


def zone_label(moment: datetime) -> str:
    """The zone of an aware time as people write it: its abbreviation (CET, EST, UTC), or
    its name where it has only an offset for one ("+04" is Asia/Dubai)."""
    abbreviation = moment.tzname() or ""
    if abbreviation[:1].isalpha():
        return abbreviation
    return getattr(moment.tzinfo, "key", abbreviation)


def local(value: datetime | None, fmt: str = "%a %d %b %Y, %H:%M") -> str:
    """A stored (naive UTC) time on the workspace's clock; with its zone when it shows a time
    of day, since a bare 02:11 reads as the reader's own clock."""
    if value is None:
        return "–"
    tz = zone(g.workspace.timezone if g.get("workspace") else "UTC")
    moment = value.replace(tzinfo=UTC).astimezone(tz)
    text = moment.strftime(fmt)
    return f"{text} {zone_label(moment)}" if "%H" in fmt else text


def span(seconds: float) -> str:
    """A duration rounded the way people say it: 40 min, 5 h, 3 d."""
    minutes = max(1, round(abs(seconds) / 60))
    if minutes < 60:
        return f"{minutes} min"
    hours = round(minutes / 60)
    if hours < 48:
        return f"{hours} h"
    return f"{round(hours / 24)} d"


def due(case: Case) -> str:
    """How a case stands against its SLA: "due in 5 h", "3 h overdue", or when it closed."""
    if not case.is_open:
        return f"closed {local(case.resolved_at, '%d %b')}" if case.resolved_at else "closed"
    left = (case.due_at - utcnow()).total_seconds()
    return f"due in {span(left)}" if left >= 0 else f"{span(left)} overdue"


def ago(value: datetime | None) -> str:
    if value is None:
        return "–"
    seconds = (utcnow() - value).total_seconds()
    return "just now" if seconds < 60 else f"{span(seconds)} ago"

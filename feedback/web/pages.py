"""What every dashboard page shares: a blueprint under /app, and its templates' helpers."""

from __future__ import annotations

from flask import Blueprint, Flask

from feedback.periods import NAMED
from feedback.responses.models import Respondent
from feedback.web import times
from feedback.web.auth import can

PREFIX = "/app"


def page_blueprint(name: str, import_name: str) -> Blueprint:
    """A domain's dashboard pages: served under /app, with the dashboard's strict headers."""
    return Blueprint(name, import_name, url_prefix=PREFIX)


def register_template_helpers(app: Flask) -> None:
    """The names and filters every dashboard template may use."""
    app.context_processor(lambda: {"can": can, "sparkline": sparkline, "periods": NAMED})
    app.add_template_filter(number, "number")
    app.add_template_filter(person, "person")
    app.add_template_filter(times.local, "local")
    app.add_template_filter(times.due, "due")
    app.add_template_filter(times.ago, "ago")


def number(value: float | None, digits: int = 0, sign: bool = False) -> str:
    """A figure for people: thousands separated, fixed decimals, a dash when there is none."""
    if value is None:
        return "–"
    text = f"{value:,.{digits}f}"
    # A sign only says something on a change: "+0" reads as a rise.
    return f"+{text}" if sign and value > 0 and text.strip("0.,") else text


def person(respondent: Respondent | None) -> str:
    """A respondent as every page names them (Respondent.label); "anonymous" for nobody."""
    return respondent.label if respondent is not None else "anonymous"


def sparkline(points: list[float | None], width: int = 160, height: int = 40) -> str:
    """An SVG path through the points (gaps where a week has no value)."""
    values = [p for p in points if p is not None]
    if len(values) < 2:
        return ""
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = width / max(1, len(points) - 1)
    path, pen_down = [], False
    for i, value in enumerate(points):
        if value is None:
            pen_down = False
            continue
        x = round(i * step, 1)
        y = round(height - 2 - (value - low) / span * (height - 4), 1)
        path.append(f"{'L' if pen_down else 'M'}{x},{y}")
        pen_down = True
    return " ".join(path)

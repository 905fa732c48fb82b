"""A trajectory said in words against its target, every number taken from the projection:
"on course to reach 40 by March (80% interval 34–45)", "off course: at this rate it reaches
the target in August", "too few responses to project"."""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from feedback.metrics.trajectory import Point, Trajectory

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
FAR = 104  # weeks: past two years, "at this rate" says no month


def describe(path: Trajectory, target: float | None, higher_is_better: bool = True) -> str:
    """The sentence for a trajectory, with or without a target."""
    if not path.projected or path.now is None:
        return path.reason or "too few responses to project"
    say = _Numbers(path)
    end = path.projection[-1]
    if target is None:
        how = "no clear trend" if path.trend == "flat" else f"{path.trend} {say.slope()}"
        return f"{how}: {say(end.value)} by {_month(end.week)} ({say.interval(end)})"
    better = "rising" if higher_is_better else "falling"
    against = f"the target of {say(target)}"
    if path.on_course(target, higher_is_better):
        reached = path.reaches_target_on(target, higher_is_better)
        if not meets(path.now, target, higher_is_better) and reached is not None:
            point = next(p for p in path.projection if p.week == reached)
            return f"on course to reach {say(target)} by {_month(reached)} ({say.interval(point)})"
        held = "holding at" if path.trend == "flat" else f"{path.trend} {say.slope()}, at"
        return (
            f"on course: {held} {say(path.now)} against {against}; "
            f"{say(end.value)} by {_month(end.week)} ({say.interval(end)})"
        )
    if path.trend == "flat":
        return f"off course: no clear trend, at {say(path.now)} against {against}"
    if path.trend != better:
        if meets(path.now, target, higher_is_better):
            crossing = next(
                p.week for p in path.projection if not meets(p.value, target, higher_is_better)
            )
            side = "falls below" if higher_is_better else "rises above"
            return f"off course: at this rate it {side} {against} in {_month(crossing)}"
        return f"off course: {path.trend} {say.slope()}, away from {against}"
    return _later(path, target, say)


def _later(path: Trajectory, target: float, say: _Numbers) -> str:
    """Off course though heading the right way: when the slope, held, would get there."""
    assert path.slope and path.now is not None
    weeks = (target - path.now) / path.slope
    if weeks > FAR:
        return f"off course: at this rate it takes more than two years to reach {say(target)}"
    last = path.fitted[-1].week
    when = last + timedelta(weeks=max(1, round(weeks)))
    month = _month(when) if weeks <= 39 else f"{_month(when)} {when.year}"
    return f"off course: at this rate it reaches the target in {month}"


class _Numbers:
    """Figures as the KPI is read: whole points on a wide scale (NPS, percentages), one
    decimal on a narrow one (CES 1..7)."""

    def __init__(self, path: Trajectory) -> None:
        low, high = path.bounds
        # An open range (a time, a pushed figure) keeps a decimal: 2.5 h is not 3 h.
        self.decimals = 0 if math.isfinite(high - low) and high - low > 10 else 1
        self.path = path

    def __call__(self, value: float, extra: int = 0) -> str:
        text = f"{value:.{self.decimals + extra}f}"
        return "0" if text.strip("-0.") == "" else text.replace("-", "\u2212")

    def interval(self, point: Point) -> str:
        share = round(self.path.confidence * 100)
        low, high = self(point.low), self(point.high)
        between = " to " if point.low < 0 else "–"
        return f"{share}% interval {low}{between}{high}"

    def slope(self) -> str:
        return f"about {self(abs(self.path.slope or 0.0), 1)} a week"


def _month(day: date) -> str:
    return MONTHS[day.month - 1]


def meets(value: float, target: float, higher_is_better: bool) -> bool:
    """Whether a value is at the target or on its better side."""
    return value >= target if higher_is_better else value <= target

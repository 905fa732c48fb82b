"""A KPI's trajectory as a chart the page draws in SVG: the weekly figures with their 95% band,
the target line, and the projection's cone, on axes labelled with values and dates. And the
money section's churn rate by NPS band month by month, a line a band.

Only geometry here (paths and tick positions in the chart's own units); the template draws it,
and a table beside it says the same for screen readers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from feedback.metrics.trajectory import Trajectory

WIDTH, HEIGHT = 240.0, 120.0
LEFT, RIGHT, TOP, BOTTOM = 30.0, 6.0, 6.0, 18.0


@dataclass(frozen=True)
class WeekFigure:
    """One week of the series as the chart shows it (None: nobody answered that week)."""

    week: date
    value: float | None
    low: float | None
    high: float | None
    n: int


@dataclass(frozen=True)
class Chart:
    width: float
    height: float
    series: str  # the weekly figures, a line with gaps
    band: str  # their 95% intervals, one closed shape per run of weeks with data
    cone: str  # the projection's interval
    projection: str  # the projection's middle
    target_y: float | None
    y_ticks: tuple[tuple[float, str], ...]
    x_ticks: tuple[tuple[float, str], ...]
    today_x: float


def chart(
    weeks: list[WeekFigure], trajectory: Trajectory, target: float | None, digits: int = 0
) -> Chart | None:
    """The chart of `weeks` and what follows them; None when no week has a figure."""
    known = [w for w in weeks if w.value is not None]
    if not known:
        return None
    ahead = list(trajectory.projection)
    values = [v for w in known for v in (w.value, w.low, w.high) if v is not None]
    values += [v for p in ahead for v in (p.low, p.high)]
    if target is not None:
        values.append(target)
    low, high = _range(min(values), max(values), trajectory.bounds)
    first, last = weeks[0].week, (ahead[-1].week if ahead else weeks[-1].week)
    span = max(1, (last - first).days)

    def x(day: date) -> float:
        return round(LEFT + (day - first).days / span * (WIDTH - LEFT - RIGHT), 1)

    def y(value: float) -> float:
        return round(TOP + (high - value) / (high - low) * (HEIGHT - TOP - BOTTOM), 1)

    today = weeks[-1].week
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        series=_line([(x(w.week), y(w.value) if w.value is not None else None) for w in weeks]),
        band=_bands([(x(w.week), w.low, w.high) for w in weeks], y),
        cone=_shape([(x(p.week), y(p.low), y(p.high)) for p in ahead], (x(today), y(_now(known)))),
        projection=_line([(x(today), y(_now(known)))] + [(x(p.week), y(p.value)) for p in ahead]),
        target_y=y(target) if target is not None and low <= target <= high else None,
        y_ticks=tuple((y(v), _label(v, digits)) for v in (high, (high + low) / 2, low)),
        x_ticks=tuple((x(d), d.strftime("%b %-d")) for d in (first, today, last)),
        today_x=x(today),
    )


def _now(known: list[WeekFigure]) -> float:
    value = known[-1].value
    assert value is not None
    return value


def _range(low: float, high: float, bounds: tuple[float, float]) -> tuple[float, float]:
    """A little room around the data, within what the KPI can be."""
    scale = bounds[1] - bounds[0]
    if not math.isfinite(scale):  # an open range: room after the data's own size
        scale = max(abs(low), abs(high), 1.0)
    pad = max((high - low) * 0.1, scale * 0.02)
    low, high = max(bounds[0], low - pad), min(bounds[1], high + pad)
    return (low, high) if high > low else (low - 1, high + 1)


def _label(value: float, digits: int) -> str:
    return f"{value:.{digits}f}"


def _line(points: list[tuple[float, float | None]]) -> str:
    """An SVG path through the points, lifting the pen over a missing one."""
    out, down = [], False
    for px, py in points:
        if py is None:
            down = False
            continue
        out.append(f"{'L' if down else 'M'}{px},{py}")
        down = True
    return " ".join(out)


def _bands(weeks: list[tuple[float, float | None, float | None]], y: object) -> str:
    """One closed shape per run of weeks that have an interval."""
    runs: list[list[tuple[float, float, float]]] = [[]]
    for px, lo, hi in weeks:
        if lo is None or hi is None:
            runs.append([])
            continue
        runs[-1].append((px, y(lo), y(hi)))  # type: ignore[operator]
    return " ".join(_shape(run) for run in runs if run)


def _shape(run: list[tuple[float, float, float]], start: tuple[float, float] | None = None) -> str:
    """The area between the lows and the highs of `run`, from the point `start` when given."""
    if not run:
        return ""
    ends = [f"{start[0]},{start[1]}"] if start else []
    upper = [f"{px},{hi}" for px, _lo, hi in run]
    lower = [f"{px},{lo}" for px, lo, _hi in reversed(run)]
    return "M" + " L".join(ends + upper + lower + ends) + " Z"


# The churn chart is as wide as the money section's card, so it has room for twelve months,
# and a little more room on the right for the last month's name.
MONTHS_WIDTH, MONTHS_HEIGHT = 320.0, 130.0
MONTHS_RIGHT = 14.0
# The churn axis ends at the first of these above the highest rate drawn.
RATE_TOPS = (10, 20, 30, 50, 75, 100)


@dataclass(frozen=True)
class BandLine:
    band: str
    path: str  # the months with an outcome in the band, the pen lifted over the others
    dots: tuple[tuple[float, float], ...]  # a mark a month, so a lone month still shows


@dataclass(frozen=True)
class MonthsChart:
    width: float
    height: float
    lines: tuple[BandLine, ...]
    y_ticks: tuple[tuple[float, str], ...]
    x_ticks: tuple[tuple[float, str], ...]
    labels: tuple[str, ...]  # each month's name, for the table that says what the chart draws
    last_x: float  # where the current month, still running, is drawn
    left: float = LEFT  # where the plot starts and ends across
    right: float = MONTHS_WIDTH - MONTHS_RIGHT


def churn_chart(months: Sequence[dict[str, Any]]) -> MonthsChart | None:
    """Each NPS band's churn rate month by month (the money block's `churn.by_month`), on a
    0 to 100% scale cut at the highest rate; None when no band had an outcome in any month."""
    rates: dict[str, list[float | None]] = {}
    for i, month in enumerate(months):
        for cell in month["bands"]:
            value = cell["churn_rate"]["value"] if cell["n"] else None
            rates.setdefault(cell["band"], [None] * len(months))[i] = value
    drawn = [v for values in rates.values() for v in values if v is not None]
    if not drawn:
        return None
    top = next(t for t in RATE_TOPS if t >= max(drawn))
    span = max(1, len(months) - 1)

    def x(i: int) -> float:
        return round(LEFT + i / span * (MONTHS_WIDTH - LEFT - MONTHS_RIGHT), 1)

    def y(value: float) -> float:
        return round(TOP + (top - value) / top * (MONTHS_HEIGHT - TOP - BOTTOM), 1)

    lines = []
    for band, values in rates.items():
        points = [(x(i), None if v is None else y(v)) for i, v in enumerate(values)]
        dots = tuple((px, py) for px, py in points if py is not None)
        lines.append(BandLine(band, _line(points), dots))
    first = [date.fromisoformat(m["month"] + "-01") for m in months]
    return MonthsChart(
        width=MONTHS_WIDTH,
        height=MONTHS_HEIGHT,
        lines=tuple(lines),
        y_ticks=tuple((y(v), f"{v:g}%") for v in (top, top / 2, 0)),
        x_ticks=tuple(
            (x(i), day.strftime("%b %y" if i == 0 or day.month == 1 else "%b"))
            for i, day in enumerate(first)
        ),
        labels=tuple(day.strftime("%b %Y") for day in first),
        last_x=x(len(months) - 1),
    )

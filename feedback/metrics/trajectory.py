"""Where a KPI is heading: its weekly series fitted with a trend and projected 13 weeks ahead
with an 80% prediction interval, then said in words against the KPI's target.

The method (DEFAULT, `trend_fit.Method()`): a level that wanders from week to week plus one
slope for the series, each week's noise its per-response variance over its n, fitted by
maximum likelihood in state space (statsmodels); a week without responses is a gap the Kalman
filter bridges. When the slope's 95% interval holds 0 there is no trend: the weeks ahead are
projected level (from a fit without a slope), with the interval the slope still allows. A
projected week's interval is for one week's figure at the series' median n.

Chosen by the backtest, bench/trajectory.py: 180 simulated series (flat, trend, level shift,
wiggle, sparse; NPS, CSAT and CES sampled from a true rate, n from 0 to about 40 a week) and
the 20 series (NPS, CSAT, PSAT, CES) of five demo workspaces, the last 13 weeks held out
(2,366 held-out weeks). Coverage of the held-out weekly figures by the 80% interval; mean
absolute error as % of the KPI's range, against 10.69 for the naive last value (demo: 8.44);
time per fit, mean and p95:

    method                                    coverage (demo)   error (demo)    ms (p95)
    fixed slope, flat unless a trend: DEFAULT 0.82 (0.81)       8.72 (7.66)     7 (13)
      the same, the level's interval if flat  0.76 (0.69)       8.72 (7.66)     8 (17)
      the same, noise pooled from the SEs     0.84 (0.84)       8.72 (7.61)     5 (11)
    fixed slope, always projected             0.81 (0.76)       9.35 (9.76)     5 (9)
    local linear trend (the slope wanders)    0.80 (0.78)       9.86 (10.12)    51 (141)
      the same, flat unless a trend           0.84 (0.83)       8.70 (7.66)     43 (98)
    smooth trend                              0.79 (0.77)       9.94 (9.32)     4 (8)
    local level (no slope)                    0.78 (0.74)       8.40 (6.65)     2 (4)
    Holt's method (statsmodels ETS)           0.68 (0.51)       10.19 (10.85)   51 (169)
    Holt's method, damped                     0.72 (0.68)       8.79 (7.67)     62 (161)

Times are on two cores shared with a running test suite (in quieter runs the default's mean
was 2 to 5 ms).
The demo's figures move a little with the day it is seeded (its weeks end today).

Why: a slope the data cannot tell from noise, projected 13 weeks, costs more than it gains
(always projected: 9.35, and worse than the naive value on the demo), so a slope is projected
only when it is a trend; the interval must then keep the slope's doubt (without it: 0.76, demo
0.69). The local level errs a little less (8.40) but has no slope, so it can never say when a
target will be reached. The local linear trend does as well as the default only when also
flat unless a trend, at several times the time: its two variances are left to statsmodels'
optimizer, which does not always converge, and its p95 is over the 50 ms budget. Pooled
standard errors do as well but need every week's; n is always known. Holt's method,
unweighted and blind to empty weeks, covers too little. Trends are found in 36% of the
simulated ones (gentle slopes in heavy noise); 0 of 36 flat series were called a trend here,
and 9 of 200 flat NPS series (4.5%, the 95% interval's share) in the tests' kind.

Too few to project: fewer than 8 weeks with responses, or fewer than 40 responses in all;
below that a wandering level and a slope cannot both be estimated with any stability (the fit
spends its first two weeks on the diffuse start). Nothing is cached here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import NormalDist

import numpy as np

from feedback.metrics.trajectory_words import describe, meets
from feedback.metrics.trend_fit import Method, TrendFit, fit_trend, pooled_variance

HORIZON = 13  # weeks projected
CONFIDENCE = 0.80  # of the projection's interval
TREND_CONFIDENCE = 0.95  # a slope is a trend when this interval of it leaves out 0
MIN_WEEKS = 8  # weeks with responses, at least, to project
MIN_RESPONSES = 40  # responses in all, at least, to project
TOO_FEW = "too few responses to project"


@dataclass(frozen=True)
class Week:
    """One week of a KPI: its Monday, its figure (None when no one answered), the responses
    behind it, and the figure's standard error when known."""

    start: date
    value: float | None
    n: int
    se: float | None = None


@dataclass(frozen=True)
class Fitted:
    """A week's figure as the fit sees it once the noise is set aside: its level, and the
    change a week (the slope) at that time."""

    week: date
    level: float
    slope: float


@dataclass(frozen=True)
class Point:
    """A projected week: the figure expected and the interval a week's figure should fall in."""

    week: date
    value: float
    low: float
    high: float


DEFAULT = Method()


@dataclass(frozen=True)
class Trajectory:
    """A KPI's fitted weeks and projection, with its slope now and that slope's 95% interval.
    Without a trend the fitted weeks and the projection are level (slope 0), while `slope`
    and `slope_interval` still say what slope the data hold and how unsure it is. `reason` is
    set (and the rest empty) when there is too little to project."""

    bounds: tuple[float, float]
    fitted: tuple[Fitted, ...] = ()
    projection: tuple[Point, ...] = ()
    slope: float | None = None
    slope_interval: tuple[float, float] | None = None
    confidence: float = CONFIDENCE
    reason: str | None = None

    @property
    def projected(self) -> bool:
        return self.reason is None and bool(self.projection)

    @property
    def trend(self) -> str:
        """'rising' or 'falling' when the slope's interval leaves out 0, else 'flat'."""
        if self.slope_interval is None:
            return "flat"
        low, high = self.slope_interval
        return "rising" if low > 0 else "falling" if high < 0 else "flat"

    @property
    def now(self) -> float | None:
        """The level of the last week of the series."""
        return self.fitted[-1].level if self.fitted else None

    def reaches_target_on(self, target: float, higher_is_better: bool = True) -> date | None:
        """The first projected week whose value reaches the target, or None."""
        for point in self.projection:
            if meets(point.value, target, higher_is_better):
                return point.week
        return None

    def on_course(self, target: float, higher_is_better: bool = True) -> bool:
        """On course when the projection ends at the target or beyond it. A slope within the
        noise is no trend: then only where the KPI is now counts, not where a slope that may
        be nothing would take it."""
        if not self.projected or self.now is None:
            return False
        if self.trend == "flat":
            return meets(self.now, target, higher_is_better)
        return meets(self.projection[-1].value, target, higher_is_better)

    def sentence(self, target: float | None = None, higher_is_better: bool = True) -> str:
        """What the projection says, in words built from its numbers."""
        return describe(self, target, higher_is_better)


def project(
    weeks: Sequence[Week],
    bounds: tuple[float, float],
    *,
    horizon: int = HORIZON,
    confidence: float = CONFIDENCE,
    method: Method = DEFAULT,
    min_responses: int = MIN_RESPONSES,
    too_few: str = TOO_FEW,
) -> Trajectory:
    """Fit the weekly series and project it `horizon` weeks past its last week, each value and
    interval kept within `bounds` (the KPI's possible range: NPS -100..100, a percentage
    0..100, CES 1..7; a time 0..inf). Weeks may be missing or empty; a week's figure counts by
    its n, and a projected week's interval is for a week of the series' median n. A KPI whose
    weeks are single readings (a pushed figure) sets `min_responses` to the weeks it needs,
    and says what it lacks in `too_few`."""
    ordered = sorted(weeks, key=lambda week: week.start)
    seen = [w for w in ordered if w.value is not None and w.n > 0]
    if len(seen) < MIN_WEEKS or sum(w.n for w in seen) < min_responses:
        return Trajectory(bounds, confidence=confidence, reason=too_few)
    first, last = seen[0].start, ordered[-1].start
    size = (last - first).days // 7 + 1
    y, n = np.full(size, np.nan), np.zeros(size)
    for w in seen:
        at = (w.start - first).days // 7
        y[at], n[at] = w.value, w.n
    starts = [first + timedelta(weeks=i) for i in range(size)]
    ahead = [last + timedelta(weeks=h) for h in range(1, horizon + 1)]
    if len({w.value for w in seen}) == 1:
        return _constant(float(y[0]), starts, ahead, bounds, confidence)
    known = pooled_variance([w.n for w in seen], [w.se for w in seen])
    fit, slope, interval, coming = _fit(y, n, method, horizon, known)
    fitted = tuple(
        Fitted(week, _clamp(float(level), bounds), float(change))
        for week, level, change in zip(starts, fit.levels, fit.slopes, strict=True)
    )
    z, points = _z(confidence), []
    for week, (mean, variance) in zip(ahead, coming, strict=True):
        low, high = mean - z * math.sqrt(variance), mean + z * math.sqrt(variance)
        points.append(Point(week, *(_clamp(v, bounds) for v in (mean, low, high))))
    return Trajectory(bounds, fitted, tuple(points), slope, interval, confidence)


def _fit(
    y: np.ndarray, n: np.ndarray, method: Method, horizon: int, known: float | None
) -> tuple[TrendFit, float | None, tuple[float, float] | None, list[tuple[float, float]]]:
    """The trend, its slope now with the slope's interval, and each coming week's mean and
    variance. Unless the slope is told from noise (with `flat_unless_trend`), the weeks ahead
    are projected level from a fit without a slope, the interval still the trend's. `known`:
    the per-response variance the weeks' standard errors imply, used with `noise="se"`."""
    scale = known if method.noise == "se" else None
    fit = fit_trend(y, n, method.slope, scale)
    typical = float(np.median(n[n > 0]))
    coming = fit.ahead(horizon, typical)
    if fit.slope_se is None:
        return fit, None, None, coming
    slope, half = float(fit.slopes[-1]), _z(TREND_CONFIDENCE) * fit.slope_se
    interval = (slope - half, slope + half)
    if method.flat_unless_trend and interval[0] <= 0 <= interval[1]:
        spread = [variance for _, variance in coming]
        fit = fit_trend(y, n, "none", scale)
        coming = fit.ahead(horizon, typical)
        if method.flat_interval == "trend":
            coming = [(mean, v) for (mean, _), v in zip(coming, spread, strict=True)]
    return fit, slope, interval, coming


def _constant(
    value: float,
    starts: list[date],
    ahead: list[date],
    bounds: tuple[float, float],
    confidence: float,
) -> Trajectory:
    """Every week the same figure (all promoters, say): no noise to measure, no slope seen."""
    value = _clamp(value, bounds)
    fitted = tuple(Fitted(week, value, 0.0) for week in starts)
    points = tuple(Point(week, value, value, value) for week in ahead)
    return Trajectory(bounds, fitted, points, 0.0, (0.0, 0.0), confidence)


def _z(confidence: float) -> float:
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def _clamp(value: float, bounds: tuple[float, float]) -> float:
    return min(max(value, bounds[0]), bounds[1])

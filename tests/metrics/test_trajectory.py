"""A KPI's trajectory on constructed series with known answers: weekly NPS and CSAT figures
sampled from a true rate that is planted (a trend, a flat line, a shift), then fitted and
projected; and the target's logic and words on trajectories written out by hand."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from feedback.metrics.trajectory import (
    HORIZON,
    TOO_FEW,
    Fitted,
    Point,
    Trajectory,
    Week,
    project,
)

MONDAY = date(2026, 1, 5)
NPS = (-100.0, 100.0)
PERCENT = (0.0, 100.0)
CES = (1.0, 7.0)


def nps_weeks(truth: list[float], ns: list[int], seed: int) -> list[Week]:
    """Each week's NPS from n respondents drawn at the true score (a quarter passives)."""
    rng = np.random.default_rng(seed)
    weeks = []
    for i, (score, n) in enumerate(zip(truth, ns, strict=True)):
        value = None
        if n:
            promoters = (0.75 + score / 100) / 2
            counts = rng.multinomial(n, [promoters, 0.25, 0.75 - promoters])
            value = (counts[0] - counts[2]) / n * 100
        weeks.append(Week(MONDAY + timedelta(weeks=i), value, n))
    return weeks


def percent_weeks(truth: list[float], ns: list[int], seed: int) -> list[Week]:
    """Each week's share (CSAT, one-touch...) from n answers drawn at the true share."""
    rng = np.random.default_rng(seed)
    return [
        Week(MONDAY + timedelta(weeks=i), rng.binomial(n, share / 100) / n * 100 if n else None, n)
        for i, (share, n) in enumerate(zip(truth, ns, strict=True))
    ]


def _inside(path: Trajectory, bounds: tuple[float, float]) -> bool:
    low, high = bounds
    numbers = [p for point in path.projection for p in (point.value, point.low, point.high)]
    numbers += [week.level for week in path.fitted]
    return all(low <= x <= high for x in numbers)


# --- fitted on sampled series -------------------------------------------------------------


def test_a_planted_upward_trend_is_found_and_its_future_lies_in_the_interval() -> None:
    truth = [-10 + 1.5 * week for week in range(26 + HORIZON)]
    path = project(nps_weeks(truth[:26], [40] * 26, seed=1), NPS)
    assert path.projected and path.trend == "rising"
    low, high = path.slope_interval
    assert 0 < low <= 1.5 <= high
    assert [p.week for p in path.projection] == [
        MONDAY + timedelta(weeks=26 + h) for h in range(HORIZON)
    ]
    for point, true in zip(path.projection, truth[26:], strict=True):
        assert point.low <= true <= point.high
    # The projection keeps rising at the slope found.
    assert path.projection[-1].value - path.projection[0].value == pytest.approx(
        path.slope * (HORIZON - 1)
    )
    assert path.sentence().startswith("rising about 1.")


def flat_series(seed: int) -> list[Week]:
    """Six months of an NPS of 20, about 25 responses a week."""
    ns = [int(n) for n in np.random.default_rng(100 + seed).poisson(25, 26)]
    return nps_weeks([20.0] * 26, ns, seed)


def test_a_flat_noisy_series_is_seldom_called_a_trend() -> None:
    # A trend is a slope whose 95% interval leaves out 0: about 1 flat series in 20 by chance.
    paths = [project(flat_series(seed), NPS) for seed in range(40)]
    called = [p for p in paths if p.trend != "flat"]
    assert len(called) <= 4
    for path in called:
        low, high = path.slope_interval
        assert not low < 0 < high


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 5])  # 4 is one of the chance trends above
def test_a_flat_noisy_series_is_not_called_a_trend(seed: int) -> None:
    path = project(flat_series(seed), NPS)
    assert path.projected and path.trend == "flat"
    low, high = path.slope_interval
    assert low < 0 < high
    # No trend, so no slope is projected: the weeks ahead stay at today's level.
    assert {round(p.value, 9) for p in path.projection} == {round(path.now, 9)}
    assert path.sentence().startswith("no clear trend: ")
    assert not path.on_course(path.now + 10)
    assert path.reaches_target_on(path.now + 10) is None
    assert path.sentence(path.now + 10).startswith("off course: no clear trend, at ")
    assert path.on_course(path.now - 10)
    assert path.sentence(path.now - 10).startswith("on course: holding at ")


def test_a_flat_series_keeps_the_doubt_about_its_slope_in_its_interval() -> None:
    path = project(flat_series(3), NPS)
    widths = [p.high - p.low for p in path.projection]
    assert widths == sorted(widths) and widths[-1] > widths[0]


def test_after_a_level_shift_the_projection_starts_from_the_new_level() -> None:
    truth = [10.0] * 16 + [40.0] * 10
    path = project(nps_weeks(truth, [40] * 26, seed=4), NPS)
    first = path.projection[0]
    assert first.low <= 40 <= first.high
    assert first.low > 10
    assert abs(path.now - 40) < 10
    assert path.fitted[5].level < 25 < path.fitted[-1].level


def test_sparse_weeks_give_wider_intervals_than_full_ones() -> None:
    truth = [30.0] * 26
    full = project(nps_weeks(truth, [40] * 26, seed=5), NPS)
    sparse_ns = [0 if week % 3 else 6 for week in range(26)]  # 9 weeks of 6 responses
    sparse = project(nps_weeks(truth, sparse_ns, seed=5), NPS)
    assert sparse.projected and full.projected
    for thin, thick in zip(sparse.projection, full.projection, strict=True):
        assert thin.high - thin.low > 1.5 * (thick.high - thick.low)


@pytest.mark.parametrize(
    "ns",
    [
        [40 if week in (3, 9, 15, 20, 22, 23, 25) else 0 for week in range(26)],  # 7 weeks
        [3] * 12,  # 12 weeks, 36 responses
        [],
    ],
    ids=["seven weeks with data", "36 responses", "no weeks"],
)
def test_too_few_responses_to_project(ns: list[int]) -> None:
    path = project(nps_weeks([30.0] * len(ns), ns, seed=6), NPS)
    assert not path.projected and path.reason == TOO_FEW
    assert path.projection == () and path.fitted == ()
    assert not path.on_course(0) and path.reaches_target_on(0) is None
    assert path.sentence(0) == path.sentence() == "too few responses to project"


def test_weeks_without_responses_inside_and_at_the_end_are_bridged() -> None:
    truth = [20 + week for week in range(26)]
    ns = [0 if week in (4, 5, 11, 24, 25) else 40 for week in range(26)]
    weeks = nps_weeks(truth, ns, seed=7)
    weeks = [w for w in weeks if w.start != MONDAY + timedelta(weeks=11)]  # one not given at all
    path = project(list(reversed(weeks)), NPS)
    assert [f.week for f in path.fitted] == [MONDAY + timedelta(weeks=i) for i in range(26)]
    # The projection starts the week after the last week given, though that week was empty.
    assert path.projection[0].week == MONDAY + timedelta(weeks=26)
    assert path.trend == "rising"


@pytest.mark.parametrize(
    ("weeks", "bounds"),
    [
        (percent_weeks([90 + 0.4 * w for w in range(26)], [12] * 26, seed=8), PERCENT),
        (nps_weeks([-60 - 0.6 * w for w in range(26)], [15] * 26, seed=9), NPS),
        (
            [Week(MONDAY + timedelta(weeks=w), 6.6 + (w % 3) * 0.2, 10) for w in range(26)],
            CES,
        ),
    ],
    ids=["CSAT near 100%", "NPS near -100", "CES near 7"],
)
def test_projections_and_intervals_stay_within_the_kpis_range(
    weeks: list[Week], bounds: tuple[float, float]
) -> None:
    path = project(weeks, bounds)
    assert path.projected and _inside(path, bounds)
    # The interval runs into the edge of the range and stops there.
    edges = {p.low for p in path.projection} | {p.high for p in path.projection}
    assert edges & set(bounds)


def test_every_week_the_same_figure_projects_that_figure() -> None:
    weeks = [Week(MONDAY + timedelta(weeks=w), 100.0, 5) for w in range(10)]
    path = project(weeks, PERCENT)
    assert path.trend == "flat" and path.now == 100.0
    assert {(p.value, p.low, p.high) for p in path.projection} == {(100.0, 100.0, 100.0)}


def test_a_falling_time_is_on_course_for_a_lower_is_better_target() -> None:
    hours = [30 - 0.8 * w + (1.5 if w % 2 else -1.5) for w in range(20)]
    weeks = [Week(MONDAY + timedelta(weeks=w), h, 30) for w, h in enumerate(hours)]
    path = project(weeks, (0.0, 1000.0))
    assert path.trend == "falling"
    assert path.on_course(10, higher_is_better=False)
    reached = path.reaches_target_on(10, higher_is_better=False)
    assert reached is not None
    assert path.sentence(10, higher_is_better=False).startswith("on course to reach 10 by ")
    assert not path.on_course(10)  # read the other way, it falls away from 10
    assert path.sentence(25).startswith("off course: falling about 0.8 a week, away from the")
    assert path.sentence(12).startswith("off course: at this rate it falls below the target of 12")


# --- the target's logic and words, on trajectories written out ----------------------------


def written(levels: list[float], slope: float, interval: tuple[float, float]) -> Trajectory:
    """A trajectory whose last fitted week is Monday 30 March 2026 at levels[-1], projected
    13 weeks at `slope` a week with an interval of ±5."""
    last = date(2026, 3, 30)
    fitted = tuple(
        Fitted(last - timedelta(weeks=len(levels) - 1 - i), level, slope)
        for i, level in enumerate(levels)
    )
    points = tuple(
        Point(last + timedelta(weeks=h), v, v - 5, v + 5)
        for h in range(1, HORIZON + 1)
        for v in [levels[-1] + slope * h]
    )
    return Trajectory(NPS, fitted, points, slope, interval)


RISING = written([26.0, 27.0, 28.0, 29.0, 30.0], 1.0, (0.4, 1.6))


def test_rising_towards_a_higher_target_in_reach() -> None:
    # 30 now, +1 a week: 40 on the 10th week ahead, 8 June 2026.
    assert RISING.reaches_target_on(40) == date(2026, 6, 8)
    assert RISING.on_course(40)
    assert RISING.sentence(40) == "on course to reach 40 by June (80% interval 35–45)"


def test_rising_towards_a_higher_target_out_of_reach() -> None:
    assert RISING.reaches_target_on(60) is None and not RISING.on_course(60)
    # 30 weeks at +1 from 30 March: 26 October.
    assert RISING.sentence(60) == "off course: at this rate it reaches the target in October"
    assert RISING.sentence(90) == "off course: at this rate it reaches the target in May 2027"
    assert RISING.sentence(200) == (
        "off course: at this rate it takes more than two years to reach 200"
    )


def test_rising_above_a_higher_target_already_met() -> None:
    assert RISING.reaches_target_on(25) == date(2026, 4, 6) and RISING.on_course(25)
    assert RISING.sentence(25) == (
        "on course: rising about 1.0 a week, at 30 against the target of 25; "
        "43 by June (80% interval 38–48)"
    )


def test_rising_is_off_course_for_a_lower_is_better_target() -> None:
    assert not RISING.on_course(20, higher_is_better=False)
    assert RISING.reaches_target_on(20, higher_is_better=False) is None
    assert RISING.sentence(20, higher_is_better=False) == (
        "off course: rising about 1.0 a week, away from the target of 20"
    )
    # Below 35 now, above it in six weeks: off course for a ceiling of 35.
    assert RISING.reaches_target_on(35, higher_is_better=False) == date(2026, 4, 6)
    assert not RISING.on_course(35, higher_is_better=False)
    assert RISING.sentence(35, higher_is_better=False) == (
        "off course: at this rate it rises above the target of 35 in May"
    )


def test_falling_towards_a_lower_is_better_target() -> None:
    falling = written([40.0, 38.0, 36.0], -2.0, (-3.0, -1.0))
    assert falling.reaches_target_on(20, higher_is_better=False) == date(2026, 5, 25)
    assert falling.on_course(20, higher_is_better=False)
    assert falling.sentence(20, higher_is_better=False) == (
        "on course to reach 20 by May (80% interval 15–25)"
    )
    assert not falling.on_course(30)
    assert falling.sentence(30) == (
        "off course: at this rate it falls below the target of 30 in April"
    )


def test_a_slope_within_the_noise_is_judged_by_where_the_kpi_is_now() -> None:
    unclear = written([29.0, 30.0], 0.8, (-0.3, 1.9))
    assert unclear.trend == "flat"
    # The points cross 35 in week 7, but a slope that may be nothing is no course.
    assert unclear.reaches_target_on(35) is not None
    assert not unclear.on_course(35)
    assert unclear.sentence(35) == "off course: no clear trend, at 30 against the target of 35"
    assert unclear.on_course(28)
    assert unclear.sentence(28).startswith("on course: holding at 30 against the target of 28")


def test_without_a_target_the_sentence_says_the_trend_and_where_it_leads() -> None:
    assert RISING.sentence() == "rising about 1.0 a week: 43 by June (80% interval 38–48)"
    low = written([-20.0, -21.0], -1.0, (-1.5, -0.5))
    assert low.sentence() == "falling about 1.0 a week: −34 by June (80% interval −39 to −29)"

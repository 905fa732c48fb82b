"""A KPI's trajectory on the scorecard: the chart's geometry, and the page that shows it."""

from __future__ import annotations

import re
from datetime import date, timedelta

from flask.testing import FlaskClient

from feedback.database import utcnow
from feedback.extensions import db
from feedback.metrics.trajectory import Point, Trajectory
from feedback.scorecard import kpis
from feedback.scorecard.chart import HEIGHT, WIDTH, WeekFigure, chart
from tests.factories import add_response, make_survey, make_tenant
from tests.pages import member, sign_in

MONDAY = date(2026, 6, 1)


def _weeks(values: list[float | None]) -> list[WeekFigure]:
    return [
        WeekFigure(
            MONDAY + timedelta(weeks=i),
            v,
            None if v is None else v - 10,
            None if v is None else v + 10,
            30,
        )
        for i, v in enumerate(values)
    ]


def _ahead(start: date, values: list[float]) -> tuple[Point, ...]:
    return tuple(
        Point(start + timedelta(weeks=i + 1), v, v - 20, v + 20) for i, v in enumerate(values)
    )


def test_every_mark_stays_in_the_box_and_the_target_is_where_its_value_is() -> None:
    weeks = _weeks([10, 20, None, 30, 40])
    path = Trajectory((-100.0, 100.0), projection=_ahead(weeks[-1].week, [45, 50, 55]))
    drawn = chart(weeks, path, target=50.0)
    assert drawn is not None
    numbers = [float(n) for n in re.findall(r"-?\d+\.?\d*", drawn.series + drawn.band + drawn.cone)]
    xs, ys = numbers[0::2], numbers[1::2]
    assert all(0 <= x <= WIDTH for x in xs) and all(0 <= y <= HEIGHT for y in ys)
    # The missing week lifts the pen: the line is drawn in two runs.
    assert drawn.series.count("M") == 2 and drawn.band.count("Z") == 2
    # Higher values are higher up: the target (50) is above the last week (40).
    last_y = float(drawn.series.split(",")[-1])
    assert drawn.target_y is not None and drawn.target_y < last_y
    assert [label for _x, label in drawn.x_ticks] == ["Jun 1", "Jun 29", "Jul 20"]


def test_a_kpi_without_any_answer_has_no_chart() -> None:
    assert chart(_weeks([None, None]), Trajectory((0.0, 100.0)), None) is None


def test_the_scorecard_shows_a_rising_kpi_on_course_with_its_chart_and_table(
    client: FlaskClient,
) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    now = utcnow()
    # Six months of weekly answers, the share of promoters climbing week by week.
    for week in range(26):
        when = now - timedelta(weeks=25 - week, hours=1)
        promoters = 6 + week
        for i in range(40):
            score = 10 if i < promoters else (8 if i < 30 else 3)
            add_response(survey, score, when=when)
    kpis.set_target(t.workspace, "nps", {"target": 60, "owner": "Priya"})
    db.session.commit()
    sign_in(client, member(t, "viewer@example.com", "viewer"))
    page = client.get("/app/").get_data(as_text=True)
    nps = page[page.index('id="kpi-nps"') : page.index('id="kpi-csat"')]
    assert '<figure class="trajectory">' in nps and 'class="target"' in nps
    assert 'class="cone"' in nps
    assert re.search(r'class="outlook">On course to reach 60 by \w+ \(80% interval', nps), nps
    # The table says what the chart draws: every week with answers, then 13 projected.
    assert nps.count("(projected)</td>") == 13


def test_the_scorecard_api_gives_each_kpi_its_series_projection_and_next_action(
    client: FlaskClient,
) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "csat")
    now = utcnow()
    for week in range(26):
        for i in range(20):
            add_response(survey, 5 if i < 16 else 2, when=now - timedelta(weeks=25 - week, hours=1))
    kpis.set_target(t.workspace, "csat", {"target": 90, "owner": "Sam"})
    db.session.commit()
    body = t.get("/api/v1/scorecard?period=last_90_days").json
    csat = next(k for k in body["kpis"] if k["kpi"] == "csat")
    # The figure is the last 90 days' (13 weeks of 20 answers); the series runs six months.
    assert (csat["target"], csat["owner"], csat["n"]) == (90, "Sam", 260)
    assert len([w for w in csat["series"] if w["value"] is not None]) == 26
    assert all(w["low"] <= w["value"] <= w["high"] for w in csat["series"] if w["value"])
    projection = csat["projection"]
    assert (
        projection["weeks"] == 13 and projection["low"] <= projection["value"] <= projection["high"]
    )
    # A flat 80% against a target of 90: off course, and it never gets there.
    assert projection["trend"] == "flat" and projection["on_course"] is False
    assert projection["reaches_target_on"] is None
    assert csat["recommendation"]["why"]
    # No respondent carries a value yet: the money block says what to send.
    assert body["money"]["status"] == "no_values"
    nps = next(k for k in body["kpis"] if k["kpi"] == "nps")
    assert nps["n"] == 0 and nps["projection"] is None
    refused = t.get("/api/v1/scorecard?period=next_year")
    assert refused.status_code == 422 and refused.json["error"]["field"] == "period"

"""A KPI's trajectory on the scorecard, and the money section's churn by band month by month:
the charts' geometry, and the page that shows them."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from feedback.database import utcnow
from feedback.extensions import db
from feedback.metrics import money
from feedback.metrics.money_sums import MonthOutcome
from feedback.metrics.trajectory import Point, Trajectory
from feedback.periods import month_spans
from feedback.responses.models import Respondent, RespondentEvent
from feedback.scorecard import kpis
from feedback.scorecard.chart import (
    HEIGHT,
    MONTHS_HEIGHT,
    MONTHS_WIDTH,
    WIDTH,
    WeekFigure,
    chart,
    churn_chart,
)
from feedback.surveys.models import Survey
from tests.factories import Tenant, add_response, make_survey, make_tenant
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


def _months(rows: list[MonthOutcome]) -> list[dict[str, Any]]:
    return money.churn_by_month(rows, month_spans("UTC", 4, datetime(2026, 4, 10, tzinfo=UTC)))


def test_the_churn_chart_draws_a_line_a_band_lifted_over_months_without_outcomes() -> None:
    months = _months(
        [
            MonthOutcome(0, "detractor", "churned", 2),
            MonthOutcome(0, "detractor", "renewed", 2),  # 50%: the highest rate drawn
            MonthOutcome(2, "detractor", "churned", 1),
            MonthOutcome(2, "detractor", "renewed", 3),  # 25%; none in February: a gap
            MonthOutcome(3, "detractor", "churned", 3),
            MonthOutcome(3, "detractor", "renewed", 7),  # 30%
            MonthOutcome(1, "promoter", "renewed", 9),
            MonthOutcome(1, "promoter", "churned", 1),  # 10%
        ]
    )
    drawn = churn_chart(months)
    assert drawn is not None
    lines = {line.band: line for line in drawn.lines}
    assert list(lines) == ["detractor", "passive", "promoter"]
    # The axis ends at 50%: the detractors' January sits at its top, March halfway down.
    assert [label for _y, label in drawn.y_ticks] == ["50%", "25%", "0%"]
    top, middle, bottom = (y for y, _label in drawn.y_ticks)
    detractors = lines["detractor"]
    x = [tick_x for tick_x, _label in drawn.x_ticks]
    assert detractors.dots == (
        (x[0], top),
        (x[2], middle),
        (x[3], pytest.approx(bottom - 0.6 * (bottom - top), abs=0.1)),
    )
    assert detractors.path.count("M") == 2  # the pen lifts over February
    assert lines["passive"].path == "" and lines["passive"].dots == ()
    assert lines["promoter"].dots == (
        (x[1], pytest.approx(bottom - 0.2 * (bottom - top), abs=0.1)),
    )
    numbers = [float(n) for n in re.findall(r"-?\d+\.?\d*", detractors.path)]
    assert all(0 <= n <= MONTHS_WIDTH for n in numbers[0::2])
    assert all(0 <= n <= MONTHS_HEIGHT for n in numbers[1::2])
    assert [label for _x, label in drawn.x_ticks] == ["Jan 26", "Feb", "Mar", "Apr"]
    assert drawn.labels[0] == "Jan 2026" and drawn.last_x == x[-1]


def test_no_outcome_in_any_month_draws_no_churn_chart() -> None:
    assert churn_chart(_months([])) is None
    assert churn_chart([]) is None


def _accounts(t: Tenant, when: datetime) -> Survey:
    """Two detractors (one churns, 150.75 a month) and two promoters who both renew at `when`,
    each scored two days before."""
    survey = make_survey(t.workspace, "nps")
    for name, value, mrr, event in (
        ("d1", 2, "150.75", "churned"),
        ("d2", 5, "100", "renewed"),
        ("p1", 10, "80", "renewed"),
        ("p2", 9, "80", "renewed"),
    ):
        who = Respondent(workspace_id=t.workspace.id, external_id=name, traits={"mrr": mrr})
        db.session.add(who)
        db.session.flush()
        add_response(survey, value, when - timedelta(days=2), respondent_id=who.id)
        db.session.add(
            RespondentEvent(workspace_id=t.workspace.id, respondent_id=who.id, event=event, at=when)
        )
    db.session.commit()
    return survey


def test_the_scorecard_shows_churn_by_band_month_by_month_with_its_chart_and_table(
    client: FlaskClient,
) -> None:
    t = make_tenant(client)
    when = utcnow() - timedelta(hours=1)
    _accounts(t, when)
    # An account that churns without ever having scored: in the value churned, in no band.
    stranger = Respondent(workspace_id=t.workspace.id, external_id="u1", traits={"mrr": "20"})
    db.session.add(stranger)
    db.session.flush()
    db.session.add(
        RespondentEvent(
            workspace_id=t.workspace.id, respondent_id=stranger.id, event="churned", at=when
        )
    )
    db.session.commit()
    sign_in(client, member(t, "viewer@example.com", "viewer"))
    page = client.get("/app/").get_data(as_text=True)

    start = page.index('<section class="card money churn-months"')
    section = page[start : page.index("</section>", start)]
    assert 'aria-labelledby="money-months"' in section and 'role="img"' in section
    assert section.count('<g class="band-') == 3
    assert section.count('<th scope="row">') == 12
    row = section[section.index(f'<th scope="row">{when:%b %Y}') :]
    row = row[: row.index("</tr>")]
    cells = re.findall(r'<td class="num">(.*?)</td>', row)
    # Detractors: 1 of 2 churned; passives: nobody; promoters: none of 2; 150.75 + 20 churned.
    assert cells[0].startswith('50% <span class="muted">of 2</span>'), cells
    assert cells[1] == '<span class="muted">–</span>'
    assert cells[2].startswith('0% <span class="muted">of 2</span>')
    assert cells[3] == '171<br><span class="muted">2 churned</span>'
    assert "1 of the accounts with a churn or renewal had no NPS score before it" in section
    # The markup and the dashes come through as written: nothing escaped twice or shown raw.
    assert "&amp;" not in section and "&lt;" not in section and "&#" not in section


def test_events_older_than_twelve_months_leave_the_months_empty(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = _accounts(t, utcnow() - timedelta(days=400))
    # A recent score, so the period has a valued respondent and the money block its figures.
    someone = db.session.scalar(db.select(Respondent).where(Respondent.external_id == "p1"))
    add_response(survey, 3, utcnow() - timedelta(days=1), respondent_id=someone.id)
    db.session.commit()
    sign_in(client, member(t, "viewer@example.com", "viewer"))
    page = client.get("/app/").get_data(as_text=True)
    assert "No churn or renewal in the last 12 months." in page
    assert 'class="churn-chart"' not in page

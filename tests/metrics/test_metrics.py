"""Every KPI formula against hand-computed figures, computed in SQL on both databases."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from flask.testing import FlaskClient

from feedback.extensions import db
from feedback.metrics import formulas, series
from feedback.metrics.sums import Scope
from feedback.responses.models import Display
from tests.factories import add_response, make_survey, make_tenant

T0 = datetime(2026, 5, 10, 12, 0)


def scope(t, kind: str, **kw) -> Scope:
    return Scope(t.workspace.id, kind, **kw)


def test_nps_with_margin_of_error(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    for score in (10, 10, 9, 9, 9, 8, 7, 7, 3, 0):
        add_response(survey, score, T0)
    fig = formulas.summary(scope(t, "nps"), low_n=30)
    # p = .5, d = .2: NPS 30; MoE = 1.96 * sqrt((.7 - .09) / 10) * 100 = 48.4
    assert (fig["value"], fig["promoters"], fig["passives"], fig["detractors"]) == (30.0, 5, 3, 2)
    assert fig["margin_of_error"] == pytest.approx(48.4, abs=0.05)
    assert fig["interval"] == [-18.4, 78.4]
    assert fig["low_confidence"] is True


def test_no_responses_gives_no_value_not_zero(client: FlaskClient) -> None:
    t = make_tenant(client)
    for kind in ("nps", "csat", "psat", "ces"):
        fig = formulas.summary(scope(t, kind), low_n=30)
        assert fig["n"] == 0 and fig["value"] is None and fig["low_confidence"] is True


def test_all_promoters_is_100_with_no_margin(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    for _ in range(40):
        add_response(survey, 10, T0)
    fig = formulas.summary(scope(t, "nps"), low_n=30)
    assert (fig["value"], fig["margin_of_error"], fig["low_confidence"]) == (100.0, 0.0, False)


def test_csat_top_two_box_with_wilson_interval_and_mean(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "csat")
    for score in (5, 5, 5, 4, 4, 4, 4, 4, 2, 1):
        add_response(survey, score, T0)
    fig = formulas.summary(scope(t, "csat"), low_n=5)
    assert fig["value"] == 80.0
    assert fig["interval"] == [49.0, 94.3]  # Wilson, n = 10, p = .8
    assert fig["mean"] == 3.8  # (15 + 20 + 2 + 1) / 10
    assert fig["low_confidence"] is False


def test_psat_on_a_two_point_scale_counts_thumbs_up(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "psat", scale={"style": "thumbs"})
    for score in (2, 2, 2, 1):
        add_response(survey, score, T0)
    assert formulas.summary(scope(t, "psat"), low_n=30)["value"] == 75.0


def test_ces_mean_and_percent_easy(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "ces")
    for score in (7, 6, 5, 4, 2):
        add_response(survey, score, T0)
    fig = formulas.summary(scope(t, "ces"), low_n=30)
    assert (fig["value"], fig["percent_easy"], fig["easy"], fig["difficult"]) == (4.8, 60.0, 3, 1)
    # sd = sqrt(14.8 / 4) = 1.924; half-width = 1.96 * 1.924 / sqrt(5) = 1.686
    assert fig["interval"] == [3.11, 6.49]


def test_change_between_periods_says_whether_it_is_real(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    before, after = T0 - timedelta(days=100), T0
    for i in range(200):
        add_response(survey, 10 if i % 2 else 2, before)  # NPS 0
        add_response(survey, 10 if i % 5 else 2, after)  # NPS 60
    this = formulas.summary(scope(t, "nps", start=T0 - timedelta(days=1)), 30)
    last = formulas.summary(scope(t, "nps", end=T0 - timedelta(days=1)), 30)
    verdict = formulas.compare("nps", this, last)
    assert (
        verdict["change"] == 60.0 and verdict["significant"] is True and verdict["p_value"] < 0.001
    )

    small = make_tenant(client, "Small")
    tiny = make_survey(small.workspace, "nps")
    for score in (10, 2, 9, 5):
        add_response(tiny, score, before)
    for score in (10, 9, 2, 10):
        add_response(tiny, score, after)
    this = formulas.summary(scope(small, "nps", start=T0 - timedelta(days=1)), 30)
    last = formulas.summary(scope(small, "nps", end=T0 - timedelta(days=1)), 30)
    verdict = formulas.compare("nps", this, last)
    assert verdict["change"] == 50.0 and verdict["significant"] is False


def test_csat_change_uses_two_proportion_test(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "csat")
    for i in range(100):
        add_response(survey, 5 if i < 70 else 1, T0 - timedelta(days=40))
        add_response(survey, 5 if i < 80 else 1, T0)
    this = formulas.summary(scope(t, "csat", start=T0 - timedelta(days=1)), 30)
    last = formulas.summary(scope(t, "csat", end=T0 - timedelta(days=1)), 30)
    verdict = formulas.compare("csat", this, last)
    # pooled p = .75, se = sqrt(.75 * .25 * .02) = .0612; z = .10 / .0612 = 1.63
    assert verdict["z"] == pytest.approx(1.63, abs=0.01)
    assert verdict["significant"] is False


def test_weekly_series_in_workspace_timezone_across_dst(client: FlaskClient) -> None:
    t = make_tenant(client, timezone="America/New_York")
    survey = make_survey(t.workspace, "nps")
    add_response(survey, 10, datetime(2026, 3, 1, 3, 0))  # Feb 28, 22:00 EST: a Saturday
    add_response(survey, 0, datetime(2026, 3, 2, 6, 0))  # Mar 2, 01:00 EST: Monday
    add_response(survey, 9, datetime(2026, 3, 9, 4, 30))  # Mar 9, 00:30 EDT (after DST)
    days = series.series(scope(t, "nps"), "day", "America/New_York", 30)
    assert [d["bucket"] for d in days] == ["2026-02-28", "2026-03-02", "2026-03-09"]
    weeks = series.series(scope(t, "nps"), "week", "America/New_York", 30)
    assert [(w["bucket"], w["n"]) for w in weeks] == [
        ("2026-02-23", 1),
        ("2026-03-02", 1),
        ("2026-03-09", 1),
    ]
    months = series.series(scope(t, "nps"), "month", "America/New_York", 30)
    assert [(m["bucket"], m["value"]) for m in months] == [
        ("2026-02-01", 100.0),
        ("2026-03-01", 0.0),
    ]


def test_breakdown_by_agent_and_by_any_context_field(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "csat")
    for score, agent, region in [
        (5, "Ann", "EU"),
        (4, "Ann", "EU"),
        (1, "Bob", "US"),
        (5, "Bob", "EU"),
        (2, "Bob", "US"),
    ]:
        add_response(survey, score, T0, agent=agent, region=region)
    by_agent = {
        g["group"]: (g["n"], g["value"]) for g in series.breakdown(scope(t, "csat"), "agent", 30)
    }
    assert by_agent == {"Ann": (2, 100.0), "Bob": (3, 33.3)}
    by_region = {g["group"]: g["n"] for g in series.breakdown(scope(t, "csat"), "region", 30)}
    assert by_region == {"EU": 3, "US": 2}
    assert formulas.summary(scope(t, "csat", context={"region": "US"}), 30)["value"] == 0.0


def test_response_rate_is_widget_responses_over_displays(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    for i in range(4):
        db.session.add(
            Display(
                workspace_id=t.workspace.id, survey_id=survey.id, client_id=f"d-{i}", shown_at=T0
            )
        )
    add_response(survey, 9, T0)
    add_response(survey, 9, T0, channel="email")
    rate = series.response_rate(scope(t, "nps"))
    assert (rate["displays"], rate["responses"], rate["value"]) == (4, 1, 25.0)


def test_metrics_never_count_another_workspace(client: FlaskClient) -> None:
    a, b = make_tenant(client, "A"), make_tenant(client, "B")
    add_response(make_survey(a.workspace, "nps"), 10, T0)
    assert formulas.summary(scope(b, "nps"), 30)["n"] == 0


def test_metrics_api_answers_the_quarter_question(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    for i in range(30):
        add_response(
            survey,
            (10, 9, 3)[i % 3],
            datetime(2026, 4, 6 + i % 20, 12),
            plan=("Pro", "Free")[i % 2],
        )
        add_response(survey, (10, 2, 3)[i % 3], datetime(2026, 1, 6 + i % 20, 12), plan="Pro")
    db.session.commit()
    res = t.get("/api/v1/metrics/nps?from=2026-04-01&to=2026-06-30&interval=week&group_by=plan")
    assert res.status_code == 200, res.json
    body = res.json
    assert body["summary"]["n"] == 30 and body["summary"]["value"] == pytest.approx(33.3, abs=0.05)
    assert body["summary"]["margin_of_error"] > 0
    assert body["series"][0]["bucket"] == "2026-04-06"
    assert sum(w["n"] for w in body["series"]) == 30
    assert {g["group"] for g in body["groups"]} == {"Pro", "Free"}
    assert body["comparison"]["previous"]["n"] == 30
    assert body["comparison"]["change"] == pytest.approx(66.7, abs=0.05)
    assert body["comparison"]["significant"] is True


def test_metrics_api_refuses_bad_parameters(client: FlaskClient) -> None:
    t = make_tenant(client)
    assert t.get("/api/v1/metrics/happiness").json["error"]["field"] == "kind"
    assert t.get("/api/v1/metrics/nps?interval=hourly").json["error"]["field"] == "interval"
    assert t.get("/api/v1/metrics/nps?group_by=a%20b").json["error"]["field"] == "group_by"
    assert t.get("/api/v1/metrics/nps?band=detractor").status_code == 422

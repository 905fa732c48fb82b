"""The scorecard's KPIs beyond the survey scores: helpdesk, closing-the-loop and pushed figures,
each with its weekly series, trajectory and next action."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient

from feedback.cases.models import Case
from feedback.database import utcnow
from feedback.extensions import db
from feedback.helpdesk.models import Ticket
from feedback.scorecard import kpis
from feedback.scorecard.card import scorecard
from tests.factories import add_response, make_survey, make_tenant


def _kpis(t) -> dict:
    return {k.kind: k for k in scorecard(t.workspace)["kpis"]}


def _ticket(t, i: int, agent: str, hours_ago: float, frt: int, resolution: int, one: bool) -> None:
    solved = utcnow() - timedelta(hours=hours_ago)
    db.session.add(
        Ticket(
            workspace_id=t.workspace.id,
            external_id=f"T{i}",
            agent=agent,
            solved_at=solved,
            first_response_seconds=frt,
            resolution_seconds=resolution,
            one_touch=one,
        )
    )


def test_helpdesk_kpis_have_their_mean_interval_and_one_touch_rate(client: FlaskClient) -> None:
    t = make_tenant(client)
    for i, (frt, one) in enumerate([(3600, True), (7200, True), (10800, False)]):
        _ticket(t, i, "Ann", 30 + i, frt, 4 * frt, one)
    db.session.commit()
    found = _kpis(t)
    frt = found["frt_hours"]
    # Hours 1, 2, 3: mean 2, standard error 1/sqrt(3) = 0.577, 95% 2 -/+ 1.13.
    assert (frt.value, frt.figure["n"], frt.figure["interval"]) == (2.0, 3, [0.9, 3.1])
    assert found["resolution_hours"].value == 8.0
    one_touch = found["one_touch"]
    assert (one_touch.value, one_touch.figure["n"]) == (66.7, 3)
    assert one_touch.group == "Helpdesk" and one_touch.perspective == "process"


def test_the_agent_slowing_the_helpdesk_is_the_next_action(client: FlaskClient) -> None:
    t = make_tenant(client)
    i = 0
    for agent, hours, count in (("Slow Sue", 10, 40), ("Quick Quinn", 2, 100)):
        for k in range(count):
            spread = 3600 * (hours + (k % 5 - 2) * 0.1)
            _ticket(t, i, agent, 24 + k, 1800, int(spread), k % 2 == 0)
            i += 1
    db.session.commit()
    kpi = _kpis(t)["resolution_hours"]
    best = kpi.recommendation.best
    assert (best.action, best.subject) == ("coach_agent", "Slow Sue")
    # Sue is 8 h slower than the rest on 40 of 140 tickets: the mean would fall 8 x 40/140.
    assert best.effect == 2.3 and best.low <= 2.3 <= best.high
    assert best.evidence["n"] == 40 and best.evidence["gap"] == 8.0
    assert not kpi.better_higher
    # A time comes down: the card and the mail say so.
    effect, interval = kpi.effect(best)
    assert effect == "-2.3 h" and interval.endswith(" h") and interval.startswith("-")


def _case(t, i: int, team: str, in_time: bool, days_ago: int) -> None:
    opened = utcnow() - timedelta(days=days_ago)
    db.session.add(
        Case(
            workspace_id=t.workspace.id,
            kind="nps",
            score=2,
            status="resolved",
            team=team,
            opened_at=opened,
            due_at=opened + timedelta(hours=48),
            first_action_at=opened + timedelta(hours=1),
            resolved_at=opened + timedelta(hours=10 if in_time else 80),
            resolution="fixed",
        )
    )


def test_the_team_missing_its_sla_is_the_closed_loop_rate_next_action(client: FlaskClient) -> None:
    t = make_tenant(client)
    for i in range(30):
        _case(t, i, "Slow", i < 5, 20 + i % 10)
    for i in range(60):
        _case(t, 100 + i, "Fast", i < 55, 20 + i % 10)
    db.session.commit()
    kpi = _kpis(t)["closed_loop_rate"]
    assert (kpi.value, kpi.figure["n"]) == (66.7, 90)
    best = kpi.recommendation.best
    assert (best.action, best.subject) == ("coach_team", "Slow")
    # 5/30 against the rest's 55/60: 75 points on a third of the cases.
    assert best.effect == 25.0 and best.low > 0
    assert best.evidence["link"] == "/app/cases/all?team=Slow&status=active"


def test_a_pushed_kpi_with_a_planted_trend_is_projected_and_a_flat_one_is_not(
    client: FlaskClient,
) -> None:
    t = make_tenant(client)
    today = utcnow().date()
    monday = today - timedelta(days=today.weekday())
    values = []
    for back in range(20, 0, -1):
        day = (monday - timedelta(weeks=back)).isoformat()
        wiggle = (-0.3, 0.2, 0.0, 0.3, -0.2)[back % 5]
        values.append({"metric": "nrr", "date": day, "value": 100 + (20 - back) + wiggle})
        values.append({"metric": "hours", "date": day, "value": 10 + wiggle})
    kpis.push_values(t.workspace, values)
    kpis.set_target(t.workspace, "nrr", {"target": 130, "perspective": "financial"})
    db.session.commit()
    found = _kpis(t)
    nrr, flat = found["nrr"], found["hours"]
    assert nrr.group == "Pushed" and nrr.figure["n"] == 20
    assert [w.value for w in nrr.history if w.value is not None][:2] == [99.7, 100.8]
    assert nrr.trajectory.trend == "rising" and nrr.trajectory.projection[-1].value > 130
    assert nrr.outlook.startswith("on course to reach 130.0 by")
    assert flat.trajectory.trend == "flat" and flat.outlook.startswith("no clear trend")
    assert flat.recommendation.best is None and "nothing to rank" in flat.recommendation.why


def test_too_few_pushed_values_say_so(client: FlaskClient) -> None:
    t = make_tenant(client)
    kpis.push_values(t.workspace, [{"metric": "nrr", "date": "2026-11-02", "value": 101}])
    db.session.commit()
    assert _kpis(t)["nrr"].outlook == "too few values to project"


def test_a_changed_target_shows_at_once_over_the_kept_figures(client: FlaskClient) -> None:
    t = make_tenant(client)
    _ticket(t, 1, "Ann", 30, 3600, 7200, True)
    db.session.commit()
    assert _kpis(t)["frt_hours"].status == "no target"
    kpis.set_target(t.workspace, "frt_hours", {"target": 0.5, "higher_is_better": False})
    db.session.commit()
    kpi = _kpis(t)["frt_hours"]
    assert kpi.status == "off track" and kpi.target.target == 0.5


def test_the_nps_next_action_can_be_the_overdue_detractor_cases(client: FlaskClient) -> None:
    from feedback.periods import resolve
    from feedback.scorecard.advice import overdue_action

    t = make_tenant(client)
    make_survey(t.workspace, "nps")
    now = utcnow()
    for _ in range(4):
        db.session.add(
            Case(
                workspace_id=t.workspace.id,
                kind="nps",
                score=1,
                status="open",
                opened_at=now - timedelta(days=5),
                due_at=now - timedelta(days=3),
            )
        )
    db.session.commit()
    period = resolve("last_90_days", t.workspace.timezone)
    recovered = {"n": 10, "recovered": 5, "value": 50.0, "interval": [23.7, 76.3]}
    [action] = overdue_action(t.workspace, period, 200, recovered)
    # Four overdue detractors recovering half the time, each +100/200 points of NPS.
    assert (action.subject, action.effect, action.low, action.high) == (
        "4 overdue detractor cases",
        1.0,
        0.5,
        1.5,
    )


def test_the_api_gives_every_kpi_with_its_series_and_projection(client: FlaskClient) -> None:
    t = make_tenant(client)
    for i in range(60):
        _ticket(t, i, "Ann", 24 * (1 + i * 2), 3600 + 60 * i, 7200, i % 3 == 0)
    db.session.commit()
    body = t.get("/api/v1/scorecard").json
    by_kpi = {k["kpi"]: k for k in body["kpis"]}
    assert {"nps", "frt_hours", "resolution_hours", "one_touch"} <= set(by_kpi)
    frt = by_kpi["frt_hours"]
    assert (frt["group"], frt["perspective"], frt["unit"]) == ("Helpdesk", "process", "h")
    assert frt["higher_is_better"] is False and len(frt["series"]) >= 26
    assert sum(week["n"] for week in frt["series"]) == 60
    # Older tickets waited longer: the first response time falls week by week.
    assert frt["projection"]["weeks"] == 13 and frt["projection"]["trend"] == "falling"


def _topic_stream(survey, before: int, now: int) -> None:
    """Forty comments no theme covers in each of the baseline (150 days ago) and the period
    (3 days ago), `before` and `now` of them detractors about the audit trail export; and
    thirty-two promoters without comment now."""
    for days, topical in ((150, before), (3, now)):
        for i in range(40):
            about = i < topical
            add_response(
                survey,
                2 if about else 8,
                when=utcnow() - timedelta(days=days),
                comment=f"the audit trail export keeps failing ({i})"
                if about
                else f"our accountant likes the summary mail ({i})",
                phrases=["audit trail export"] if about else ["summary mail"],
                nlp_status="done",
            )
    for _ in range(32):
        add_response(survey, 10, when=utcnow() - timedelta(days=3))
    db.session.commit()


def test_a_growing_topic_that_low_scores_raise_is_a_candidate_action(client: FlaskClient) -> None:
    from feedback.periods import resolve
    from feedback.scorecard.advice import topic_actions

    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    _topic_stream(survey, before=0, now=8)
    period = resolve("last_90_days", t.workspace.timezone)
    [action] = topic_actions(t.workspace, "nps", period, "last_90_days")
    # Eight detractors of 72 raise it: as passives, NPS would rise 8/72 = 11.1 points.
    assert (action.action, action.subject, action.effect) == (
        "watch_topic",
        "audit trail export",
        11.1,
    )
    assert action.evidence["n"] == 8 and action.evidence["before"] == 0
    assert action.low > 0 and "q=audit+trail+export" in action.evidence["comments"]


def test_a_topic_no_more_common_than_before_is_no_action(client: FlaskClient) -> None:
    from feedback.periods import resolve
    from feedback.scorecard.advice import topic_actions

    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    _topic_stream(survey, before=6, now=8)  # 6 of 40 comments before, 8 of 40 now
    period = resolve("last_90_days", t.workspace.timezone)
    assert topic_actions(t.workspace, "nps", period, "last_90_days") == []


def test_an_action_without_an_owner_of_its_own_is_the_kpi_owners(client: FlaskClient) -> None:
    t = make_tenant(client)
    i = 0
    for agent, hours, count in (("Slow Sue", 10, 40), ("Quick Quinn", 2, 100)):
        for k in range(count):
            _ticket(t, i, agent, 24 + k, 1800, int(3600 * (hours + (k % 5 - 2) * 0.1)), True)
            i += 1
    kpis.set_target(
        t.workspace, "resolution_hours", {"target": 4, "owner": "Dana", "higher_is_better": False}
    )
    db.session.commit()
    by_kpi = {k["kpi"]: k for k in t.get("/api/v1/scorecard").json["kpis"]}
    advice = by_kpi["resolution_hours"]["recommendation"]
    assert (advice["action"], advice["subject"], advice["owner"]) == (
        "coach_agent",
        "Slow Sue",
        "Dana",
    )

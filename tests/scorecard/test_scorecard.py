"""The scorecard's closing-the-loop KPIs: process and customer figures, per team and owner."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient

from feedback.accounts import workspaces
from feedback.cases import work as cases
from feedback.cases.models import Case
from feedback.database import utcnow
from feedback.extensions import db
from feedback.responses.models import Respondent
from feedback.scorecard import kpis
from feedback.scorecard.card import scorecard
from tests.factories import add_response, make_survey, make_tenant
from tests.pages import PASSWORD, sign_in


def add_cases(t) -> None:
    """Three cases this month: two closed in time (one by Sam), one open; one recovered."""
    survey = make_survey(t.workspace, "nps")
    sam = workspaces.add_user(t.workspace, "sam@acme.example", PASSWORD, "analyst")
    now = utcnow() - timedelta(days=2)
    for i, (team, owner, status, hours) in enumerate(
        [
            ("Billing", sam.id, "resolved", 3),
            ("Billing", None, "wont_fix", 20),
            ("Support", None, "open", None),
        ]
    ):
        person = Respondent(workspace_id=t.workspace.id, external_id=f"p{i}")
        db.session.add(person)
        db.session.flush()
        first = add_response(survey, 2, when=now, respondent_id=person.id)
        add_response(
            survey, 9 if i == 0 else 3, when=now + timedelta(hours=1), respondent_id=person.id
        )
        db.session.add(
            Case(
                workspace_id=t.workspace.id,
                response_id=first.id,
                respondent_id=person.id,
                kind="nps",
                score=2,
                status=status,
                team=team,
                owner_id=owner,
                opened_at=now,
                due_at=now + timedelta(hours=48),
                first_action_at=now + timedelta(hours=1),
                resolved_at=now + timedelta(hours=hours) if hours else None,
                resolution="fixed" if status == "resolved" else None,
            )
        )
    db.session.commit()


def test_the_loop_kpis_join_the_process_and_customer_perspectives(client: FlaskClient) -> None:
    t = make_tenant(client)
    add_cases(t)
    kpis.set_target(
        t.workspace,
        "case_first_action_hours",
        {"target": 4, "owner": "Dana", "perspective": "process", "higher_is_better": False},
    )
    db.session.commit()
    card = scorecard(t.workspace)
    process = {m.kind: m for m in card["perspectives"]["process"]}
    customer = {m.kind: m for m in card["perspectives"]["customer"]}
    closed = process["closed_loop_rate"]
    assert (closed.value, closed.figure["n"], closed.figure["low_confidence"]) == (66.7, 3, True)
    assert closed.figure["interval"] and closed.status == "no target"
    first = process["case_first_action_hours"]
    assert (first.value, first.target.owner, first.status) == (1.0, "Dana", "on track")
    assert process["case_resolution_hours"].value == 11.5
    recovered = customer["recovered_rate"]
    assert (recovered.value, recovered.figure["n"]) == (33.3, 3)
    assert [(row["group"], row["cases"]) for row in card["loop"]["teams"]] == [
        ("Billing", 2),
        ("Support", 1),
    ]
    assert [(row["group"], row["cases"]) for row in card["loop"]["owners"]] == [
        (None, 2),
        ("sam@acme.example", 1),
    ]


def test_the_scorecard_page_shows_the_loop_per_team_and_owner(client: FlaskClient) -> None:
    t = make_tenant(client)
    add_cases(t)
    workspaces.add_user(t.workspace, "ann@acme.example", PASSWORD, "viewer")
    db.session.commit()
    sign_in(client, "ann@acme.example")
    page = client.get("/app/").get_data(as_text=True)
    assert "Closed-loop rate" in page and "closed within SLA, 95% " in page
    assert "n = 3 cases" in page and "Recovered rate" in page
    assert "Closing the loop by team" in page and "Closing the loop by owner" in page
    assert '<th scope="row">Billing</th>' in page and '<th scope="row">Unassigned</th>' in page


def test_no_cases_no_loop_section(client: FlaskClient) -> None:
    t = make_tenant(client)
    card = scorecard(t.workspace)
    assert card["loop"]["kpis"] == []
    assert all(
        not m.kind.startswith(("closed_loop", "case_", "recovered"))
        for p in card["perspectives"].values()
        for m in p
    )


def test_the_scorecard_figures_match_the_metrics_api(client: FlaskClient) -> None:
    """Figures, comparison and weekly trend come from one statement; they must be the very
    numbers the metrics module gives for the same scopes, across a DST change."""
    import random

    from feedback.metrics import formulas, series, sums
    from feedback.periods import previous, resolve

    t = make_tenant(client, timezone="America/New_York")
    rng = random.Random(7)
    now = utcnow()
    for kind in ("nps", "csat", "ces"):
        survey = make_survey(t.workspace, kind)
        low, high = survey.scale["min"], survey.scale["max"]
        for _ in range(150):
            when = now - timedelta(hours=rng.randint(1, 179 * 24))
            add_response(survey, rng.randint(low, high), when=when)
    db.session.commit()
    card = scorecard(t.workspace)
    period = resolve("last_90_days", "America/New_York")
    before = previous(period, "America/New_York")
    low_n = t.workspace.low_n
    for kpi in card["survey_kpis"]:
        scope = sums.Scope(t.workspace.id, kpi.kind, period.start, period.end)
        assert kpi.figure == formulas.public(formulas.summary(scope, low_n))
        earlier = formulas.summary(scope.between(before.start, before.end), low_n)
        assert kpi.comparison["previous"] == formulas.public(earlier)
        assert kpi.trend == series.series(scope, "week", "America/New_York", low_n)
    assert [k.figure["n"] for k in card["survey_kpis"]] != [0, 0, 0, 0]


def test_closing_a_case_moves_the_kept_loop_figures_at_once(client: FlaskClient) -> None:
    t = make_tenant(client)
    add_cases(t)
    still_open = db.session.scalar(db.select(Case).where(Case.status == "open"))
    still_open.due_at = utcnow() + timedelta(days=1)  # still in time to be closed within SLA
    db.session.commit()
    closed = {m.kind: m for m in scorecard(t.workspace)["perspectives"]["process"]}
    assert closed["closed_loop_rate"].value == 66.7
    lead = cases.Actor("lead@acme.example", "admin")
    cases.update_case(t.workspace, still_open.id, {"status": "wont_fix"}, lead)
    again = {m.kind: m for m in scorecard(t.workspace)["perspectives"]["process"]}
    assert again["closed_loop_rate"].value == 100.0  # not the minute-old figure

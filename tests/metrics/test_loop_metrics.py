"""Closing-the-loop figures against cases computed by hand: closed in time, medians, recovered."""

from __future__ import annotations

import math
import random
import statistics
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from feedback.accounts import workspaces
from feedback.accounts.models import Workspace
from feedback.cases.models import Case
from feedback.errors import Invalid
from feedback.extensions import db
from feedback.metrics import formulas, loop
from feedback.responses.models import Respondent
from feedback.surveys.models import Survey
from tests.factories import add_response, make_survey, make_tenant

T0 = datetime(2026, 3, 2, 9, 0)
START, END = datetime(2026, 3, 1), datetime(2026, 4, 1)


@pytest.fixture
def ws(client: FlaskClient) -> Workspace:
    return make_tenant(client).workspace


def person(ws: Workspace, name: str) -> int:
    row = Respondent(workspace_id=ws.id, external_id=name)
    db.session.add(row)
    db.session.flush()
    return row.id


def add_case(
    ws: Workspace,
    opened: datetime = T0,
    status: str = "open",
    due_hours: float = 48,
    resolved_hours: float | None = None,
    first_action_hours: float | None = None,
    **fields: Any,
) -> Case:
    case = Case(
        workspace_id=ws.id,
        kind=fields.pop("kind", "nps"),
        score=fields.pop("score", 2),
        status=status,
        opened_at=opened,
        due_at=opened + timedelta(hours=due_hours),
        resolved_at=opened + timedelta(hours=resolved_hours)
        if resolved_hours is not None
        else None,
        first_action_at=(
            opened + timedelta(hours=first_action_hours) if first_action_hours is not None else None
        ),
        **fields,
    )
    db.session.add(case)
    db.session.flush()
    return case


def figures(ws: Workspace, low_n: int = 30, group_by: str | None = None) -> Any:
    result = loop.loop_figures(ws.id, START, END, low_n, group_by)
    return result if group_by else result[None]


def test_no_cases_gives_empty_low_confidence_figures(ws: Workspace) -> None:
    got = figures(ws)
    assert got["cases"] == 0
    for name in ("closed_loop", "first_action_hours", "resolution_hours", "recovered"):
        assert (got[name]["n"], got[name]["value"], got[name]["low_confidence"]) == (0, None, True)
        assert "interval" not in got[name]


def test_closed_loop_counts_cases_closed_by_their_due_time(ws: Workspace) -> None:
    add_case(ws, status="resolved", resolved_hours=10, resolution="fixed")
    add_case(ws, status="wont_fix", resolved_hours=47)
    add_case(ws, status="resolved", resolved_hours=50, resolution="fixed")  # late
    add_case(ws, status="in_progress")
    add_case(ws, status="waiting", due_hours=-1)
    add_case(ws, status="merged", resolved_hours=1)  # its survivor counts, not it
    add_case(ws, opened=START - timedelta(days=1), status="resolved", resolved_hours=1)  # before
    got = figures(ws)["closed_loop"]
    assert (got["n"], got["closed_in_time"], got["value"]) == (5, 2, 40.0)
    assert got["interval"] == list(formulas.wilson(2, 5))
    assert got["low_confidence"] is True


def test_medians_of_time_to_first_action_and_to_resolution(ws: Workspace) -> None:
    for hours in (1, 2, 3, 10):
        add_case(ws, first_action_hours=hours)
    add_case(ws)  # nothing done yet: not in the median
    add_case(ws, status="resolved", resolved_hours=5, first_action_hours=0.5)
    add_case(ws, status="wont_fix", resolved_hours=30)
    add_case(ws, status="resolved", resolved_hours=7)
    got = figures(ws)
    first = got["first_action_hours"]
    assert (first["n"], first["value"], first["interval"]) == (5, 2.0, [0.5, 10.0])
    resolution = got["resolution_hours"]
    assert (resolution["n"], resolution["value"], resolution["interval"]) == (3, 7.0, [5.0, 30.0])


def test_the_median_interval_comes_from_order_statistics(ws: Workspace) -> None:
    # Hours 1..100: the median is 50.5; the 95% interval runs from the 40th to the 61st value.
    for hours in range(100, 0, -1):
        add_case(ws, first_action_hours=hours)
    got = figures(ws)["first_action_hours"]
    assert (got["n"], got["value"], got["interval"]) == (100, 50.5, [40.0, 61.0])
    assert got["low_confidence"] is False
    # Odd n: the middle value itself.
    add_case(ws, first_action_hours=1000)
    assert figures(ws)["first_action_hours"]["value"] == 51.0


def _resolution(hours: float) -> float:
    """The bucket width the medians promise: a quarter-hour, an hour, a day; plus rounding."""
    return (0.25 if hours < 48 else 1.0 if hours < 336 else 24.0) + 0.05


@pytest.mark.parametrize("typical_hours", [6, 120, 900])
def test_the_median_of_many_cases_is_exact_within_its_resolution(
    ws: Workspace, typical_hours: float
) -> None:
    rng = random.Random(typical_hours)
    spread = sorted(rng.lognormvariate(math.log(typical_hours), 0.8) for _ in range(2001))
    db.session.add_all(
        Case(
            workspace_id=ws.id,
            kind="nps",
            score=2,
            status="open",
            opened_at=T0,
            due_at=T0 + timedelta(hours=48),
            first_action_at=T0 + timedelta(seconds=round(hours * 3600)),
        )
        for hours in spread
    )
    db.session.flush()
    exact = [round(hours * 3600) / 3600 for hours in spread]
    # n = 2001: the interval runs from the 956th to the 1046th value (ranks n/2 -+ 1.96 sqrt(n)/2).
    want = (statistics.median(exact), exact[955], exact[1045])
    got = figures(ws)["first_action_hours"]
    assert got["n"] == len(exact)
    for value, expected in zip((got["value"], *got["interval"]), want, strict=True):
        assert abs(value - expected) <= _resolution(expected), (value, expected)


def test_recovered_when_the_next_response_is_passive_or_promoter(ws: Workspace) -> None:
    survey: Survey = make_survey(ws, "nps")
    day = timedelta(days=1)

    def case_with(name: str, *later: int) -> None:
        who = person(ws, name)
        first = add_response(survey, 2, when=T0, respondent_id=who)
        add_case(ws, response_id=first.id, respondent_id=who, survey_id=survey.id)
        for i, score in enumerate(later, start=1):
            add_response(survey, score, when=T0 + i * day, respondent_id=who)

    case_with("promoter", 10)
    case_with("passive", 7)
    case_with("still-unhappy", 4, 10)  # only the next answer counts
    case_with("silent")  # never answered again: not in n
    other = person(ws, "earlier")
    add_response(survey, 9, when=T0 - day, respondent_id=other)  # before the case: not next
    add_case(
        ws,
        response_id=add_response(survey, 1, when=T0, respondent_id=other).id,
        respondent_id=other,
    )
    got = figures(ws)["recovered"]
    assert (got["n"], got["recovered"], got["value"]) == (3, 2, 66.7)
    assert got["interval"] == list(formulas.wilson(2, 3))


def test_none_recovered_and_all_recovered(ws: Workspace) -> None:
    survey = make_survey(ws, "csat")
    who = [person(ws, f"p{i}") for i in range(3)]
    for i, score in enumerate((1, 2, 2)):
        first = add_response(survey, score, when=T0, respondent_id=who[i])
        add_case(ws, response_id=first.id, respondent_id=who[i], kind="csat")
        add_response(survey, 2, when=T0 + timedelta(hours=1), respondent_id=who[i])
    got = figures(ws)["recovered"]
    assert (got["n"], got["recovered"], got["value"]) == (3, 0, 0.0)
    for i in range(3):
        add_response(survey, 3, when=T0 + timedelta(minutes=30), respondent_id=who[i])
    got = figures(ws)["recovered"]
    assert (got["n"], got["recovered"], got["value"]) == (3, 3, 100.0)
    assert got["interval"][1] == 100.0


def test_low_n_flags_a_figure_below_the_threshold(ws: Workspace) -> None:
    for _ in range(3):
        add_case(ws, status="resolved", resolved_hours=1, first_action_hours=1)
    assert figures(ws, low_n=4)["closed_loop"]["low_confidence"] is True
    assert figures(ws, low_n=3)["closed_loop"]["low_confidence"] is False
    assert figures(ws, low_n=3)["resolution_hours"]["low_confidence"] is False


def test_per_team_and_per_owner(ws: Workspace) -> None:
    sam = workspaces.add_user(ws, "sam@example.com", "password-123", "analyst").id
    add_case(ws, team="Billing", owner_id=sam, status="resolved", resolved_hours=2)
    add_case(ws, team="Billing", owner_id=sam, first_action_hours=4)
    add_case(ws, team="Onboarding", status="wont_fix", resolved_hours=99)
    by_team = figures(ws, group_by="team")
    assert set(by_team) == {"Billing", "Onboarding"}
    assert by_team["Billing"]["cases"] == 2 and by_team["Billing"]["closed_loop"]["value"] == 50.0
    assert by_team["Billing"]["first_action_hours"]["value"] == 4.0
    assert by_team["Onboarding"]["closed_loop"]["value"] == 0.0
    assert by_team["Onboarding"]["resolution_hours"]["value"] == 99.0
    by_owner = figures(ws, group_by="owner")
    assert {k: v["cases"] for k, v in by_owner.items()} == {sam: 2, None: 1}
    with pytest.raises(Invalid):
        figures(ws, group_by="plan")


def test_every_level_adds_up_the_same_cases(ws: Workspace) -> None:
    sam = workspaces.add_user(ws, "sam@example.com", "password-123", "analyst").id
    ann = workspaces.add_user(ws, "ann@example.com", "password-123", "analyst").id
    for team, owner, hours in [
        ("Billing", sam, 2),
        ("Billing", sam, 10),
        ("Billing", ann, 4),
        ("Onboarding", sam, 6),
    ]:
        add_case(ws, team=team, owner_id=owner, status="resolved", resolved_hours=hours)
    levels = loop.loop_levels(ws.id, START, END, 30)
    assert levels[None][None]["resolution_hours"]["value"] == 5.0  # of 2, 4, 6 and 10
    assert levels["team"]["Billing"]["resolution_hours"]["value"] == 4.0  # 2, 4, 10
    assert levels["owner"][sam]["resolution_hours"]["value"] == 6.0  # 2, 6, 10, two teams
    assert levels["owner"][ann]["cases"] == 1
    assert sum(f["cases"] for f in levels["team"].values()) == levels[None][None]["cases"] == 4
    assert levels["team"] == figures(ws, group_by="team")


def test_another_workspace_counts_nothing_here(client: FlaskClient, ws: Workspace) -> None:
    other = make_tenant(client, "Globex").workspace
    add_case(other, status="resolved", resolved_hours=1)
    assert figures(ws)["cases"] == 0


@pytest.mark.parametrize("summed", [False, True])
def test_each_week_from_one_pass_matches_the_week_read_alone(ws: Workspace, summed: bool) -> None:
    from feedback.metrics import refresh as summing
    from feedback.metrics.sums import week_spans

    rng = random.Random(11)
    for i in range(120):
        opened = T0 + timedelta(hours=rng.uniform(0, 24 * 27))
        who = person(ws, f"w{i}")
        status = rng.choice(["resolved", "resolved", "wont_fix", "open"])
        closed = rng.uniform(1, 90) if status != "open" else None
        add_case(
            ws,
            opened,
            status,
            resolved_hours=closed,
            first_action_hours=rng.uniform(0.2, 20),
            team=rng.choice(["A", "B"]),
            respondent_id=who,
        )
        if rng.random() < 0.5:  # some come back: passive or promoter, or a detractor again
            survey = _survey(ws)
            later = opened + timedelta(hours=rng.uniform(1, 200))
            add_response(survey, rng.choice([2, 8, 10]), when=later, respondent_id=who)
    db.session.commit()
    if summed:
        summing.refresh(ws, datetime(2026, 4, 20), grace=timedelta(0))
    weeks = week_spans("UTC", START, END)
    together = loop.loop_weeks(ws.id, weeks, 30)
    alone = [loop.loop_figures(ws.id, lo, hi, 30)[None] for _, lo, hi in weeks]
    assert together == alone
    assert sum(week["cases"] for week in together) == figures(ws)["cases"] == 120


def _survey(ws: Workspace) -> Survey:
    found = db.session.scalar(db.select(Survey).where(Survey.workspace_id == ws.id))
    return found or make_survey(ws, "nps")

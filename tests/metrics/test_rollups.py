"""The daily sums give exactly the figures the rows give, whatever happens to the rows.

Every check computes the same figures twice: as the product does (daily sums for the summed
days) and from the rows alone, and wants them equal, on both databases, in a timezone with a
daylight-saving change inside the data.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import delete, func, select, update

from feedback.cases.models import Case
from feedback.extensions import db
from feedback.helpdesk.agents import agent_report
from feedback.metrics import formulas, loop, series, sums
from feedback.metrics import plan as rollups
from feedback.metrics import refresh as summing
from feedback.metrics.filters import ResponseQuery
from feedback.metrics.models import (
    DayCaseFigure,
    DayFigure,
    DayThemeFigure,
    RollupMark,
    RollupStale,
)
from feedback.periods import resolve
from feedback.responses.models import Response
from feedback.surveys.models import Survey
from feedback.themes import report as theme_report
from feedback.themes.impact import impact_report
from feedback.themes.models import ResponseTheme, Theme
from tests.factories import add_response, make_survey, make_tenant

TZ = "America/New_York"  # clocks went forward on 2026-03-08
NOW = datetime(2026, 3, 20, 15, 30)  # naive UTC


def _seed(t: Any) -> None:
    rng = random.Random(7)
    surveys = {k: make_survey(t.workspace, k) for k in ("nps", "csat", "ces")}
    themes = list(db.session.scalars(select(Theme).where(Theme.workspace_id == t.workspace.id)))
    for i in range(400):
        kind = rng.choice(("nps", "nps", "csat", "ces"))
        survey = surveys[kind]
        score = rng.randint(survey.scale["min"], survey.scale["max"])
        when = NOW - timedelta(minutes=rng.randint(0, 40 * 24 * 60))
        extra = {"plan": rng.choice(("Free", "Pro", None))}
        if kind == "csat":
            extra.update(agent=f"agent {rng.randint(1, 4)}", team=rng.choice(("A", "B", None)))
        response = add_response(
            survey,
            score,
            when,
            comment=f"comment {i}" if rng.random() < 0.5 else None,
            channel=rng.choice(("widget", "email")),
            **extra,
        )
        if response.comment:
            for theme in rng.sample(themes, rng.randint(0, 2)):
                db.session.add(
                    ResponseTheme(
                        workspace_id=t.workspace.id,
                        response_id=response.id,
                        theme_id=theme.id,
                        sentiment=rng.choice(("positive", "negative", "neutral")),
                        removed=rng.random() < 0.1,
                    )
                )
        if response.band in ("detractor", "negative", "difficult"):
            opened = response.submitted_at + timedelta(minutes=rng.randint(0, 90))
            status = rng.choice(("open", "resolved", "wont_fix", "merged", "in_progress"))
            acted = opened + timedelta(hours=rng.expovariate(1 / 8))
            db.session.add(
                Case(
                    workspace_id=t.workspace.id,
                    response_id=response.id,
                    kind=kind,
                    score=score,
                    status=status,
                    team=rng.choice(("A", "B", None)),
                    opened_at=opened,
                    due_at=opened + timedelta(hours=48),
                    first_action_at=acted if status != "open" else None,
                    resolved_at=acted + timedelta(hours=rng.expovariate(1 / 30))
                    if status in ("resolved", "wont_fix")
                    else None,
                )
            )
    db.session.commit()


def _figures(t: Any) -> dict[str, Any]:
    """A wide set of figures: summaries, series, groups, the agents and themes pages."""
    ws = t.workspace
    out: dict[str, Any] = {}
    names = ("last_7_days", "last_30_days", "this_month", "last_month")
    periods = [resolve(name, TZ, NOW) for name in names]
    periods.append(resolve("all", TZ, NOW))
    # A span that starts and ends inside days.
    odd = (NOW - timedelta(days=17, hours=5), NOW - timedelta(days=2, hours=3))
    for kind in ("nps", "csat", "ces"):
        for i, p in enumerate(periods):
            scope = sums.Scope(ws.id, kind, p.start, p.end)
            out[f"{kind}-summary-{i}"] = formulas.public(formulas.summary(scope, 30))
            out[f"{kind}-widget-{i}"] = formulas.public(
                formulas.summary(sums.Scope(ws.id, kind, p.start, p.end, channel="widget"), 30)
            )
            for interval in ("day", "week", "month"):
                out[f"{kind}-{interval}-{i}"] = series.series(scope, interval, TZ, 30)
            for field in ("plan", "agent", "survey", "channel", "team"):
                out[f"{kind}-by-{field}-{i}"] = sorted(
                    series.breakdown(scope, field, 30), key=lambda g: str(g["group"])
                )
        out[f"{kind}-odd"] = formulas.public(formulas.summary(sums.Scope(ws.id, kind, *odd), 30))
        out[f"{kind}-spans"] = sums.span_sums(ws.id, (kind,), [odd, (periods[1].start, NOW)])
    out["pairs"] = sums.span_groups(ws.id, "csat", [odd], ("agent", "team"))
    out["agents"] = agent_report(ws, periods[1])
    for i, p in enumerate(periods):
        out[f"themes-{i}"] = theme_report.query_summary(ws, ResponseQuery(period=p))
        out[f"impact-{i}"] = impact_report(ws, "nps", p)
    out["weekly"] = theme_report.weekly_mentions(ws, NOW)
    for i, p in enumerate([*periods, resolve("last_90_days", TZ, NOW)]):
        out[f"loop-{i}"] = loop.loop_levels(ws.id, p.start, p.end, 30)
    out["loop-odd"] = loop.loop_levels(ws.id, *odd, 30)
    return out


def _from_rows(t: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    with monkeypatch.context() as m:
        m.setattr(rollups, "plan", lambda _ws: None)
        return _figures(t)


def _stale_days(t: Any) -> set[str]:
    rows = select(RollupStale.day).where(RollupStale.workspace_id == t.workspace.id)
    return set(db.session.scalars(rows))


@pytest.fixture
def summed(client: FlaskClient) -> Any:
    t = make_tenant(client, timezone=TZ)
    _seed(t)
    summing.refresh(t.workspace, NOW, grace=timedelta(0))
    return t


def test_sums_cover_the_closed_days_and_give_the_rows_figures(
    summed: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    t = summed
    mark = db.session.get(RollupMark, t.workspace.id)
    assert mark.rolled_until == datetime(2026, 3, 20, 4, 0)  # local midnight, EDT
    assert db.session.scalar(select(func.count()).select_from(DayFigure)) > 0
    assert db.session.scalar(select(func.count()).select_from(DayThemeFigure)) > 0
    assert db.session.scalar(select(func.count()).select_from(DayCaseFigure)) > 0
    found = rollups.plan(t.workspace.id)
    assert found is not None and not found.stale
    assert _figures(t) == _from_rows(t, monkeypatch)


def test_every_kind_of_change_to_a_summed_day_is_seen(
    summed: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    t = summed
    ws = t.workspace
    old = list(
        db.session.scalars(
            select(Response)
            .where(Response.workspace_id == ws.id, Response.submitted_at < NOW - timedelta(days=3))
            .order_by(Response.id)
        )
    )
    # An ORM change of a score, a bulk update of a context field, a deletion, a comment erased.
    old[0].score, old[0].band = (0, "detractor") if old[0].kind == "nps" else (1, old[0].band)
    db.session.execute(update(Response).where(Response.id == old[1].id).values(plan="Enterprise"))
    db.session.delete(old[2])
    db.session.execute(update(Response).where(Response.id == old[3].id).values(comment=None))
    # A response imported into a summed day, and tags added, changed and taken off.
    survey_id = old[4].survey_id
    imported = add_response(db.session.get(Survey, survey_id), 7, NOW - timedelta(days=12))
    theme = db.session.scalar(select(Theme).where(Theme.workspace_id == ws.id))
    db.session.add(
        ResponseTheme(
            workspace_id=ws.id, response_id=imported.id, theme_id=theme.id, sentiment="negative"
        )
    )
    tags = list(
        db.session.scalars(
            select(ResponseTheme)
            .join(Response, Response.id == ResponseTheme.response_id)
            .where(
                ResponseTheme.workspace_id == ws.id,
                Response.submitted_at < NOW - timedelta(days=3),
            )
            .order_by(ResponseTheme.id)
        )
    )
    # A case resolved, one reassigned to another team, one deleted.
    cases = list(
        db.session.scalars(
            select(Case)
            .where(Case.workspace_id == ws.id, Case.opened_at < NOW - timedelta(days=3))
            .order_by(Case.id)
        )
    )
    cases[0].status, cases[0].resolved_at = "resolved", cases[0].opened_at + timedelta(hours=5)
    cases[0].first_action_at = cases[0].opened_at + timedelta(hours=1)
    cases[1].team = "C"
    db.session.delete(cases[2])
    tags[0].sentiment = "mixed" if tags[0].sentiment != "mixed" else "positive"
    tags[1].removed = not tags[1].removed
    db.session.execute(delete(ResponseTheme).where(ResponseTheme.id == tags[2].id))
    db.session.commit()

    assert len(_stale_days(t)) >= 4
    assert _figures(t) == _from_rows(t, monkeypatch)  # changed days read from the rows

    summing.refresh(ws, NOW, grace=timedelta(0))
    assert _stale_days(t) == set()
    assert _figures(t) == _from_rows(t, monkeypatch)  # and summed again


def test_todays_rows_are_not_filed(summed: Any) -> None:
    t = summed
    survey = db.session.scalar(select(Survey).where(Survey.workspace_id == t.workspace.id))
    add_response(survey, 9, NOW - timedelta(minutes=5))
    db.session.commit()
    assert _stale_days(t) == set()


def test_a_new_timezone_reads_the_rows_until_summed_again(
    summed: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    t = summed
    t.workspace.timezone = "Asia/Kolkata"
    db.session.commit()
    assert rollups.plan(t.workspace.id) is None
    monkeypatch.setattr(f"{__name__}.TZ", "Asia/Kolkata")
    assert _figures(t) == _from_rows(t, monkeypatch)
    summing.refresh(t.workspace, NOW, grace=timedelta(0))
    mark = db.session.get(RollupMark, t.workspace.id)
    assert (mark.timezone, mark.rolled_until) == ("Asia/Kolkata", datetime(2026, 3, 19, 18, 30))
    assert _figures(t) == _from_rows(t, monkeypatch)


def test_the_mark_moves_only_after_it_was_announced(client: FlaskClient) -> None:
    t = make_tenant(client, timezone=TZ)
    _seed(t)
    assert summing.refresh(t.workspace, NOW) == 0  # announced, nothing summed
    mark = db.session.get(RollupMark, t.workspace.id)
    announced = mark.pending_until
    assert mark.rolled_until is None and announced == datetime(2026, 3, 20, 4, 0)
    assert rollups.plan(t.workspace.id) is None
    # While announced, a change to a day before the coming mark is filed already.
    row = db.session.scalar(select(Response).order_by(Response.submitted_at).limit(1))
    row.plan = "Changed"
    db.session.commit()
    assert len(_stale_days(t)) == 1
    assert summing.refresh(t.workspace, NOW + summing.GRACE) > 0
    assert (mark.rolled_until, mark.pending_until) == (announced, None)
    assert _stale_days(t) == set()

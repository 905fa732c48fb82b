"""Retention: responses, their tags and displays older than the workspace keeps are purged."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import func, select

from feedback.database import utcnow
from feedback.email.erasure import erase_respondent
from feedback.extensions import db
from feedback.jobs import purge_old_data
from feedback.responses.models import Display, Response
from feedback.themes.models import ResponseTheme, Theme
from tests.factories import add_response, make_survey, make_tenant


def count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_old_responses_tags_and_displays_are_purged(client: FlaskClient) -> None:
    t = make_tenant(client)
    assert t.patch("/api/v1/workspace", {"retention_days": 30}).json["retention_days"] == 30
    keeper = make_tenant(client, "Keeper")  # no retention: keeps everything
    survey = make_survey(t.workspace, "nps")
    kept_survey = make_survey(keeper.workspace, "nps")
    now = utcnow()
    old = add_response(survey, 2, now - timedelta(days=40), comment="Too expensive")
    recent = add_response(survey, 9, now - timedelta(days=5), comment="Great")
    theirs = add_response(kept_survey, 5, now - timedelta(days=400))
    theme = db.session.scalar(select(Theme).where(Theme.workspace_id == t.workspace.id))
    db.session.add(
        ResponseTheme(
            workspace_id=t.workspace.id, response_id=old.id, theme_id=theme.id, sentiment="negative"
        )
    )
    for when, ws, sid, cid in (
        (now - timedelta(days=40), t.workspace.id, survey.id, "disp-old-0001"),
        (now - timedelta(days=1), t.workspace.id, survey.id, "disp-new-0001"),
        (now - timedelta(days=400), keeper.workspace.id, kept_survey.id, "disp-keep-001"),
    ):
        db.session.add(Display(workspace_id=ws, survey_id=sid, client_id=cid, shown_at=when))
    db.session.commit()

    totals = purge_old_data()

    assert totals == {"responses": 1, "displays": 1, "webhook_deliveries": 0, "audit_events": 0}
    ids = set(db.session.scalars(select(Response.id)))
    assert ids == {recent.id, theirs.id}
    assert count(ResponseTheme) == 0
    assert {d.client_id for d in db.session.scalars(select(Display))} == {
        "disp-new-0001",
        "disp-keep-001",
    }
    assert purge_old_data()["responses"] == 0


def test_erased_comments_stay_erased(client: FlaskClient) -> None:
    t = make_tenant(client)
    t.patch("/api/v1/workspace", {"retention_days": 30})
    survey = make_survey(t.workspace, "nps")
    record = client.put(
        t.public("/responses/resp-erase-01"),
        json={
            "survey": survey.public_id,
            "score": 3,
            "answers": {"improve": "My name is Ann"},
            "respondent": {"id": "u-erased"},
        },
    )
    assert record.status_code == 201, record.json
    erase_respondent(t.workspace, "u-erased")
    db.session.commit()
    purge_old_data()
    db.session.expire_all()
    [kept] = db.session.scalars(select(Response)).all()
    assert kept.comment is None and kept.respondent_id is None and kept.score == 3


def test_retention_is_validated(client: FlaskClient) -> None:
    t = make_tenant(client)
    for bad in (0, -5, "30", True):
        res = t.patch("/api/v1/workspace", {"retention_days": bad})
        assert res.status_code == 422 and res.json["error"]["field"] == "retention_days"
    assert t.patch("/api/v1/workspace", {"retention_days": None}).json["retention_days"] is None

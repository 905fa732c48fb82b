"""A stored response's case and webhook events follow it, applied by the job exactly once."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from feedback import jobs
from feedback.cases.models import Case, CaseEvent
from feedback.extensions import db
from feedback.responses import effects
from feedback.responses.models import Response, ResponseEffect
from feedback.webhooks.models import WebhookDelivery
from tests.factories import Tenant, make_survey, make_tenant
from tests.killed import Killed, dies_at_commit


@pytest.fixture
def tenant(client: FlaskClient, effects_later: None) -> Tenant:
    return make_tenant(client)


def answer(tenant: Tenant, survey_id: str, rid: str, score: int) -> Any:
    body = {"survey": survey_id, "score": score}
    return tenant.client.put(tenant.public(f"/responses/{rid}"), json=body)


def cases() -> list[tuple[str, int, str]]:
    db.session.expire_all()
    rows = db.session.execute(
        select(Response.client_id, Case.score, Case.status)
        .join(Response, Response.id == Case.response_id)
        .order_by(Response.client_id)
    )
    return [tuple(row) for row in rows]


def waiting() -> int:
    return len(db.session.scalars(select(ResponseEffect.id)).all())


def events() -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(select(WebhookDelivery.event).order_by(WebhookDelivery.id)))


def test_the_answer_does_not_wait_for_the_case_and_the_job_opens_it_once(tenant: Tenant) -> None:
    survey = make_survey(tenant.workspace, "nps")
    assert answer(tenant, survey.public_id, "resp-low-001", 2).status_code == 201
    assert answer(tenant, survey.public_id, "resp-high-01", 10).status_code == 201
    assert cases() == [] and waiting() == 2
    assert jobs.apply_response_effects() == 2
    assert cases() == [("resp-low-001", 2, "open")]
    assert waiting() == 0
    assert jobs.apply_response_effects() == 0 and cases() == [("resp-low-001", 2, "open")]
    case = db.session.scalars(select(Case)).one()
    stored = db.session.scalars(select(Response.submitted_at).where(Response.score == 2)).one()
    # The case dates from the score, not from when the job ran: its deadline counts from then.
    # When it was written says how late the job was.
    assert case.opened_at == stored and case.created_at >= stored


def test_a_batch_killed_before_its_commit_leaves_everything_to_the_next_run(
    client: FlaskClient, tenant: Tenant
) -> None:
    client.application.config["FEEDBACK_WEBHOOKS_ALLOW_PRIVATE"] = True
    made = tenant.post(
        "/api/v1/webhooks",
        {"url": "http://127.0.0.1:9/in", "events": ["response.created", "response.low_score"]},
    )
    assert made.status_code == 201, made.json
    survey = make_survey(tenant.workspace, "nps")
    for n, score in enumerate([1, 9, 4, 0, 7]):
        assert answer(tenant, survey.public_id, f"resp-kill-{n:02d}", score).status_code == 201
    with dies_at_commit(1), pytest.raises(Killed):
        effects.apply_pending()
    assert cases() == [] and events() == [] and waiting() == 5
    assert jobs.apply_response_effects() == 5
    assert [c[0] for c in cases()] == ["resp-kill-00", "resp-kill-02", "resp-kill-03"]
    assert events().count("response.created") == 5
    assert events().count("response.low_score") == 3
    assert jobs.apply_response_effects() == 0 and len(events()) == 8


def test_changes_made_before_the_job_runs_apply_in_their_order(tenant: Tenant) -> None:
    survey = make_survey(tenant.workspace, "nps")
    assert answer(tenant, survey.public_id, "resp-turn-01", 3).status_code == 201
    assert answer(tenant, survey.public_id, "resp-turn-01", 9).status_code == 200
    assert answer(tenant, survey.public_id, "resp-turn-01", 1).status_code == 200
    assert jobs.apply_response_effects() == 3
    # Opened at 3, resolved as recovered at 9, open again at 1: the trail has all three.
    assert cases() == [("resp-turn-01", 1, "open")]
    trail = db.session.scalars(select(CaseEvent.action).order_by(CaseEvent.id)).all()
    assert trail.count("rescored") == 2


def test_erasing_a_respondent_drops_what_their_answers_would_still_cause(tenant: Tenant) -> None:
    survey = make_survey(tenant.workspace, "nps")
    respondent = {"id": "user-erased-1"}
    body = {"survey": survey.public_id, "score": 0, "respondent": respondent}
    assert tenant.client.put(tenant.public("/responses/resp-gone-01"), json=body).status_code == 201
    assert tenant.delete("/api/v1/respondents/user-erased-1").status_code in (200, 204)
    # The score stays, unlinked; what it would have caused (a case quoting them) goes.
    assert waiting() == 0
    assert jobs.apply_response_effects() == 0 and cases() == [] and events() == []


def test_effects_wait_in_a_table_of_their_own_cleared_as_they_apply(tenant: Tenant) -> None:
    survey = make_survey(tenant.workspace, "csat")
    assert answer(tenant, survey.public_id, "resp-csat-01", 1).status_code == 201
    waiting = db.session.scalars(select(ResponseEffect)).one()
    assert (waiting.score, waiting.previous_score) == (1, None)
    assert answer(tenant, survey.public_id, "resp-csat-01", 5).status_code == 200
    scores = db.session.execute(
        select(ResponseEffect.previous_score, ResponseEffect.score).order_by(ResponseEffect.id)
    ).all()
    assert [tuple(s) for s in scores] == [(None, 1), (1, 5)]
    jobs.apply_response_effects()
    assert db.session.scalars(select(ResponseEffect)).all() == []
    assert cases() == [("resp-csat-01", 5, "resolved")]

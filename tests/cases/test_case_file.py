"""A case's file: the timeline in words, the respondent's history and helpdesk tickets."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from feedback.cases import file as case_file
from feedback.cases import opening
from feedback.cases import work as cases
from feedback.cases.models import Case
from feedback.extensions import db
from feedback.helpdesk.models import Ticket
from feedback.responses.models import Response
from tests.factories import Tenant, make_survey, make_tenant, signed

LEAD = cases.Actor("lead@acme.test", "admin")


@pytest.fixture
def tenant(app: Flask, client: FlaskClient) -> Tenant:
    app.config["FEEDBACK_CASE_SETTLE_SECONDS"] = 0
    return make_tenant(client)


def answer(tenant: Tenant, survey: Any, rid: str, score: int, **extra: Any) -> int | None:
    body = {"survey": survey.public_id, "score": score, **extra}
    assert tenant.client.put(tenant.public(f"/responses/{rid}"), json=body).status_code == 201
    opening.route_new_cases()
    return db.session.scalar(
        select(Case.id)
        .join(Response, Response.id == Case.response_id)
        .where(Response.client_id == rid)
    )


def test_the_timeline_tells_events_in_words_and_notes_with_their_body(tenant: Tenant) -> None:
    survey = make_survey(tenant.workspace, "nps")
    case_id = answer(tenant, survey, "tl-00001", 2)
    cases.add_note(tenant.workspace, case_id, "Called them.", LEAD)
    cases.update_case(
        tenant.workspace,
        case_id,
        {"status": "resolved", "resolution": "fixed", "root_cause": "pricing"},
        LEAD,
    )
    case = cases.get_case(tenant.workspace, case_id)
    timeline = case_file.case_file(tenant.workspace, case).timeline
    assert [(e.kind, e.text or e.body) for e in timeline] == [
        ("opened", "Opened from the score (NPS 2)"),
        ("note", "Called them."),
        ("root_cause", "Root cause none → Pricing"),
        ("resolution", "Resolution none → fixed"),
        ("status", "Status open → resolved"),
    ]


def test_history_and_tickets_of_the_respondent(tenant: Tenant) -> None:
    survey = make_survey(tenant.workspace, "csat")
    person = {"respondent": signed(tenant.workspace, {"id": "cust-9", "email": "nine@example.com"})}
    answer(tenant, survey, "hi-00001", 4, context={"ticket_id": "T-1"}, **person)
    case_id = answer(tenant, survey, "hi-00002", 1, context={"ticket_id": "T-2"}, **person)
    for external_id in ("T-1", "T-2", "T-3"):
        db.session.add(
            Ticket(workspace_id=tenant.workspace.id, external_id=external_id, agent="Sam")
        )
    other = make_tenant(tenant.client, "Other")
    db.session.add(Ticket(workspace_id=other.workspace.id, external_id="T-1", agent="Eve"))
    db.session.commit()
    case = cases.get_case(tenant.workspace, case_id)
    file = case_file.case_file(tenant.workspace, case)
    assert [r.score for r in file.history] == [4]  # the case's own answer is not repeated
    assert sorted((t.external_id, t.agent) for t in file.tickets) == [
        ("T-1", "Sam"),
        ("T-2", "Sam"),
    ]
    assert file.reply_to == "nine@example.com"
    assert case_file.open_count(tenant.workspace.id, 0) == 0


@pytest.mark.parametrize(
    ("by", "words"),
    [
        ("rule:4", "by a rule"),
        ("theme:pricing", "owner of the theme pricing"),
        ("round_robin", "round robin"),
        ("manual", "by hand"),
        (None, ""),
    ],
)
def test_how_a_case_got_its_owner_in_words(by: str | None, words: str) -> None:
    assert case_file.assignment(by) == words

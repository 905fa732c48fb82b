"""The helpdesk webhook: idempotent tickets, their figures, and one CSAT invite per solve."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from feedback.database import utcnow
from feedback.email.models import EmailInvite
from feedback.extensions import db
from feedback.helpdesk.models import Ticket
from feedback.jobs import send_due_invites
from feedback.responses.models import Response
from tests.factories import make_survey, make_tenant
from tests.hosted_forms import answer
from tests.mail import parts, path_of, score_links

URL = "/api/v1/helpdesk/tickets"


def iso(moment: datetime) -> str:
    return moment.isoformat() + "Z"


def ticket(on: Any, solved_at: datetime | None, **fields: Any) -> dict[str, Any]:
    opened = datetime(2026, 3, 2, 9, 0)
    body = {
        "id": "T-100",
        "requester": {"email": "Ann@Example.com", "id": "u-1", "name": "Ann"},
        "agent": "Dana",
        "team": "Billing",
        "plan": "Pro",
        "created_at": iso(opened),
        "first_response_at": iso(opened + timedelta(minutes=30)),
        "solved_at": iso(solved_at) if solved_at else None,
        "reopens": 0,
        "contacts": 1,
        "survey": on.public_id,
    }
    body.update(fields)
    return body


def invites() -> list[EmailInvite]:
    db.session.expire_all()
    return list(db.session.scalars(select(EmailInvite).order_by(EmailInvite.id)))


def test_a_retried_call_updates_the_ticket_and_schedules_one_invite(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "csat")
    solved = datetime(2026, 3, 2, 13, 0)
    first = t.post(URL, ticket(survey, solved))
    assert first.status_code == 201, first.json
    assert first.json["first_response_seconds"] == 1800
    assert first.json["resolution_seconds"] == 4 * 3600
    assert first.json["one_touch"] is True
    again = t.post(URL, ticket(survey, solved, contacts=3))
    assert again.status_code == 200
    assert again.json["one_touch"] is False
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1
    [invite] = invites()
    assert invite.status == "scheduled"
    assert invite.scheduled_at == solved + timedelta(hours=24)
    assert invite.email == "ann@example.com" and invite.external_id == "u-1"
    assert invite.context == {
        "agent": "Dana",
        "team": "Billing",
        "plan": "Pro",
        "ticket_id": "T-100",
    }


def test_the_delay_is_a_setting(client: FlaskClient) -> None:
    client.application.config["FEEDBACK_HELPDESK_DELAY_HOURS"] = 2
    t = make_tenant(client)
    survey = make_survey(t.workspace, "csat")
    solved = datetime(2026, 3, 2, 13, 0)
    assert t.post(URL, ticket(survey, solved)).status_code == 201
    assert invites()[0].scheduled_at == solved + timedelta(hours=2)


def test_an_unsolved_ticket_is_stored_without_an_invite(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "csat")
    res = t.post(URL, ticket(survey, None, first_response_at=None))
    assert res.status_code == 201
    assert res.json["resolution_seconds"] is None and res.json["one_touch"] is None
    assert invites() == []


def test_the_solving_agent_keeps_the_credit(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "csat")
    solved = datetime(2026, 3, 2, 13, 0)
    t.post(URL, ticket(survey, solved))
    later = t.post(URL, ticket(survey, solved, agent="Eve", team="Sales"))
    assert later.json["agent"] == "Eve" and later.json["solved_by"] == "Dana"
    [invite] = invites()
    assert invite.context["agent"] == "Dana" and invite.context["team"] == "Billing"


def test_a_signed_call_is_accepted_and_a_bad_signature_refused(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "csat")
    secret = "helpdesk-shared-secret-1"
    assert t.patch("/api/v1/workspace", {"helpdesk_secret": secret}).status_code == 200
    body = json.dumps(ticket(survey, datetime(2026, 3, 2, 13, 0))).encode()
    good = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    url = f"{URL}?workspace={t.workspace.public_key}"
    headers = {"Content-Type": "application/json"}
    # The last digit changed, whatever it was (a fixed "00" would be right once in 256 runs).
    forged = good[:-1] + ("1" if good[-1] == "0" else "0")
    bad = client.post(url, data=body, headers={**headers, "X-Feedback-Signature": forged})
    assert bad.status_code == 401 and bad.json["error"]["code"] == "unauthorized"
    changed = client.post(
        url, data=body.replace(b"Dana", b"Mall"), headers={**headers, "X-Feedback-Signature": good}
    )
    assert changed.status_code == 401
    assert client.post(URL, data=body, headers=headers).status_code == 401  # neither
    assert invites() == []
    ok = client.post(url, data=body, headers={**headers, "X-Feedback-Signature": good})
    assert ok.status_code == 201, ok.json
    assert len(invites()) == 1


def test_a_read_key_cannot_send_tickets(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "csat")
    made = t.post("/api/v1/api-keys", {"name": "ro", "scopes": ["read"]})
    res = client.post(
        URL,
        json=ticket(survey, None),
        headers={"Authorization": f"Bearer {made.json['secret']}"},
    )
    assert res.status_code == 403


def test_errors_name_the_field(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "csat")
    nps = make_survey(t.workspace, "nps")
    solved = datetime(2026, 3, 2, 13, 0)
    cases = [
        (ticket(survey, solved, id=None), "id"),
        (ticket(survey, solved, requester={"email": "not-an-address"}), "requester.email"),
        (ticket(survey, solved, requester=None), "requester.email"),
        (ticket(survey, solved, created_at="yesterday"), "created_at"),
        (ticket(survey, datetime(2026, 3, 1)), "solved_at"),
        # An offset on the calendar's first or last day leaves the years datetime knows.
        (ticket(survey, solved, created_at="0001-01-01T00:00:00+01:00"), "created_at"),
        # Seconds from opening to solving are stored in an integer column.
        (ticket(survey, datetime(2100, 1, 1), created_at="2000-01-01T00:00:00Z"), "solved_at"),
        (ticket(survey, solved, reopens=-1), "reopens"),
        (ticket(survey, solved, contacts="two"), "contacts"),
        (ticket(survey, solved, survey=None), "survey"),
        (ticket(nps, solved), "survey"),
    ]
    for body, field in cases:
        res = t.post(URL, body)
        assert res.status_code == 422, (field, res.json)
        assert res.json["error"]["field"] == field
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0
    assert t.post(URL, ticket(survey, solved, survey="nope")).status_code == 404


def test_the_invite_mail_arrives_and_credits_the_agent(client: FlaskClient, smtp: Any) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "csat")
    solved = utcnow() - timedelta(hours=25)
    assert t.post(URL, ticket(survey, solved, created_at=None)).status_code == 201
    assert send_due_invites() == 1
    [message] = smtp.inbox.messages
    assert message["To"] == "Ann <ann@example.com>"
    text, html = parts(message)
    links = score_links(text)
    assert len(links) == 5 and all(link in html for link in links)
    answer(client, path_of(links[4]))
    [response] = db.session.scalars(select(Response)).all()
    assert (response.score, response.agent, response.team, response.ticket_id) == (
        5,
        "Dana",
        "Billing",
        "T-100",
    )
    assert response.channel == "email"


KEPT_FIELDS = {
    "requester": ("requester_email", "ann@example.com"),
    "agent": ("agent", "Dana"),
    "team": ("team", "Billing"),
    "plan": ("plan", "Pro"),
    "created_at": ("opened_at", datetime(2026, 3, 2, 9, 0)),
    "first_response_at": ("first_response_seconds", 1800),
    "solved_at": ("resolution_seconds", 4 * 3600),
    "reopens": ("reopens", 0),
    "contacts": ("one_touch", True),
    "context": ("context", {"channel": "chat"}),
}


@pytest.mark.parametrize("left_out", sorted(KEPT_FIELDS))
def test_an_update_changes_only_the_fields_it_carries(client: FlaskClient, left_out: str) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "csat")
    full = ticket(survey, datetime(2026, 3, 2, 13, 0), context={"channel": "chat"})
    assert t.post(URL, full).status_code == 201
    update = {k: v for k, v in full.items() if k != left_out}
    assert t.post(URL, update).status_code == 200
    column, expected = KEPT_FIELDS[left_out]
    db.session.expire_all()
    assert getattr(db.session.scalar(select(Ticket)), column) == expected


def test_a_field_sent_as_null_is_cleared(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "csat")
    assert t.post(URL, ticket(survey, None)).status_code == 201
    assert t.post(URL, ticket(survey, None, first_response_at=None)).status_code == 200
    db.session.expire_all()
    assert db.session.scalar(select(Ticket.first_response_seconds)) is None


def test_a_solved_update_uses_the_requester_already_stored(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "csat")
    assert t.post(URL, ticket(survey, None)).status_code == 201
    solved = {
        "id": "T-100",
        "solved_at": iso(datetime(2026, 3, 2, 13, 0)),
        "survey": survey.public_id,
    }
    assert t.post(URL, solved).status_code == 200, "the stored requester gets the CSAT mail"
    [invite] = invites()
    assert invite.email == "ann@example.com" and invite.context["agent"] == "Dana"

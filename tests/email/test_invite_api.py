"""Creating email invites by API (JSON and CSV), throttled by the workspace's recontact wait."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import select

from feedback.accounts import workspaces
from feedback.database import utcnow
from feedback.email.models import EmailInvite
from feedback.extensions import db
from feedback.responses.models import Respondent
from tests.factories import OTHER_DIGITS, make_survey, make_tenant


def test_invites_from_a_json_list_are_scheduled_with_their_context(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "csat")
    res = t.post(
        "/api/v1/invites",
        json={
            "survey": survey.public_id,
            "scheduled_at": "2030-01-31T09:00:00+01:00",
            "invites": [
                {"email": "Ann@Example.com", "id": "u-1", "name": "Ann", "context": {"agent": "D"}},
                {"email": "bob@example.com"},
            ],
        },
    )
    assert res.status_code == 201, res.json
    assert (res.json["scheduled"], res.json["suppressed"]) == (2, 0)
    ann = res.json["data"][0]
    assert ann["email"] == "ann@example.com" and ann["context"] == {"agent": "D"}
    assert ann["scheduled_at"] == "2030-01-31T08:00:00Z"
    assert "secret" not in ann and "client_id" not in ann


def test_a_csv_upload_reads_context_columns(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "csat")
    body = "email,id,name,agent,ticket_id\nann@example.com,u-1,Ann,Dana,T-1\nbob@example.com,,,,\n"
    res = t.post(
        f"/api/v1/invites.csv?survey={survey.public_id}", data=body, content_type="text/csv"
    )
    assert res.status_code == 201, res.json
    stored = db.session.scalars(select(EmailInvite).order_by(EmailInvite.id)).all()
    assert [(i.email, i.external_id, i.name) for i in stored] == [
        ("ann@example.com", "u-1", "Ann"),
        ("bob@example.com", None, None),
    ]
    assert stored[0].context == {"agent": "Dana", "ticket_id": "T-1"}
    assert stored[1].context == {}


def test_a_bad_address_is_refused_naming_the_row(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    res = t.post(
        "/api/v1/invites",
        json={"survey": survey.public_id, "invites": [{"email": "a@b.co"}, {"email": "nope"}]},
    )
    assert res.status_code == 422
    assert res.json["error"]["field"] == "invites[1].email"
    csv = t.post(
        f"/api/v1/invites.csv?survey={survey.public_id}",
        data="name\nAnn\n",
        content_type="text/csv",
    )
    assert csv.status_code == 422 and csv.json["error"]["field"] == "file"
    assert db.session.scalars(select(EmailInvite)).all() == []


def test_a_time_off_the_calendar_is_refused_naming_its_field(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    # Both were an OverflowError once their offset was applied.
    for when in ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"):
        body = {"survey": survey.public_id, "scheduled_at": when, "invites": [{"email": "a@b.co"}]}
        res = t.post("/api/v1/invites", json=body)
        assert res.status_code == 422 and res.json["error"]["field"] == "scheduled_at"
        body = {"survey": survey.public_id, "invites": [{"email": "a@b.co", "scheduled_at": when}]}
        res = t.post("/api/v1/invites", json=body)
        assert res.status_code == 422 and res.json["error"]["field"] == "invites[0].scheduled_at"
    assert db.session.scalars(select(EmailInvite)).all() == []


def test_a_recently_surveyed_person_is_dropped_with_the_reason(client: FlaskClient) -> None:
    t = make_tenant(client, recontact_days=7)
    survey = make_survey(t.workspace, "nps")
    db.session.add(
        Respondent(
            workspace_id=t.workspace.id,
            external_id="u-1",
            email="ann@example.com",
            last_shown_at=utcnow() - timedelta(days=2),
        )
    )
    db.session.commit()
    res = t.post(
        "/api/v1/invites",
        json={
            "survey": survey.public_id,
            "invites": [
                {"email": "ann@example.com", "id": "u-1"},
                {"email": "bob@example.com"},
                {"email": "bob@example.com"},
            ],
        },
    )
    assert res.status_code == 201
    ann, bob, bob_again = res.json["data"]
    assert ann["status"] == "suppressed" and "less than 7 days" in ann["suppressed_reason"]
    assert bob["status"] == "scheduled"
    assert bob_again["status"] == "suppressed"
    assert "already waiting" in bob_again["suppressed_reason"]
    listed = t.get("/api/v1/invites?status=suppressed").json["data"]
    assert {i["email"] for i in listed} == {"ann@example.com", "bob@example.com"}


def test_the_wait_counts_from_the_time_the_invite_goes_out(client: FlaskClient) -> None:
    t = make_tenant(client, recontact_days=7)
    survey = make_survey(t.workspace, "nps")
    db.session.add(
        Respondent(
            workspace_id=t.workspace.id,
            email="ann@example.com",
            last_responded_at=utcnow() - timedelta(days=2),
        )
    )
    db.session.commit()
    later = (utcnow() + timedelta(days=6)).isoformat()
    res = t.post(
        "/api/v1/invites",
        json={"survey": survey.public_id, "invites": [{"email": "ann@example.com"}]},
        query_string={},
    )
    assert res.json["data"][0]["status"] == "suppressed"
    res = t.post(
        "/api/v1/invites",
        json={
            "survey": survey.public_id,
            "invites": [{"email": "ann@example.com", "scheduled_at": later}],
        },
    )
    assert res.json["data"][0]["status"] == "scheduled"


def test_invites_are_scoped_to_the_workspace(client: FlaskClient) -> None:
    t = make_tenant(client, "Acme")
    other = make_tenant(client, "Globex")
    survey = make_survey(other.workspace, "nps")
    res = t.post(
        "/api/v1/invites", json={"survey": survey.public_id, "invites": [{"email": "a@b.co"}]}
    )
    assert res.status_code == 404
    other.post(
        "/api/v1/invites", json={"survey": survey.public_id, "invites": [{"email": "a@b.co"}]}
    )
    assert t.get("/api/v1/invites").json["data"] == []


def test_a_read_key_cannot_send_invites(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    issued = workspaces.create_api_key(t.workspace, "ro", ["read"])
    db.session.commit()
    res = client.post(
        "/api/v1/invites",
        json={"survey": survey.public_id, "invites": [{"email": "a@b.co"}]},
        headers={"Authorization": f"Bearer {issued.secret}"},
    )
    assert res.status_code == 403


@OTHER_DIGITS
def test_a_limit_in_other_digits_is_refused_by_name(client: FlaskClient, script: dict) -> None:
    t = make_tenant(client)
    assert t.get("/api/v1/invites?limit=3").status_code == 200
    for limit in ("3".translate(script), "0", "1" * 5000):
        refused = t.get(f"/api/v1/invites?limit={limit}")
        assert refused.status_code == 422 and refused.json["error"]["field"] == "limit", limit

"""Churn and renewal events over the management API: checked, stored per workspace, exported
and erased with their respondent; and the workspace's currency."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from feedback.extensions import db
from feedback.responses.models import Respondent, RespondentEvent
from tests.factories import Tenant, make_tenant


def _respondent(tenant: Tenant, external_id: str, **traits: str) -> Respondent:
    person = Respondent(workspace_id=tenant.workspace.id, external_id=external_id, traits=traits)
    db.session.add(person)
    db.session.commit()
    return person


def _stored() -> int:
    return db.session.scalar(select(func.count()).select_from(RespondentEvent)) or 0


@pytest.fixture
def tenant(client: FlaskClient) -> Tenant:
    return make_tenant(client)


def test_an_event_is_stored_and_exported(tenant: Tenant) -> None:
    _respondent(tenant, "acct-1", mrr="100")
    res = tenant.post(
        "/api/v1/respondents/acct-1/events",
        json={"event": "churned", "at": "2026-03-01T10:00:00+02:00"},
    )
    assert res.status_code == 201, res.json
    assert res.json["event"] == "churned" and res.json["respondent"] == "acct-1"
    assert res.json["at"] == "2026-03-01T08:00:00Z"  # to UTC
    renewed = tenant.post("/api/v1/respondents/acct-1/events", json={"event": "renewed"})
    assert renewed.status_code == 201
    exported = tenant.get("/api/v1/respondents/acct-1").json
    assert [e["event"] for e in exported["events"]] == ["churned", "renewed"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"event": "cancelled"}, "event"),
        ({}, "event"),
        ({"event": None}, "event"),
        ({"event": ["churned"]}, "event"),
        ({"event": "churned", "at": "yesterday"}, "at"),
        ({"event": "churned", "at": 1767225600}, "at"),
        ({"event": "churned", "at": "2999-01-01T00:00:00Z"}, "at"),
        ({"event": "churned", "at": "1066-10-14T09:00:00"}, "at"),
        ({"event": "churned", "at": "2026-02-30T00:00:00"}, "at"),
        ({"event": "churned", "when": "2026-01-01"}, "when"),
        (["churned"], None),
    ],
)
def test_bad_input_is_refused_by_name_and_stores_nothing(
    tenant: Tenant, body: Any, field: str | None
) -> None:
    _respondent(tenant, "acct-1")
    res = tenant.post("/api/v1/respondents/acct-1/events", json=body)
    assert res.status_code == 422, res.json
    assert res.json["error"].get("field") == field
    assert _stored() == 0


def test_a_body_that_is_not_json_is_malformed(tenant: Tenant) -> None:
    _respondent(tenant, "acct-1")
    res = tenant.client.post(
        "/api/v1/respondents/acct-1/events", data="{event", headers=tenant.headers
    )
    assert res.status_code == 400 and res.json["error"]["code"] == "malformed"
    assert _stored() == 0


def test_an_unknown_respondent_is_not_found(tenant: Tenant) -> None:
    res = tenant.post("/api/v1/respondents/nobody/events", json={"event": "renewed"})
    assert res.status_code == 404 and res.json["error"]["field"] == "respondent"
    assert _stored() == 0


def test_events_need_the_write_scope(client: FlaskClient, tenant: Tenant) -> None:
    _respondent(tenant, "acct-1")
    key = tenant.post("/api/v1/api-keys", json={"name": "ro", "scopes": ["read"]}).json
    res = client.post(
        "/api/v1/respondents/acct-1/events",
        json={"event": "renewed"},
        headers={"Authorization": f"Bearer {key['secret']}"},
    )
    assert res.status_code == 403
    assert _stored() == 0


def test_events_are_kept_to_their_workspace(client: FlaskClient, tenant: Tenant) -> None:
    other = make_tenant(client, "Other")
    _respondent(tenant, "acct-1")
    assert tenant.post("/api/v1/respondents/acct-1/events", json={"event": "churned"}).status_code
    # The other workspace's key can neither add to nor read this respondent's events.
    refused = other.post("/api/v1/respondents/acct-1/events", json={"event": "renewed"})
    assert refused.status_code == 404
    assert other.get("/api/v1/respondents/acct-1").status_code == 404
    # A respondent of the same id there is a different person with no events.
    _respondent(other, "acct-1")
    assert other.get("/api/v1/respondents/acct-1").json["events"] == []
    assert [e.event for e in db.session.scalars(select(RespondentEvent))] == ["churned"]


def test_erasing_a_respondent_erases_their_events(client: FlaskClient, tenant: Tenant) -> None:
    other = make_tenant(client, "Other")
    _respondent(tenant, "acct-1")
    _respondent(other, "acct-1")
    for t in (tenant, other):
        t.post("/api/v1/respondents/acct-1/events", json={"event": "churned"})
    tenant.post("/api/v1/respondents/acct-1/events", json={"event": "renewed"})
    res = tenant.delete("/api/v1/respondents/acct-1")
    assert res.status_code == 200 and res.json["erased"]["events"] == 2
    db.session.expire_all()
    left = db.session.scalars(select(RespondentEvent.workspace_id)).all()
    assert left == [other.workspace.id]


def test_the_currency_is_set_and_checked(tenant: Tenant) -> None:
    assert tenant.get("/api/v1/workspace").json["currency"] == "USD"
    assert tenant.patch("/api/v1/workspace", json={"currency": "EUR"}).json["currency"] == "EUR"
    for bad in ("eur", "EURO", "XYZ", "", 978, None):
        res = tenant.patch("/api/v1/workspace", json={"currency": bad, "name": "Renamed"})
        assert res.status_code == 422 and res.json["error"]["field"] == "currency", bad
    workspace = tenant.get("/api/v1/workspace").json
    assert (workspace["currency"], workspace["name"]) == ("EUR", "Acme")

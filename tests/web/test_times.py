"""Every page tells one time the same way (the workspace's clock, with its zone) and names a
respondent the same way (their name, email, or "anonymous" with a short id)."""

from __future__ import annotations

from datetime import datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update

from feedback.cases.models import Case
from feedback.extensions import db
from feedback.responses.models import Respondent, Response
from tests.factories import Tenant, make_survey, make_tenant, signed
from tests.pages import member, sign_in

AT = datetime(2026, 3, 3, 7, 11)  # 07:11 UTC: 02:11 in New York, 11:11 in Dubai
ANONYMOUS = "b6f1c0de" * 8  # what the widget keeps in a visitor's browser


def answered(tenant: Tenant, rid: str, respondent: dict[str, object] | None = None) -> Case:
    """A detractor's response made at AT, with its case; the member is signed in."""
    survey = make_survey(tenant.workspace, "nps")
    body: dict[str, object] = {"survey": survey.public_id, "score": 2, **(respondent or {})}
    assert tenant.client.put(tenant.public(f"/responses/{rid}"), json=body).status_code == 201
    db.session.execute(update(Response).values(submitted_at=AT))
    db.session.execute(update(Case).values(opened_at=AT))
    db.session.commit()
    return db.session.scalars(select(Case)).one()


def pages(client: FlaskClient, case: Case) -> tuple[str, str]:
    return (
        client.get(f"/app/cases/{case.id}").get_data(as_text=True),
        client.get(f"/app/responses/{case.response_id}").get_data(as_text=True),
    )


@pytest.fixture
def tenant(client: FlaskClient) -> Tenant:
    t = make_tenant(client, timezone="America/New_York")
    sign_in(client, member(t, "lead@acme.example", "admin"))
    return t


def test_a_response_s_time_reads_the_same_on_its_case_and_its_own_page(
    client: FlaskClient, tenant: Tenant
) -> None:
    case = answered(tenant, "resp-0001")
    case_page, response_page = pages(client, case)
    for page in (case_page, response_page):
        assert "Tue 03 Mar 2026, 02:11 EST" in page
        assert "07:11" not in page
    assert "opened Tue 03 Mar 2026, 02:11 EST" in case_page


def test_a_zone_without_an_abbreviation_is_named(client: FlaskClient, tenant: Tenant) -> None:
    tenant.patch("/api/v1/workspace", json={"timezone": "Asia/Dubai"})
    case = answered(tenant, "resp-0002")
    for page in pages(client, case):
        assert "Tue 03 Mar 2026, 11:11 Asia/Dubai" in page and "+04" not in page


def test_a_respondent_is_named_by_email(client: FlaskClient, tenant: Tenant) -> None:
    ann = signed(tenant.workspace, {"id": "u-1", "email": "ann@example.com"})
    case = answered(tenant, "resp-0003", {"respondent": ann})
    case_page, response_page = pages(client, case)
    assert "NPS 2 from ann@example.com" in case_page
    assert "ann@example.com" in response_page
    assert "ann@example.com" in client.get("/app/cases/all").get_data(as_text=True)


def test_a_name_comes_first_and_the_email_beside_it(client: FlaskClient, tenant: Tenant) -> None:
    bo = {"id": "u-2", "email": "bo@example.com", "traits": {"name": "Bo Lind"}}
    who = signed(tenant.workspace, bo)  # a claimed name and address are not shown as facts
    case_page, response_page = pages(client, answered(tenant, "resp-0004", {"respondent": who}))
    assert "NPS 2 from Bo Lind" in case_page and "bo@example.com" in case_page
    assert "Bo Lind" in response_page


def test_an_anonymous_visitor_gets_a_short_id_never_the_raw_one(
    client: FlaskClient, tenant: Tenant
) -> None:
    case = answered(tenant, "resp-0005", {"anonymous_id": ANONYMOUS})
    label = db.session.scalars(select(Respondent)).one().label
    assert label.startswith("anonymous #") and len(label) == len("anonymous #123456")
    case_page, response_page = pages(client, case)
    listing = client.get("/app/cases/all").get_data(as_text=True)
    for page in (case_page, response_page, listing):
        assert label in page and ANONYMOUS not in page


def test_a_response_with_nobody_behind_it_is_anonymous(client: FlaskClient, tenant: Tenant) -> None:
    case_page, response_page = pages(client, answered(tenant, "resp-0006"))
    assert "NPS 2 from anonymous" in case_page
    assert "· anonymous" in response_page

"""A respondent who changes their score: a new fact on the case it opened."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from feedback import jobs
from feedback.cases.models import Case, CaseEvent
from feedback.email.invites import InviteInput, create_invites
from feedback.extensions import db
from feedback.metrics import loop
from feedback.webhooks import service as webhooks
from feedback.webhooks.models import WebhookDelivery
from tests.factories import Tenant, make_survey, make_tenant
from tests.hosted_forms import answer as send_form
from tests.mail import parts, path_of, score_links
from tests.resolver import Resolver


@pytest.fixture
def tenant(app: Flask, client: FlaskClient) -> Tenant:
    app.config["FEEDBACK_CASE_SETTLE_SECONDS"] = 0
    return make_tenant(client)


def answer(tenant: Tenant, survey_id: str, rid: str, score: int, **extra: Any) -> Any:
    body = {"survey": survey_id, "score": score, **extra}
    return tenant.client.put(tenant.public(f"/responses/{rid}"), json=body)


def the_case(tenant: Tenant) -> Case:
    db.session.expire_all()
    return db.session.scalars(select(Case).where(Case.workspace_id == tenant.workspace.id)).one()


def trail(case: Case) -> list[tuple[str, str, dict[str, Any]]]:
    rows = db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
    )
    return [(e.actor, e.action, e.detail) for e in rows]


def recovered(tenant: Tenant) -> tuple[int, int]:
    got = loop.loop_figures(tenant.workspace.id, None, None, 30)[None]["recovered"]
    return got["n"], got["recovered"]


def test_an_email_respondent_who_changes_2_to_9_resolves_their_case_as_recovered(
    tenant: Tenant, smtp: Any, resolver: Resolver
) -> None:
    resolver.add("hooks.example.com", ["93.184.215.14"])  # checked, never posted to here
    webhooks.create_webhook(
        tenant.workspace, {"url": "https://hooks.example.com/x", "events": ["case.updated"]}
    )
    survey = make_survey(tenant.workspace, "nps")
    create_invites(
        tenant.workspace,
        survey.public_id,
        [InviteInput(email="ann@example.com", external_id="u-1")],
    )
    jobs.send_due_invites()
    links = [path_of(link) for link in score_links(parts(smtp.inbox.messages[0])[0])]
    send_form(tenant.client, links[2])
    jobs.route_cases()
    assert (the_case(tenant).score, the_case(tenant).status) == (2, "open")

    send_form(tenant.client, links[9])  # the same mail, another score: a changed answer
    case = the_case(tenant)
    assert (case.score, case.status, case.resolution) == (9, "resolved", "recovered")
    assert case.resurvey_at is None  # they told us already: no "did we fix it?"
    assert trail(case)[-3:] == [
        ("respondent", "rescored", {"from": 2, "to": 9}),
        ("respondent", "status", {"from": "open", "to": "resolved"}),
        ("respondent", "resolution", {"from": None, "to": "recovered"}),
    ]
    [(payload,)] = db.session.execute(
        select(WebhookDelivery.payload).where(WebhookDelivery.event == "case.updated")
    ).all()
    assert payload["data"]["changes"] == {
        "score": [2, 9],
        "status": ["open", "resolved"],
        "resolution": [None, "recovered"],
    }
    assert (payload["data"]["actor"], payload["data"]["score"]) == ("respondent", 9)
    assert recovered(tenant) == (1, 1)


def test_with_the_setting_off_the_case_stays_open_and_its_trail_records_the_change(
    tenant: Tenant,
) -> None:
    off = {"case_settings": {"resolve_on_recovery": False}}
    assert tenant.patch("/api/v1/workspace", json=off).status_code == 200
    survey = make_survey(tenant.workspace, "nps")
    person = {"respondent": {"id": "u-2"}}
    answer(tenant, survey.public_id, "resp-0001", 2, **person)
    assert answer(tenant, survey.public_id, "resp-0001", 9, **person).status_code == 200
    case = the_case(tenant)
    assert (case.score, case.status, case.resolution) == (9, "open", None)
    assert trail(case)[-1] == ("respondent", "rescored", {"from": 2, "to": 9})
    # The respondent did recover, whatever the case's owner does next.
    assert recovered(tenant) == (1, 1)


def test_the_recovered_rate_counts_a_changed_score_out_of_the_low_band_only(
    tenant: Tenant,
) -> None:
    survey = make_survey(tenant.workspace, "nps")
    answer(tenant, survey.public_id, "resp-0101", 2)  # no respondent id: still counted
    answer(tenant, survey.public_id, "resp-0101", 7)
    answer(tenant, survey.public_id, "resp-0102", 1)
    answer(tenant, survey.public_id, "resp-0102", 5)  # still a detractor: answered, not recovered
    answer(tenant, survey.public_id, "resp-0103", 0)  # never changed: not in n
    assert recovered(tenant) == (2, 1)
    statuses = dict(db.session.execute(select(Case.score, Case.status)).all())
    assert statuses == {7: "resolved", 5: "open", 0: "open"}


def test_falling_back_into_the_low_band_opens_a_recovered_case_again(tenant: Tenant) -> None:
    survey = make_survey(tenant.workspace, "csat")
    for score in (1, 4, 2):
        answer(tenant, survey.public_id, "resp-0201", score)
    case = the_case(tenant)
    assert (case.score, case.status, case.resolution) == (2, "open", None)
    assert [a for _, a, _ in trail(case)].count("rescored") == 2


def test_follow_up_answers_leave_the_case_alone(tenant: Tenant) -> None:
    survey = make_survey(tenant.workspace, "nps")
    answer(tenant, survey.public_id, "resp-0301", 3)
    answer(tenant, survey.public_id, "resp-0301", 3, answers={"improve": "Search is slow"})
    case = the_case(tenant)
    assert case.score_changed_at is None and trail(case) == []


def test_a_score_changed_down_opens_the_case_it_now_calls_for(tenant: Tenant) -> None:
    survey = make_survey(tenant.workspace, "nps")
    answer(tenant, survey.public_id, "resp-0401", 9)
    answer(tenant, survey.public_id, "resp-0401", 4)
    case = the_case(tenant)
    assert (case.score, case.status) == (4, "open")


def test_the_setting_is_checked(tenant: Tenant) -> None:
    bad = tenant.patch("/api/v1/workspace", json={"case_settings": {"resolve_on_recovery": 1}})
    assert bad.status_code == 422
    assert bad.get_json()["error"]["field"] == "resolve_on_recovery"
    shown = tenant.get("/api/v1/workspace").get_json()["case_settings"]
    assert shown["resolve_on_recovery"] is True


def test_recovered_is_a_resolution_a_person_may_choose(tenant: Tenant) -> None:
    survey = make_survey(tenant.workspace, "nps")
    answer(tenant, survey.public_id, "resp-0501", 3)
    case_id = the_case(tenant).id
    done = tenant.patch(
        f"/api/v1/cases/{case_id}", json={"status": "resolved", "resolution": "recovered"}
    )
    assert done.status_code == 200 and done.get_json()["resolution"] == "recovered"

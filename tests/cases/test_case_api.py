"""Cases through the public and management APIs: opened from low scores, routed, worked."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from feedback import jobs
from feedback.accounts import workspaces
from feedback.cases import routing as case_rules
from feedback.cases import work as cases
from feedback.cases.models import Case, CaseEvent
from feedback.errors import Forbidden
from feedback.extensions import db
from feedback.themes.models import Theme
from feedback.webhooks import service as webhooks
from feedback.webhooks.models import WebhookDelivery
from tests.factories import OTHER_DIGITS, Tenant, make_survey, make_tenant
from tests.resolver import Resolver


@pytest.fixture
def tenant(client: FlaskClient) -> Tenant:
    return make_tenant(client)


def answer(tenant: Tenant, survey_id: str, rid: str, score: int, **extra: Any) -> Any:
    body = {"survey": survey_id, "score": score, **extra}
    return tenant.client.put(tenant.public(f"/responses/{rid}"), json=body)


def member(tenant: Tenant, email: str, role: str = "analyst") -> int:
    user = workspaces.add_user(tenant.workspace, email, "password-123", role)
    db.session.commit()
    return user.id


def case_count(tenant: Tenant) -> int:
    return db.session.scalar(select(func.count()).where(Case.workspace_id == tenant.workspace.id))


def test_a_detractor_opens_one_case_however_often_the_answer_arrives(tenant: Tenant) -> None:
    survey = make_survey(tenant.workspace, "nps")
    assert answer(tenant, survey.public_id, "resp-0001", 3).status_code == 201
    assert answer(tenant, survey.public_id, "resp-0001", 3).status_code == 200
    more = {"answers": {"improve": "The export is broken"}}
    assert answer(tenant, survey.public_id, "resp-0001", 3, **more).status_code == 200
    assert answer(tenant, survey.public_id, "resp-0002", 9).status_code == 201
    assert case_count(tenant) == 1
    listed = tenant.get("/api/v1/cases").get_json()["data"]
    assert [(c["score"], c["status"], c["response"]) for c in listed] == [(3, "open", "resp-0001")]
    assert listed[0]["due_at"] > listed[0]["opened_at"]


def test_the_threshold_and_the_switch_are_per_survey(tenant: Tenant) -> None:
    strict = make_survey(tenant.workspace, "csat", loop={"at_or_below": 3})
    off = make_survey(tenant.workspace, "ces", loop={"cases": False})
    answer(tenant, strict.public_id, "resp-0101", 3)
    answer(tenant, strict.public_id, "resp-0102", 4)
    answer(tenant, off.public_id, "resp-0103", 1)
    assert case_count(tenant) == 1
    bad = tenant.patch(f"/api/v1/surveys/{strict.public_id}", json={"loop": {"at_or_below": 5}})
    assert bad.status_code == 422
    assert bad.get_json()["error"]["field"] == "loop.at_or_below"


def test_a_case_goes_to_the_owner_of_the_theme_its_comment_complains_about(
    tenant: Tenant,
) -> None:
    owner = member(tenant, "pricing-lead@example.com")
    theme = db.session.scalar(
        select(Theme).where(Theme.workspace_id == tenant.workspace.id, Theme.slug == "pricing")
    )
    theme.owner = "pricing-lead@example.com"
    db.session.commit()
    survey = make_survey(tenant.workspace, "nps")
    comment = {"answers": {"improve": "Way too expensive, the price doubled this year"}}
    answer(tenant, survey.public_id, "resp-0201", 2, **comment)
    # Not routed before its comment is analysed: the theme decides the owner.
    assert jobs.route_cases() == 0
    jobs.analyse_comments()
    assert jobs.route_cases() == 1
    case = db.session.scalar(select(Case).where(Case.workspace_id == tenant.workspace.id))
    assert (case.owner_id, case.assigned_by) == (owner, "theme:pricing")
    trail = [e["action"] for e in tenant.get(f"/api/v1/cases/{case.id}").get_json()["events"]]
    assert trail == ["opened", "assigned"]


def test_rules_then_round_robin_among_the_case_handlers(app: Flask, tenant: Tenant) -> None:
    app.config["FEEDBACK_CASE_SETTLE_SECONDS"] = 0
    lead = member(tenant, "billing-lead@example.com")
    first, second = member(tenant, "a@example.com"), member(tenant, "b@example.com")
    for user_id in (first, second):
        case_rules.set_handler(tenant.workspace, user_id, True, cases.SYSTEM)
    rule = tenant.post(
        "/api/v1/case-rules",
        json={"name": "Billing team", "conditions": {"team": "Billing"}, "owner": lead},
    )
    assert rule.status_code == 201
    survey = make_survey(tenant.workspace, "csat")
    answer(tenant, survey.public_id, "resp-0301", 1, context={"team": "Billing"})
    for n in range(2, 5):
        answer(tenant, survey.public_id, f"resp-030{n}", 2, context={"team": "Onboarding"})
    jobs.route_cases()
    owners = db.session.execute(
        select(Case.owner_id, Case.assigned_by)
        .where(Case.workspace_id == tenant.workspace.id)
        .order_by(Case.id)
    ).all()
    rule_id = rule.get_json()["id"]
    assert owners == [
        (lead, f"rule:{rule_id}"),
        (first, "round_robin"),
        (second, "round_robin"),
        (first, "round_robin"),
    ]


def test_working_a_case_is_audited_and_checked(app: Flask, tenant: Tenant) -> None:
    app.config["FEEDBACK_CASE_SETTLE_SECONDS"] = 0
    survey = make_survey(tenant.workspace, "nps")
    answer(tenant, survey.public_id, "resp-0401", 0)
    jobs.route_cases()
    case_id = tenant.get("/api/v1/cases").get_json()["data"][0]["id"]
    refused = tenant.patch(f"/api/v1/cases/{case_id}", json={"status": "resolved"})
    assert refused.status_code == 422
    assert refused.get_json()["error"]["field"] == "resolution"
    assert tenant.patch(f"/api/v1/cases/{case_id}", json={"status": "done"}).status_code == 422
    note = tenant.post(f"/api/v1/cases/{case_id}/notes", json={"body": "Called them back."})
    assert note.status_code == 201
    done = tenant.patch(
        f"/api/v1/cases/{case_id}",
        json={"status": "resolved", "resolution": "fixed", "root_cause": "performance"},
    ).get_json()
    assert (done["status"], done["resolution"], done["root_cause"]) == (
        "resolved",
        "fixed",
        "performance",
    )
    assert done["first_action_at"] is not None and done["resolved_at"] is not None
    assert done["resurvey_at"] is None  # no respondent to ask again
    actions = [e["action"] for e in done["events"]]
    assert actions[-4:] == ["note", "root_cause", "resolution", "status"]
    assert [n["body"] for n in done["notes"]] == ["Called them back."]
    reply = tenant.post(f"/api/v1/cases/{case_id}/notes", json={"body": "Hi", "kind": "reply"})
    assert reply.get_json()["error"]["field"] == "body"  # nobody to mail


def test_analysts_work_their_own_cases_and_only_admins_reassign(tenant: Tenant) -> None:
    analyst, other = member(tenant, "an@example.com"), member(tenant, "ot@example.com")
    survey = make_survey(tenant.workspace, "nps")
    answer(tenant, survey.public_id, "resp-0501", 1)
    case_id = tenant.get("/api/v1/cases").get_json()["data"][0]["id"]
    as_analyst = cases.Actor("an@example.com", "analyst", analyst)
    with pytest.raises(Forbidden):
        cases.update_case(tenant.workspace, case_id, {"status": "in_progress"}, as_analyst)
    tenant.patch(f"/api/v1/cases/{case_id}", json={"owner": analyst})
    cases.update_case(tenant.workspace, case_id, {"status": "in_progress"}, as_analyst)
    with pytest.raises(Forbidden):
        cases.update_case(tenant.workspace, case_id, {"owner": other}, as_analyst)
    viewer = cases.Actor("v@example.com", "viewer", None)
    with pytest.raises(Forbidden):
        cases.add_note(tenant.workspace, case_id, "hello", viewer)
    stranger = tenant.patch(f"/api/v1/cases/{case_id}", json={"owner": 999999})
    assert stranger.get_json()["error"]["field"] == "owner"


def test_the_helpdesk_sets_a_status_once_per_event(tenant: Tenant) -> None:
    survey = make_survey(tenant.workspace, "nps")
    answer(tenant, survey.public_id, "resp-0601", 4)
    case_id = tenant.get("/api/v1/cases").get_json()["data"][0]["id"]
    update = {"event_id": "evt-1", "status": "waiting", "note": "Asked for logs"}
    first = tenant.post(f"/api/v1/helpdesk/cases/{case_id}", json=update)
    again = tenant.post(f"/api/v1/helpdesk/cases/{case_id}", json=update)
    assert (first.status_code, first.get_json()["applied"]) == (200, True)
    assert (again.get_json()["applied"], again.get_json()["status"]) == (False, "waiting")
    detail = tenant.get(f"/api/v1/cases/{case_id}").get_json()
    assert [n["body"] for n in detail["notes"]] == ["Asked for logs"]
    helpdesk_events = [e for e in detail["events"] if e["actor"] == "helpdesk"]
    assert [e["action"] for e in helpdesk_events] == ["status", "helpdesk"]


def test_case_events_go_out_to_the_webhooks(app: Flask, tenant: Tenant, resolver: Resolver) -> None:
    app.config["FEEDBACK_CASE_SETTLE_SECONDS"] = 0
    resolver.add("hooks.example.com", ["93.184.215.14"])  # checked, never posted to here
    webhooks.create_webhook(
        tenant.workspace,
        {"url": "https://hooks.example.com/x", "events": ["case.opened", "case.updated"]},
    )
    survey = make_survey(tenant.workspace, "nps")
    answer(tenant, survey.public_id, "resp-0701", 5, answers={"improve": "Slow"})
    jobs.route_cases()
    case_id = tenant.get("/api/v1/cases").get_json()["data"][0]["id"]
    tenant.patch(f"/api/v1/cases/{case_id}", json={"status": "in_progress"})
    sent = db.session.execute(
        select(WebhookDelivery.event, WebhookDelivery.payload).order_by(WebhookDelivery.id)
    ).all()
    assert [event for event, _ in sent] == ["case.opened", "case.updated"]
    opened, updated = (payload["data"] for _, payload in sent)
    assert opened["id"] == case_id and opened["comment"] == "Slow"
    assert updated["changes"] == {"status": ["open", "in_progress"]}


def test_manual_open_merge_and_bulk_assign(tenant: Tenant) -> None:
    admin = member(tenant, "admin@example.com", "admin")
    survey = make_survey(tenant.workspace, "nps")
    person = {"respondent": {"id": "cust-1", "email": "cust@example.com"}}
    answer(tenant, survey.public_id, "resp-0801", 2, **person)
    answer(tenant, survey.public_id, "resp-0802", 8, **person)
    second = tenant.get("/api/v1/responses").get_json()["data"]
    passive = next(r for r in second if r["client_id"] == "resp-0802")
    opened = tenant.post("/api/v1/cases", json={"response": passive["id"]})
    assert opened.status_code == 201 and opened.get_json()["source"] == "manual"
    assert tenant.post("/api/v1/cases", json={"response": passive["id"]}).status_code == 200
    ids = sorted(c["id"] for c in tenant.get("/api/v1/cases").get_json()["data"])
    merged = tenant.post(f"/api/v1/cases/{ids[0]}/merge", json={"case": ids[1]})
    assert merged.status_code == 200
    statuses = {c["id"]: c["status"] for c in tenant.get("/api/v1/cases").get_json()["data"]}
    assert statuses == {ids[0]: "open", ids[1]: "merged"}
    assigned = tenant.post("/api/v1/cases/assign", json={"cases": ids, "owner": admin})
    assert assigned.get_json() == {"reassigned": 1}  # the merged one stays as it was


def test_another_workspace_sees_none_of_it(client: FlaskClient, tenant: Tenant) -> None:
    other = make_tenant(client, "Other")
    survey = make_survey(tenant.workspace, "nps")
    answer(tenant, survey.public_id, "resp-0901", 1)
    case_id = tenant.get("/api/v1/cases").get_json()["data"][0]["id"]
    assert other.get("/api/v1/cases").get_json()["data"] == []
    assert other.get(f"/api/v1/cases/{case_id}").status_code == 404
    assert other.patch(f"/api/v1/cases/{case_id}", json={"status": "wont_fix"}).status_code == 404
    assert other.post(f"/api/v1/helpdesk/cases/{case_id}", json={"status": "x"}).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(CaseEvent)) == 0


def test_a_slack_webhook_gets_a_readable_escaped_case_message(app: Flask) -> None:
    from feedback.webhooks.delivery import body_for

    event = {
        "type": "case.opened",
        "data": {
            "id": 12,
            "kind": "nps",
            "score": 2,
            "status": "open",
            "owner": "sam@example.com",
            "comment": "<!channel> the app is slow",
            "link": "http://feedback.test/app/cases/12",
        },
    }
    text = json.loads(body_for("slack", event))["text"]
    assert text.splitlines() == [
        "Case #12: NPS score 2, open, owner sam@example.com",
        "&gt; &lt;!channel&gt; the app is slow",
        "http://feedback.test/app/cases/12",
    ]


def test_the_sla_is_a_workspace_setting(tenant: Tenant) -> None:
    bad = tenant.patch("/api/v1/workspace", json={"case_settings": {"day_end": 30}})
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "day_end"
    good = tenant.patch("/api/v1/workspace", json={"case_settings": {"sla_hours": 4}})
    assert good.get_json()["case_settings"]["sla_hours"] == 4
    assert good.get_json()["case_settings"]["workdays"] == [1, 2, 3, 4, 5]


@OTHER_DIGITS
def test_a_case_id_in_other_digits_names_no_case(tenant: Tenant, script: dict) -> None:
    survey = make_survey(tenant.workspace, "nps")
    answer(tenant, survey.public_id, "resp-1001", 1)
    case_id = str(tenant.get("/api/v1/cases").get_json()["data"][0]["id"])
    assert tenant.get(f"/api/v1/cases/{case_id}").status_code == 200
    for path in ("/api/v1/cases/{}", "/api/v1/helpdesk/cases/{}"):
        url = path.format(case_id.translate(script))
        answered = tenant.get(url) if "helpdesk" not in url else tenant.post(url, json={})
        assert answered.status_code == 404, url
        assert answered.get_json()["error"]["field"] == "case", url


@OTHER_DIGITS
def test_a_limit_or_owner_in_other_digits_is_refused_by_name(tenant: Tenant, script: dict) -> None:
    owner = member(tenant, "admin@example.com", "admin")
    for name, value in (("limit", "3"), ("owner", str(owner))):
        assert tenant.get(f"/api/v1/cases?{name}={value}").status_code == 200
        refused = tenant.get(f"/api/v1/cases?{name}={value.translate(script)}")
        assert refused.status_code == 422, name
        assert refused.get_json()["error"]["field"] == name


def test_a_limit_of_5000_digits_is_refused_not_parsed(tenant: Tenant) -> None:
    refused = tenant.get("/api/v1/cases?limit=" + "1" * 5000)
    assert refused.status_code == 422 and refused.get_json()["error"]["field"] == "limit"

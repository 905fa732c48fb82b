"""The case pages: my cases, all cases, a case, rules; roles, CSRF, escaping and scoping."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from feedback.accounts.models import Membership, Workspace
from feedback.cases import opening
from feedback.cases import routing as case_rules
from feedback.cases import work as cases
from feedback.cases.models import Case, CaseNote, CaseRule
from feedback.database import utcnow
from feedback.extensions import db
from feedback.surveys.models import Survey
from feedback.themes import analysis
from tests.factories import OTHER_DIGITS, Tenant, make_survey, make_tenant, signed
from tests.pages import PASSWORD, csrf, sign_in

ROLES = ("viewer", "analyst", "admin", "owner")
XSS = "<img src=x onerror=alert(1)>"


@dataclass
class Desk:
    """A workspace with a member of each role and three routed cases."""

    t: Tenant
    users: dict[str, int]
    cases: dict[str, int]  # "pricing", "support", "slow" -> case id
    survey: Survey


def _member(t: Tenant, email: str, role: str) -> int:
    from feedback.accounts import workspaces

    user = workspaces.add_user(t.workspace, email, PASSWORD, role)
    db.session.commit()
    return user.id


def _answer(t: Tenant, survey: Survey, rid: str, score: int, text: str, **extra: Any) -> None:
    body = {"survey": survey.public_id, "score": score, "answers": {"improve": text}, **extra}
    assert t.client.put(t.public(f"/responses/{rid}"), json=body).status_code == 201


def _case_of(t: Tenant, rid: str) -> int:
    from feedback.responses.models import Response

    return db.session.scalar(
        select(Case.id)
        .join(Response, Response.id == Case.response_id)
        .where(Case.workspace_id == t.workspace.id, Response.client_id == rid)
    )


def _owner(t: Tenant, case_id: int, user_id: int) -> None:
    cases.update_case(t.workspace, case_id, {"owner": user_id}, cases.SYSTEM)


@pytest.fixture
def desk(client: FlaskClient) -> Desk:
    t = make_tenant(client)
    users = {role: _member(t, f"{role}@acme.example", role) for role in ROLES}
    users["other"] = _member(t, "other@acme.example", "analyst")
    survey = make_survey(t.workspace, "nps")
    person = {"respondent": signed(t.workspace, {"id": "cust-1", "email": "cust@example.com"})}
    _answer(t, survey, "case-0001", 2, "The price is far too high.", **person)
    _answer(t, survey, "case-0002", 3, f"Support took days. {XSS}", context={"team": "Billing"})
    _answer(t, survey, "case-0003", 5, '=HYPERLINK("http://evil") search is slow', **person)
    analysis.analyse_pending()
    opening.route_new_cases()
    ids = {
        name: _case_of(t, f"case-000{i}")
        for i, name in enumerate(("pricing", "support", "slow"), 1)
    }
    _owner(t, ids["pricing"], users["analyst"])
    _owner(t, ids["support"], users["other"])
    return Desk(t, users, ids, survey)


def as_(client: FlaskClient, role: str) -> None:
    client.post("/app/logout")
    sign_in(client, f"{role}@acme.example")


def post(client: FlaskClient, url: str, data: dict[str, Any], page: str = "/app/cases") -> Any:
    return client.post(url, data={"csrf_token": csrf(client, page), **data})


def overdue(case_id: int) -> None:
    case = db.session.get(Case, case_id)
    case.due_at = utcnow() - timedelta(hours=3)
    db.session.commit()


@pytest.mark.parametrize("role", ROLES)
def test_case_pages_render_for_every_role(client: FlaskClient, desk: Desk, role: str) -> None:
    as_(client, role)
    case_id = desk.cases["pricing"]
    for url in ("/app/cases", "/app/cases/all", f"/app/cases/{case_id}", "/app/cases/rules"):
        assert client.get(url).status_code == 200, url
    page = client.get(f"/app/cases/{case_id}").get_data(as_text=True)
    assert "The price is far too high." in page or "far too high" in page
    admin = role in ("admin", "owner")
    works = admin or role == "analyst"  # the analyst owns this one
    assert ("Add note" in page) == works and ("Save status" in page) == works
    assert ("Reassign" in page) == admin
    assert ("Merge into this case" in page) == admin  # cust-1 has a second case
    rules = client.get("/app/cases/rules").get_data(as_text=True)
    assert ("Add rule" in rules) == admin and ("Save service level" in rules) == admin
    listing = client.get("/app/cases/all").get_data(as_text=True)
    assert ("Assign selected" in listing) == admin


def test_my_cases_shows_my_open_ones_overdue_first_and_flagged(
    client: FlaskClient, desk: Desk
) -> None:
    t = desk.t
    _owner(t, desk.cases["slow"], desk.users["analyst"])
    overdue(desk.cases["slow"])
    as_(client, "analyst")
    page = client.get("/app/cases").get_data(as_text=True)
    slow, pricing = f"#{desk.cases['slow']}<", f"#{desk.cases['pricing']}<"
    assert slow in page and pricing in page and f"#{desk.cases['support']}<" not in page
    assert page.index(slow) < page.index(pricing)
    assert '<tr class="flagged">' in page and "3 h overdue" in page
    assert "due in" in page
    assert 'class="count"' in page  # the menu counts my open cases


def test_empty_lists_say_what_to_do(client: FlaskClient) -> None:
    t = make_tenant(client)
    _member(t, "admin@acme.example", "admin")
    sign_in(client, "admin@acme.example")
    assert "No cases yet: cases open when a respondent gives a low score" in client.get(
        "/app/cases/all"
    ).get_data(as_text=True)
    assert "No open case is yours" in client.get("/app/cases").get_data(as_text=True)
    assert "No rules yet" in client.get("/app/cases/rules").get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=active", {"pricing", "support", "slow"}),
        ("status=closed", set()),
        ("owner=me", {"pricing"}),
        ("owner=none", {"slow"}),
        ("team=Billing", {"support"}),
        ("theme=pricing", {"pricing"}),
        ("overdue=1", {"support"}),
        ("survey=SURVEY", {"pricing", "support", "slow"}),
    ],
)
def test_filters_narrow_all_cases(
    client: FlaskClient, desk: Desk, query: str, expected: set[str]
) -> None:
    overdue(desk.cases["support"])
    as_(client, "analyst")
    query = query.replace("SURVEY", desk.survey.public_id)
    page = client.get(f"/app/cases/all?{query}").get_data(as_text=True)
    shown = {name for name, cid in desk.cases.items() if f">#{cid}</a>" in page}
    assert shown == expected


def test_the_owner_filter_takes_a_member_s_id(client: FlaskClient, desk: Desk) -> None:
    # The link a KPI's owner carries on the scorecard: the cases of that member, whoever reads.
    as_(client, "viewer")
    for owner, expected in (("other", {"support"}), ("analyst", {"pricing"}), ("admin", set())):
        page = client.get(f"/app/cases/all?owner={desk.users[owner]}").get_data(as_text=True)
        assert {name for name, cid in desk.cases.items() if f">#{cid}</a>" in page} == expected
        assert f'<option value="{desk.users[owner]}" selected>' in page


def test_a_bad_filter_is_named_not_a_crash(client: FlaskClient, desk: Desk) -> None:
    as_(client, "viewer")
    res = client.get("/app/cases/all?status=lost", follow_redirects=True)
    assert res.status_code == 200 and "Status is one of" in res.get_data(as_text=True)


def test_csv_export_follows_the_filter_and_defuses_formulas(
    client: FlaskClient, desk: Desk
) -> None:
    as_(client, "viewer")
    res = client.get(f"/app/cases.csv?survey={desk.survey.public_id}&owner=none&team=Billing")
    rows = list(csv.DictReader(io.StringIO(res.get_data(as_text=True))))
    assert res.mimetype == "text/csv" and rows == []
    rows = list(csv.DictReader(io.StringIO(client.get("/app/cases.csv").get_data(as_text=True))))
    assert {int(r["id"]) for r in rows} == set(desk.cases.values())
    slow = next(r for r in rows if int(r["id"]) == desk.cases["slow"])
    assert slow["comment"].startswith("'=HYPERLINK")
    assert slow["respondent"] == "cust-1" and slow["status"] == "open"
    only = client.get("/app/cases.csv?team=Billing").get_data(as_text=True)
    assert [int(r["id"]) for r in csv.DictReader(io.StringIO(only))] == [desk.cases["support"]]


def test_admin_assigns_cases_in_bulk(client: FlaskClient, desk: Desk) -> None:
    as_(client, "admin")
    chosen = [desk.cases["support"], desk.cases["slow"]]
    res = post(
        client,
        "/app/cases/assign",
        {"cases": chosen, "owner": desk.users["admin"], "next": "/app/cases/all?status=active"},
        "/app/cases/all",
    )
    assert res.status_code == 302 and res.headers["Location"].endswith(
        "/app/cases/all?status=active"
    )
    owners = {db.session.get(Case, cid).owner_id for cid in chosen}
    assert owners == {desk.users["admin"]}
    assert "2 cases reassigned." in client.get("/app/cases/all").get_data(as_text=True)


def test_an_analyst_cannot_assign_in_bulk(client: FlaskClient, desk: Desk) -> None:
    as_(client, "analyst")
    data = {"cases": [desk.cases["support"]], "owner": desk.users["analyst"]}
    assert post(client, "/app/cases/assign", data).status_code == 403
    assert db.session.get(Case, desk.cases["support"]).owner_id == desk.users["other"]


def test_an_analyst_works_their_own_case(client: FlaskClient, desk: Desk) -> None:
    as_(client, "analyst")
    url = f"/app/cases/{desk.cases['pricing']}"
    res = post(client, f"{url}/status", {"status": "in_progress"}, url)
    assert res.status_code == 302
    assert db.session.get(Case, desk.cases["pricing"]).status == "in_progress"
    assert (
        post(client, f"{url}/notes", {"note-body": "Called, will refund."}, url).status_code == 302
    )
    page = client.get(url).get_data(as_text=True)
    assert "Called, will refund." in page and "Status open → in progress" in page


def test_resolving_without_a_resolution_is_shown_by_the_field(
    client: FlaskClient, desk: Desk
) -> None:
    as_(client, "analyst")
    url = f"/app/cases/{desk.cases['pricing']}"
    res = post(client, f"{url}/status", {"status": "resolved"}, url)
    assert res.status_code == 422
    assert "Say how it was resolved" in res.get_data(as_text=True)
    done = {"status": "resolved", "resolution": "fixed", "root_cause": "pricing"}
    assert post(client, f"{url}/status", done, url).status_code == 302
    case = db.session.get(Case, desk.cases["pricing"])
    assert (case.status, case.resolution, case.root_cause.slug) == ("resolved", "fixed", "pricing")


def test_an_analyst_cannot_work_another_ones_case(client: FlaskClient, desk: Desk) -> None:
    as_(client, "analyst")
    url = f"/app/cases/{desk.cases['support']}"
    page = client.get(url).get_data(as_text=True)
    assert "Save status" not in page and "Reassign" not in page
    res = post(client, f"{url}/status", {"status": "wont_fix"}, url)
    assert res.status_code == 403 and "Analysts work the cases assigned to them" in res.get_data(
        as_text=True
    )
    assert db.session.get(Case, desk.cases["support"]).status == "open"
    res = post(client, f"{url}/owner", {"owner": desk.users["analyst"]}, url)
    assert res.status_code == 403
    assert db.session.get(Case, desk.cases["support"]).owner_id == desk.users["other"]


def test_admin_reassigns_and_merges(client: FlaskClient, desk: Desk) -> None:
    as_(client, "admin")
    url = f"/app/cases/{desk.cases['pricing']}"
    assert post(client, f"{url}/owner", {"owner": desk.users["admin"]}, url).status_code == 302
    assert db.session.get(Case, desk.cases["pricing"]).owner_id == desk.users["admin"]
    res = post(client, f"{url}/merge", {"other": desk.cases["slow"]}, url)
    assert res.status_code == 302
    assert db.session.get(Case, desk.cases["slow"]).status == "merged"
    bad = post(client, f"{url}/merge", {"other": desk.cases["support"]}, url)
    assert bad.status_code == 422 and "same respondent" in bad.get_data(as_text=True)


def test_a_reply_is_queued_or_explained(client: FlaskClient, desk: Desk) -> None:
    as_(client, "admin")
    url = f"/app/cases/{desk.cases['pricing']}"
    assert post(client, f"{url}/reply", {"reply-body": "Sorry: 20% off."}, url).status_code == 302
    note = db.session.scalar(select(CaseNote).where(CaseNote.kind == "reply"))
    assert (note.mail_to, note.mail_status) == ("cust@example.com", "pending")
    anon = f"/app/cases/{desk.cases['support']}"
    page = client.get(anon).get_data(as_text=True)
    assert "has no verified email address" in page
    res = post(client, f"{anon}/reply", {"reply-body": "Hello"}, anon)
    assert res.status_code == 422 and "write a note instead" in res.get_data(as_text=True)


def test_a_claimed_address_is_shown_as_a_claim_and_not_offered_for_replies(
    client: FlaskClient, desk: Desk
) -> None:
    claim = {"id": "cust-2", "email": "claimed@example.com"}
    _answer(desk.t, desk.survey, "case-0004", 1, "Unsigned", respondent=claim)
    case_id = _case_of(desk.t, "case-0004")
    as_(client, "admin")
    page = client.get(f"/app/cases/{case_id}").get_data(as_text=True)
    assert "claimed@example.com" in page and "not verified, never mailed" in page
    assert "has no verified email address" in page and "Send reply" not in page
    # Under the verified customer's own id, the claim is flagged, and the reply goes to the
    # verified address only.
    _answer(desk.t, desk.survey, "case-0005", 0, "Spoofed", respondent={"id": "cust-1"})
    spoofed = f"/app/cases/{_case_of(desk.t, 'case-0005')}"
    page = client.get(spoofed).get_data(as_text=True)
    assert "without a user hash, so it may not be theirs" in page
    assert "Mailed to cust@example.com (their verified address)" in page


def test_a_viewer_changes_nothing(client: FlaskClient, desk: Desk) -> None:
    as_(client, "viewer")
    url = f"/app/cases/{desk.cases['pricing']}"
    page = client.get(url).get_data(as_text=True)
    assert "Add note" not in page and "Send reply" not in page and "Save status" not in page
    posts = [
        (f"{url}/notes", {"note-body": "x"}),
        (f"{url}/reply", {"reply-body": "x"}),
        (f"{url}/status", {"status": "wont_fix"}),
        (f"{url}/owner", {"owner": desk.users["viewer"]}),
        (f"{url}/merge", {"other": desk.cases["slow"]}),
        ("/app/cases/assign", {"cases": [desk.cases["pricing"]], "owner": desk.users["viewer"]}),
        ("/app/cases/rules", {"name": "x", "theme": "pricing", "owner": desk.users["viewer"]}),
        ("/app/cases/sla", {"sla_hours": 1, "day_start": 9, "day_end": 17, "workdays": [1]}),
        ("/app/cases/handlers", {"handlers": [desk.users["viewer"]]}),
    ]
    for target, data in posts:
        assert post(client, target, data, url).status_code == 403, target
    assert db.session.get(Case, desk.cases["pricing"]).status == "open"
    assert db.session.scalar(select(CaseNote.id)) is None


def test_a_post_without_its_csrf_token_is_refused(client: FlaskClient, desk: Desk) -> None:
    as_(client, "admin")
    url = f"/app/cases/{desk.cases['pricing']}"
    assert client.post(f"{url}/notes", data={"note-body": "x"}).status_code == 400


def test_another_workspace_cases_are_not_found(client: FlaskClient, desk: Desk) -> None:
    other = make_tenant(client, "Other")
    _member(other, "bob@other.example", "owner")
    sign_in(client, "bob@other.example")
    url = f"/app/cases/{desk.cases['pricing']}"
    assert client.get(url).status_code == 404
    assert post(client, f"{url}/notes", {"note-body": "x"}, "/app/cases").status_code == 404
    assert post(client, f"{url}/status", {"status": "wont_fix"}).status_code == 404
    assert post(client, f"{url}/owner", {"owner": 1}).status_code in (404, 422)
    for page in ("/app/cases/all", "/app/cases.csv"):
        body = client.get(page).get_data(as_text=True)
        assert "far too high" not in body and "Support took days" not in body
    data = {"cases": [desk.cases["pricing"]], "owner": 1}
    post(client, "/app/cases/assign", data)
    assert db.session.get(Case, desk.cases["pricing"]).owner_id == desk.users["analyst"]


def test_html_in_a_comment_is_escaped(client: FlaskClient, desk: Desk) -> None:
    as_(client, "admin")
    for url in ("/app/cases/all", f"/app/cases/{desk.cases['support']}"):
        page = client.get(url).get_data(as_text=True)
        assert XSS not in page and "&lt;img src=x onerror=alert(1)&gt;" in page, url
    url = f"/app/cases/{desk.cases['support']}"
    post(client, f"{url}/notes", {"note-body": XSS}, url)
    page = client.get(url).get_data(as_text=True)
    assert XSS not in page


def test_the_response_page_opens_a_case_or_links_to_it(client: FlaskClient, desk: Desk) -> None:
    from feedback.responses.models import Response

    t = desk.t
    body = {"survey": desk.survey.public_id, "score": 9}
    assert t.client.put(t.public("/responses/case-0009"), json=body).status_code == 201
    rid = db.session.scalar(select(Response.id).where(Response.client_id == "case-0009"))
    as_(client, "viewer")
    page = client.get(f"/app/responses/{rid}").get_data(as_text=True)
    assert "Open a case" not in page
    as_(client, "analyst")
    url = f"/app/responses/{rid}"
    assert "Open a case" in client.get(url).get_data(as_text=True)
    res = post(client, f"{url}/case", {}, url)
    case_id = _case_of(t, "case-0009")
    assert res.status_code == 302 and res.headers["Location"].endswith(f"/app/cases/{case_id}")
    assert db.session.get(Case, case_id).owner_id == desk.users["analyst"]
    assert f"Case #{case_id}" in client.get(url).get_data(as_text=True)


def test_admin_manages_the_rules(client: FlaskClient, desk: Desk) -> None:
    as_(client, "admin")
    page = "/app/cases/rules"
    lead = desk.users["other"]
    res = post(
        client, page, {"name": "Pricing", "theme": "pricing", "owner": lead, "enabled": "y"}, page
    )
    assert res.status_code == 302, re.findall(r'role="alert">([^<]*)', res.get_data(as_text=True))
    res = post(client, page, {"name": "Nothing", "owner": lead}, page)
    assert res.status_code == 422 and "at least one condition" in res.get_data(as_text=True)
    res = post(
        client,
        page,
        {"name": "Enterprise", "segment_field": "size", "segment_value": "", "owner": lead},
        page,
    )
    assert res.status_code == 422
    data = {"name": "Billing", "team": "Billing, Payments", "kind": "nps", "owner": lead}
    data["enabled"] = "y"
    assert post(client, page, data, page).status_code == 302
    rules = db.session.scalars(select(CaseRule).order_by(CaseRule.position)).all()
    assert [r.name for r in rules] == ["Pricing", "Billing"]
    assert rules[1].conditions == {"kind": "nps", "team": ["Billing", "Payments"]}
    assert post(client, f"{page}/{rules[1].id}/up", {}, page).status_code == 302
    assert post(client, f"{page}/{rules[0].id}/toggle", {}, page).status_code == 302
    db.session.expire_all()
    rules = db.session.scalars(select(CaseRule).order_by(CaseRule.position)).all()
    assert [(r.name, r.enabled) for r in rules] == [("Billing", True), ("Pricing", False)]
    edit = client.get(f"{page}/{rules[0].id}").get_data(as_text=True)
    assert 'value="Billing, Payments"' in edit
    data = {"name": "Billing team", "team": "Billing", "owner": lead, "enabled": "y"}
    assert post(client, f"{page}/{rules[0].id}", data, page).status_code == 302
    assert post(client, f"{page}/{rules[1].id}/delete", {}, page).status_code == 302
    db.session.expire_all()
    left = db.session.scalars(select(CaseRule)).all()
    assert [(r.name, r.conditions) for r in left] == [("Billing team", {"team": "Billing"})]
    listing = client.get(page).get_data(as_text=True)
    assert "team is Billing" in listing


def test_admin_sets_handlers_and_the_service_level(client: FlaskClient, desk: Desk) -> None:
    as_(client, "admin")
    page = "/app/cases/rules"
    chosen = [desk.users["analyst"], desk.users["other"]]
    assert post(client, "/app/cases/handlers", {"handlers": chosen}, page).status_code == 302
    handlers = db.session.scalars(
        select(Membership.user_id).where(Membership.handles_cases.is_(True))
    ).all()
    assert sorted(handlers) == sorted(chosen)
    sla = {"sla_hours": 8, "day_start": 8, "day_end": 18, "workdays": [1, 2, 3, 4]}
    assert post(client, "/app/cases/sla", sla, page).status_code == 302
    ws = db.session.get(Workspace, desk.t.workspace.id)
    # An unticked box is off: a case whose respondent recovers stays open.
    assert ws.case_settings == {**sla, "resolve_on_recovery": False}
    assert (
        post(client, "/app/cases/sla", {**sla, "resolve_on_recovery": "y"}, page).status_code == 302
    )
    db.session.refresh(ws)
    assert ws.case_settings["resolve_on_recovery"] is True
    assert 'checked id="resolve_on_recovery"' in client.get(page).text
    bad = post(client, "/app/cases/sla", {**sla, "day_start": 18, "day_end": 9}, page)
    assert bad.status_code == 422 and "must end after it starts" in bad.get_data(as_text=True)


def test_the_survey_builder_sets_the_loop(app: Flask, client: FlaskClient, desk: Desk) -> None:
    as_(client, "admin")
    url = f"/app/surveys/{desk.survey.public_id}"
    page = client.get(url).get_data(as_text=True)
    assert "Open a case for low scores" in page and "Re-survey after" in page
    from tests.surveys.test_survey_views import csat_form

    token = csrf(client, url)
    form = csat_form(token, kind="nps", style="numbers", label_low="", label_high="")
    form = {k: v for k, v in form.items() if not k.startswith("followups")}
    res = client.post(url, data={**form, "cases": "no", "at_or_below": "4", "resurvey_days": "30"})
    assert res.status_code == 302
    db.session.expire_all()
    assert db.session.get(Survey, desk.survey.id).loop == {
        "cases": False,
        "at_or_below": 4,
        "resurvey_days": 30,
    }
    res = client.post(url, data={**form, "cases": "yes", "at_or_below": "10"})
    assert res.status_code == 422 and "Must be" in res.get_data(as_text=True)


def test_an_owner_given_before_routing_is_kept(client: FlaskClient) -> None:
    t = make_tenant(client)
    admin, other = (
        _member(t, "admin@acme.example", "admin"),
        _member(t, "o@acme.example", "analyst"),
    )
    case_rules.set_handler(t.workspace, other, True, cases.SYSTEM)
    survey = make_survey(t.workspace, "nps")
    _answer(t, survey, "early-0001", 1, "Nothing works.")
    case_id = _case_of(t, "early-0001")
    sign_in(client, "admin@acme.example")
    url = f"/app/cases/{case_id}"
    assert post(client, f"{url}/owner", {"owner": admin}, url).status_code == 302
    analysis.analyse_pending()
    assert opening.route_new_cases() == 1
    db.session.expire_all()
    case = db.session.get(Case, case_id)
    assert (case.owner_id, case.assigned_by) == (admin, "manual")
    assert case.routed_at is not None


def test_times_are_shown_on_the_workspace_clock(client: FlaskClient, desk: Desk) -> None:
    ws = db.session.get(Workspace, desk.t.workspace.id)
    ws.timezone = "Asia/Tokyo"
    case = db.session.get(Case, desk.cases["pricing"])
    case.due_at = datetime(2026, 1, 5, 9, 0)  # UTC
    db.session.commit()
    as_(client, "analyst")
    page = client.get(f"/app/cases/{case.id}").get_data(as_text=True)
    assert "Mon 05 Jan 2026, 18:00" in page and " overdue" in page


@OTHER_DIGITS
def test_ids_in_other_digits_name_nothing(client: FlaskClient, desk: Desk, script: dict) -> None:
    as_(client, "admin")
    case_id = str(desk.cases["pricing"])
    url = f"/app/cases/{case_id}"
    assert client.get(f"/app/cases/{case_id.translate(script)}").status_code == 404
    owner = str(desk.users["admin"]).translate(script)
    assert post(client, f"{url}/owner", {"owner": owner}, url).status_code == 422
    assert db.session.get(Case, desk.cases["pricing"]).owner_id == desk.users["analyst"]
    listed = client.get(f"/app/cases/all?owner={owner}", follow_redirects=True)
    assert "Owner is a user id" in listed.get_data(as_text=True)

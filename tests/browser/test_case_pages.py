"""Cases in a real browser: a detractor's answer becomes a case its owner works.

The rule is set up on the rules page, the answer given in the real widget, the background
jobs (comment analysis, case routing) run as the worker would, and every case page is
saved as a screenshot.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from feedback.accounts import workspaces
from feedback.accounts.models import Membership, User, Workspace
from feedback.cases import opening
from feedback.cases import work as cases
from feedback.cases.models import Case
from feedback.database import utcnow
from feedback.extensions import db
from feedback.responses import effects
from feedback.responses.models import Response
from feedback.responses.recording import record_response
from feedback.surveys.models import Survey
from feedback.themes import analysis
from tests.browser.conftest import Live, Watched
from tests.browser.helpers import CARD, eventually, sign_in

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
IDENTIFY = (
    "feedback('identify', {id: 'cust-77', email: 'dana@globex.example',"
    " traits: {plan: 'Pro', company: 'Globex'}});"
)


def people(live: Live, workspace_id: int, **roles: str) -> dict[str, int]:
    """Members by email -> role; their user ids."""

    def add() -> dict[str, int]:
        ws = db.session.get(Workspace, workspace_id)
        for email, role in roles.items():
            workspaces.add_user(ws, email, PASSWORD, role)
        db.session.commit()
        rows = db.session.execute(
            select(User.email, User.id)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.workspace_id == workspace_id)
        )
        return dict(rows.all())

    return live.query(add)


def run_jobs(live: Live) -> None:
    """What the worker does every few seconds: analyse new comments, then route new cases."""

    def work() -> None:
        analysis.analyse_pending()
        opening.route_new_cases()

    live.query(work)


def opened(live: Live, workspace_id: int, comment: str, score: int, owner: int | None) -> int:
    """A routed case from a stored response (the quick way, when the answer is not the point)."""

    def make() -> int:
        ws = db.session.get(Workspace, workspace_id)
        survey = db.session.scalar(select(Survey).where(Survey.workspace_id == workspace_id))
        rid = f"case-{workspace_id}-{abs(hash(comment)) % 10**8}"
        payload = {"survey": survey.public_id, "score": score, "answers": {"improve": comment}}
        record_response(ws, rid, payload)
        effects.apply_pending()
        analysis.analyse_pending()
        opening.route_new_cases()
        case_id = db.session.scalar(
            select(Case.id)
            .join(Response, Response.id == Case.response_id)
            .where(Response.client_id == rid)
        )
        if owner is not None:
            cases.update_case(ws, case_id, {"owner": owner}, cases.SYSTEM)
        return case_id

    return live.query(make)


def test_a_detractor_answer_opens_a_case_for_the_pricing_owner(
    live: Live, tenant: Any, host_page: Any, watched: Watched, shot: Any, monkeypatch: Any
) -> None:
    monkeypatch.setitem(live.app.config, "FEEDBACK_CASE_SETTLE_SECONDS", 1)
    t = tenant({"nps": {"kind": "nps", "name": "Product NPS"}})
    users = people(live, t.id, **{"ada@loop.example": "admin", "pat@loop.example": "analyst"})
    page = watched.page

    # The admin sends pricing complaints to Pat.
    sign_in(page, live, "ada@loop.example")
    page.click("nav >> text=Cases")
    expect(page.locator(".empty")).to_contain_text("No open case is yours")
    page.click("nav.tabs >> text=Rules and SLA")
    page.fill("input[name=name]", "Pricing complaints")
    page.select_option("select[name=theme]", "pricing")
    page.select_option("select[name=owner]", label="pat (pat@loop.example)")
    page.click("button:has-text('Add rule')")
    expect(page.locator(".flash")).to_contain_text("Rule “Pricing complaints” added")
    expect(page.locator("table.rules")).to_contain_text("comment complains about Pricing")
    shot(page, "rules", full_page=True)
    page.goto(f"{live.origin}/app/surveys/{t.surveys['nps']}")
    expect(page.locator("select[name=cases]")).to_have_value("yes")
    page.locator("input[name=at_or_below]").scroll_into_view_if_needed()
    shot(page, "survey-loop")

    # A customer answers 2 in the real widget and says why.
    customer = page.context.new_page()
    customer.goto(host_page(t.key, script=IDENTIFY))
    expect(customer.locator(CARD)).to_be_visible()
    customer.locator("feedback-widget [data-score='2']").click()
    customer.locator("feedback-widget textarea").fill("Way too expensive: the price doubled.")
    customer.get_by_role("button", name="Send").click()
    expect(customer.locator("feedback-widget .live")).to_have_text("Thank you for your feedback!")
    customer.close()
    eventually(lambda: [r for r in live.responses(t.id) if r["answers"]])

    run_jobs(live)
    case_id, owner, by = live.query(
        lambda: db.session.execute(
            select(Case.id, Case.owner_id, Case.assigned_by).where(Case.workspace_id == t.id)
        ).one()
    )
    assert owner == users["pat@loop.example"] and by.startswith("rule:")

    # Pat finds it in "my cases", with the comment, and works it.
    page.click("button:has-text('Sign out')")
    sign_in(page, live, "pat@loop.example")
    expect(page.locator("nav .count")).to_have_text("1")
    page.click("nav >> text=Cases")
    row = page.locator("table.cases tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Way too expensive")
    expect(row).to_contain_text("due in")
    shot(page, "my-cases", full_page=True)

    page.click(f"text=#{case_id}")
    expect(page.locator("h1")).to_contain_text(f"Case #{case_id}")
    expect(page.locator("mark.negative").first).to_be_visible()
    expect(page.locator(".timeline")).to_contain_text("Assigned to pat@loop.example (by a rule)")
    expect(page.locator(".case-side")).to_contain_text("Pro")
    page.fill("textarea[name=note-body]", "Offer the annual discount.")
    page.click("button:has-text('Add note')")
    expect(page.locator(".flash")).to_contain_text("Note added.")
    page.select_option("select[name=status]", "in_progress")
    page.click("button:has-text('Save status')")
    expect(page.locator("h1 .badge")).to_have_text("In progress")
    expect(page.locator(".timeline")).to_contain_text("Offer the annual discount.")
    assert page.locator("select[name=owner]").count() == 0  # an analyst does not reassign
    shot(page, "case", full_page=True)

    page.click("text=Open the response")
    expect(page.locator(".heading a.button")).to_have_text(f"Case #{case_id}")
    shot(page, "response")

    page.click("header nav >> text=Cases")
    page.click("nav.tabs >> text=All cases")
    expect(page.locator("table.cases")).to_contain_text("Way too expensive")
    shot(page, "all-cases", full_page=True)

    # The admin takes it over with the bulk assign.
    page.click("button:has-text('Sign out')")
    sign_in(page, live, "ada@loop.example")
    page.goto(f"{live.origin}/app/cases/all?status=active")
    page.check("#select-all")
    expect(page.locator(f"input[name=cases][value='{case_id}']")).to_be_checked()
    page.select_option("form#bulk select[name=owner]", label="ada (ada@loop.example)")
    shot(page, "all-cases-admin", full_page=True)
    page.click("button:has-text('Assign selected')")
    expect(page.locator(".flash")).to_contain_text("1 case reassigned.")
    expect(page.locator("table.cases")).to_contain_text("ada@loop.example")
    assert not watched.errors and not watched.dialogs


def test_an_overdue_case_is_flagged_on_my_cases(
    live: Live, tenant: Any, watched: Watched, shot: Any
) -> None:
    t = tenant({"nps": {"kind": "nps"}})
    users = people(live, t.id, **{"sol@late.example": "analyst"})
    sam = users["sol@late.example"]
    late = opened(live, t.id, "Search is painfully slow.", 3, sam)
    fresh = opened(live, t.id, "Exports keep failing.", 4, sam)

    def overdue() -> None:
        db.session.get(Case, late).due_at = utcnow() - timedelta(hours=5)
        db.session.commit()

    live.query(overdue)
    page = watched.page
    sign_in(page, live, "sol@late.example")
    page.goto(f"{live.origin}/app/cases")
    rows = page.locator("table.cases tbody tr")
    expect(rows).to_have_count(2)
    first = rows.nth(0)
    expect(first).to_have_class("flagged")
    expect(first).to_contain_text(f"#{late}")
    expect(first.locator(".badge.flag")).to_have_text("5 h overdue")
    expect(rows.nth(1)).to_contain_text(f"#{fresh}")
    expect(rows.nth(1)).not_to_have_class("flagged")
    shot(page, "overdue", full_page=True)
    page.click(f"text=#{late}")
    expect(page.locator("h1 .badge.flag")).to_have_text("5 h overdue")


def test_an_analyst_cannot_reassign(live: Live, tenant: Any, watched: Watched, shot: Any) -> None:
    t = tenant({"nps": {"kind": "nps"}})
    users = people(live, t.id, **{"sam@roles.example": "analyst", "kim@roles.example": "analyst"})
    sam, kim = users["sam@roles.example"], users["kim@roles.example"]
    mine = opened(live, t.id, "Billing is confusing.", 2, sam)
    theirs = opened(live, t.id, "The app crashed twice.", 1, kim)
    page = watched.page
    sign_in(page, live, "sam@roles.example")
    page.goto(f"{live.origin}/app/cases/all")
    assert page.locator("form#bulk").count() == 0 and page.locator("input[name=cases]").count() == 0
    page.goto(f"{live.origin}/app/cases/{mine}")
    assert page.locator("form.reassign").count() == 0
    assert page.get_by_role("button", name="Reassign").count() == 0

    # A forged POST, with a valid CSRF token from the page, is refused all the same.
    forged = page.evaluate(
        """async ([url, owner]) => {
            const token = document.querySelector('input[name$=csrf_token]').value;
            const body = new URLSearchParams({csrf_token: token, owner: String(owner)});
            const res = await fetch(url, {method: 'POST', body});
            return res.status;
        }""",
        [f"/app/cases/{theirs}/owner", sam],
    )
    assert forged == 403
    bulk = page.evaluate(
        """async ([cases, owner]) => {
            const token = document.querySelector('input[name$=csrf_token]').value;
            const body = new URLSearchParams({csrf_token: token, cases: cases, owner: owner});
            return (await fetch('/app/cases/assign', {method: 'POST', body})).status;
        }""",
        [str(theirs), str(sam)],
    )
    assert bulk == 403
    page.goto(f"{live.origin}/app/cases/{theirs}")
    expect(page.locator(".case-main")).to_contain_text("Only kim@roles.example and admins")
    assert page.locator("button:has-text('Save status')").count() == 0
    shot(page, "analyst-other-case", full_page=True)
    owner = live.query(lambda: db.session.get(Case, theirs).owner_id)
    assert owner == kim


def test_another_workspace_cases_are_never_visible(
    live: Live, tenant: Any, watched: Watched
) -> None:
    a = tenant({"nps": {"kind": "nps"}})
    b = tenant({"nps": {"kind": "nps"}})
    people(live, b.id, **{"bob@other.example": "owner"})
    secret = opened(live, a.id, "Secret complaint of workspace A.", 1, None)
    page = watched.page
    sign_in(page, live, "bob@other.example")
    for url in ("/app/cases", "/app/cases/all?status=active", "/app/cases/all?owner=none"):
        page.goto(f"{live.origin}{url}")
        assert "Secret complaint" not in page.content()
    res = page.goto(f"{live.origin}/app/cases/{secret}")
    assert res.status == 404
    csv = page.evaluate("async () => (await fetch('/app/cases.csv')).text()")
    assert "Secret complaint" not in csv

"""The dashboard in a real browser: the support lead's agents page, forged forms, tenants apart."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from feedback.accounts import workspaces
from feedback.database import utcnow
from feedback.demo.seed import DEMO_EMAIL as DEMO_LOGIN
from feedback.demo.seed import DEMO_PASSWORD
from feedback.extensions import db
from feedback.responses import effects
from feedback.responses.models import Response
from feedback.responses.recording import record_response
from tests.browser.conftest import Live, Watched
from tests.browser.helpers import sign_in

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
# Three agents of one team: Sam's customers are clearly less happy than the rest of the team.
AGENTS = {
    "Dana": [5] * 34 + [4] * 4 + [2] * 2,
    "Lee": [5] * 26 + [4] * 10 + [3] * 2 + [1] * 2,
    "Sam": [5] * 8 + [4] * 6 + [3] * 6 + [2] * 10 + [1] * 10,
}


def seed_support(live: Live, tenant: Any, users: dict[str, str]) -> Any:
    t = tenant({"csat": {"kind": "csat"}})

    def fill() -> None:
        ws = db.session.get(workspaces.Workspace, t.id)
        for email, role in users.items():
            workspaces.add_user(ws, email, PASSWORD, role)
        db.session.commit()
        for agent, scores in AGENTS.items():
            for i, score in enumerate(scores):
                answers = {"went_wrong": f"{agent} did not solve it"} if score <= 3 else {}
                payload = {
                    "survey": t.surveys["csat"],
                    "score": score,
                    "answers": answers,
                    "context": {"agent": agent, "team": "Billing"},
                }
                client_id = f"sup-{t.id}-{agent}-{i:03d}"
                record_response(ws, client_id, payload)
                # Spread over the last eight weeks, so each agent has a trend to draw.
                db.session.execute(
                    update(Response)
                    .where(Response.workspace_id == t.id, Response.client_id == client_id)
                    .values(submitted_at=utcnow() - timedelta(days=7 * (i % 8), hours=1))
                )
        db.session.commit()
        effects.apply_pending()

    live.query(fill)
    return t


def test_the_agents_page_ranks_agents_and_flags_the_low_one(
    live: Live, tenant: Any, watched: Watched, shot: Any
) -> None:
    seed_support(live, tenant, {"lead@support.example": "viewer"})
    page = watched.page
    sign_in(page, live, "lead@support.example")
    page.goto(f"{live.origin}/app/agents")
    rows = page.locator("table").first.locator("tbody tr")
    assert [rows.nth(i).locator("td").first.inner_text() for i in range(3)] == [
        "Dana",
        "Lee",
        "Sam",
    ]
    assert page.locator("tr.flagged td").first.inner_text() == "Sam"
    assert "below team" in page.locator("tr.flagged").inner_text()
    assert page.locator("tr.flagged svg.spark path").count() == 1  # the weekly trend
    shot(page, "agents", full_page=True)
    # From the flag to the comments behind it.
    page.locator("tr.flagged a", has_text="Low scores").click()
    quotes = page.locator(".verbatim .quote").all_inner_texts()
    assert quotes and all(q == "Sam did not solve it" for q in quotes)
    shot(page, "low-scores", full_page=True)
    assert not watched.errors


def test_a_form_posted_without_its_csrf_token_is_refused(
    live: Live, tenant: Any, watched: Watched, shot: Any
) -> None:
    t = seed_support(live, tenant, {"ann@support.example": "analyst"})
    page = watched.page
    sign_in(page, live, "ann@support.example")
    rid = live.query(
        lambda: db.session.scalar(
            db.select(Response.id).where(
                Response.workspace_id == t.id, Response.comment.is_not(None)
            )
        )
    )
    page.goto(f"{live.origin}/app/responses/{rid}")
    # A forged form: the real one, less its token.
    page.evaluate(
        "document.querySelectorAll('form input[name=csrf_token]').forEach(e => e.remove())"
    )
    page.select_option("select[name=theme]", "pricing")
    page.select_option("select[name=sentiment]", "negative")
    page.click("button:has-text('Save tag')")
    assert "did not come from this dashboard" in page.locator("main").inner_text()
    shot(page, "refused")
    page.goto(f"{live.origin}/app/responses/{rid}")
    assert page.locator("tr", has_text="manual by").count() == 0  # nothing was tagged


def test_another_workspace_s_data_is_never_visible(
    live: Live, tenant: Any, watched: Watched, shot: Any
) -> None:
    theirs = seed_support(live, tenant, {"eve@other.example": "admin"})
    seed_support(live, tenant, {"ann@mine.example": "admin"})
    their_response = live.query(
        lambda: db.session.scalar(
            db.select(Response.id).where(
                Response.workspace_id == theirs.id, Response.comment.is_not(None)
            )
        )
    )
    page = watched.page
    sign_in(page, live, "ann@mine.example")
    page.goto(f"{live.origin}/app/verbatims?period=last_90_days&q=Sam")
    own = page.locator(".verbatim .quote").count()
    assert own == len([s for s in AGENTS["Sam"] if s <= 3])  # mine only, not twice as many
    answer = page.goto(f"{live.origin}/app/responses/{their_response}")
    assert answer is not None and answer.status == 404
    shot(page, "their-response")
    assert page.locator(".quote", has_text="did not solve it").count() == 0


def test_the_demo_agents_are_ranked_and_the_weak_one_flagged(
    demo_live: Live, context: Any, shot: Any
) -> None:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(e.message))
    sign_in(page, demo_live, DEMO_LOGIN, DEMO_PASSWORD)
    page.goto(f"{demo_live.origin}/app/agents")
    names = page.locator("table").first.locator("tbody tr td:first-child").all_inner_texts()
    assert len(names) == 8 and names[-1] == "Emil Novak"  # the demo's weak agent, ranked last
    assert page.locator("tr.flagged td:first-child").all_inner_texts() == ["Emil Novak"]
    shot(page, "demo-agents", full_page=True)
    assert not errors

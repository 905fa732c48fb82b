"""Closing the loop in Chromium: reply from the case, the answer by link, the re-survey, the KPI."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from feedback import jobs
from feedback.accounts import workspaces
from feedback.accounts.models import Workspace
from feedback.cases import routing as case_rules
from feedback.cases import work as cases
from feedback.cases.models import Case, CaseNote
from feedback.database import utcnow
from feedback.extensions import db
from feedback.responses.recording import record_response
from tests.browser.conftest import Live, Watched
from tests.browser.helpers import sign_in
from tests.factories import signed
from tests.mail import SmtpServer, parts, score_links

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
COMMENT = "The CSV export has been broken for a week <b>again</b>."


@pytest.fixture
def smtp_live(live: Live) -> Iterator[SmtpServer]:
    server = SmtpServer()
    before = dict(live.app.config)
    live.app.config.update(server.config(), FEEDBACK_CASE_SETTLE_SECONDS=0)
    yield server
    keys = [*server.config(), "FEEDBACK_CASE_SETTLE_SECONDS"]
    live.app.config.update({k: before[k] for k in keys})
    server.stop()


def _detractor_case(live: Live, tenant: Any, lead: str, email: str) -> tuple[int, int]:
    t = tenant({"nps": {"kind": "nps"}}, name="Acme Analytics")

    def fill() -> tuple[int, int]:
        ws = db.session.get(Workspace, t.id)
        user = workspaces.add_user(ws, lead, PASSWORD, "admin")
        db.session.commit()
        case_rules.set_handler(ws, user.id, True, cases.SYSTEM)
        payload = {
            "survey": t.surveys["nps"],
            "score": 2,
            "answers": {"improve": COMMENT},
            # Identified with a user hash, as the host's server signs it: a verified address.
            "respondent": signed(ws, {"id": f"cust-{t.id}", "email": email}),
            "context": {"team": "Data"},
        }
        record_response(ws, f"loop-case-{t.id:06d}", payload)
        jobs.apply_response_effects()
        jobs.route_cases()
        case_id = db.session.scalar(select(Case.id).where(Case.workspace_id == ws.id))
        return ws.id, case_id

    return live.query(fill)


def _recovered_card(page: Any) -> str:
    entry = page.locator("section.kpi", has_text="Recovered rate")
    return entry.inner_text()


def test_reply_answer_resolve_and_resurvey_move_the_recovered_rate(
    live: Live, tenant: Any, smtp_live: SmtpServer, watched: Watched, context: Any, shot: Any
) -> None:
    tag = uuid.uuid4().hex[:8]
    lead, email = f"lead-{tag}@acme.example", f"ann-{tag}@example.com"
    ws_id, case_id = _detractor_case(live, tenant, lead, email)
    page = watched.page
    sign_in(page, live, lead, PASSWORD)
    # Before: one case, nobody has answered again, so no recovered rate yet.
    assert "n = 0 cases" in _recovered_card(page)

    # The owner replies from the case page.
    page.goto(f"{live.origin}/app/cases/{case_id}")
    assert page.get_by_text("The CSV export has been broken").is_visible()
    shot(page, "case", full_page=True)
    page.get_by_label("Reply by email").fill("Sorry, Ann. Which file were you exporting?")
    page.get_by_role("button", name="Send reply").click()
    page.wait_for_load_state()
    assert page.locator(".entry.reply").count() == 1

    # The mail job sends it to the loopback SMTP server.
    assert live.query(jobs.send_case_replies) == 1
    [mail] = smtp_live.inbox.to(email)
    assert mail["From"].startswith("Acme Analytics")
    text, html = parts(mail)
    assert "Which file were you exporting?" in text and "> " + COMMENT in text
    assert "&lt;b&gt;again&lt;/b&gt;" in html
    link = re.search(r"Answer us: (\S+)", text).group(1)
    mail_view = context.new_page()
    mail_view.set_viewport_size({"width": 640, "height": 720})
    mail_view.set_content(html)
    shot(mail_view, "reply-mail", full_page=True)
    mail_view.close()

    # The respondent follows the link and answers (the page works without script).
    respondent = context.new_page()
    respondent.goto(link.replace("http://feedback.test", live.origin))
    assert respondent.get_by_text("Which file were you exporting?").is_visible()
    shot(respondent, "answer-page", full_page=True)
    respondent.get_by_label("Your answer").fill("The monthly <i>revenue</i> CSV.")
    respondent.get_by_role("button", name="Send").click()
    respondent.wait_for_url("**sent=1")
    assert respondent.get_by_role("heading", name="Thank you!").is_visible()
    shot(respondent, "answer-thanks", full_page=True)

    # The answer is in the case, which is back with its owner.
    page.reload()
    assert page.locator(".entry.answer").get_by_text("The monthly <i>revenue</i> CSV.").is_visible()
    assert "Open" in page.locator("h1 .badge").inner_text()
    shot(page, "case-answered", full_page=True)

    # Resolved from the page: the "did we fix it?" survey is planned.
    page.get_by_label("Status").select_option("resolved")
    page.get_by_label("Resolution").select_option("fixed")
    page.get_by_role("button", name="Save status").click()
    page.wait_for_load_state()
    assert "Resolved" in page.locator("h1 .badge").inner_text()
    shot(page, "case-resolved", full_page=True)

    # The wait is over: the re-survey goes out, inside the recontact wait.
    def wait_over() -> None:
        db.session.execute(
            update(Case).where(Case.id == case_id).values(resurvey_at=utcnow() - timedelta(1))
        )
        db.session.commit()

    live.query(wait_over)
    assert live.query(jobs.send_resurveys) == 1
    # Other tests of this live app may leave invites due; the re-survey is among those sent.
    mailed = len(smtp_live.inbox.to(email))
    assert live.query(jobs.send_due_invites) >= 1
    assert len(smtp_live.inbox.to(email)) == mailed + 1
    resurvey = smtp_live.inbox.to(email)[-1]
    promoter = score_links(parts(resurvey)[0])[10]
    respondent.goto(promoter.replace("http://feedback.test", live.origin))
    shot(respondent, "resurvey", full_page=True)
    respondent.get_by_role("button", name="Send").click()
    # The score's question was on the score's page: Send goes straight to the thanks.
    respondent.wait_for_url("**step=2")

    # The promoter answer moves the recovered rate on the scorecard.
    page.goto(f"{live.origin}/app/")
    card = _recovered_card(page)
    assert "100%" in card and re.search(r"n = 1 case\b", card), card
    page.locator("#loop").scroll_into_view_if_needed()
    shot(page, "scorecard", full_page=True)
    sent = live.query(
        lambda: db.session.scalar(select(CaseNote.mail_status).where(CaseNote.case_id == case_id))
    )
    assert sent == "sent"
    assert watched.errors == []

"""The hosted page in Chromium: from a received email's score link to one stored response, and
the scanners that open every link to none."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from playwright.sync_api import expect
from sqlalchemy import func, select

from feedback.accounts.workspaces import create_workspace
from feedback.database import utcnow
from feedback.email import invites as invite_service
from feedback.email.invites import InviteInput, create_invites
from feedback.email.models import EmailInvite
from feedback.email.score_clicks import count_clicks
from feedback.extensions import db, writing
from feedback.jobs import send_due_invites
from feedback.surveys.service import create_survey
from tests.browser.conftest import ARTIFACTS, Live
from tests.browser.helpers import eventually
from tests.mail import SmtpServer, parts, score_links

pytestmark = pytest.mark.browser

BRANDING = {"accent": "#0f766e", "product_name": "Acme Analytics"}


@pytest.fixture
def smtp_live(live: Live) -> Iterator[SmtpServer]:
    server = SmtpServer()
    before = dict(live.app.config)
    live.app.config.update(server.config())
    yield server
    live.app.config.update({k: before[k] for k in server.config()})
    server.stop()


def _setup(live: Live, survey_spec: dict[str, Any]) -> tuple[int, str, int]:
    def build() -> tuple[int, str, int]:
        with writing():
            ws = create_workspace("Acme", f"ws-{uuid.uuid4().hex[:16]}")
            survey = create_survey(ws, survey_spec)
            db.session.commit()
        [invite] = create_invites(
            ws,
            survey.public_id,
            [InviteInput(email="ann@example.com", name="Ann", context={"agent": "Dana"})],
        )
        return ws.id, survey.public_id, invite.id

    return live.query(build)


def _mail(live: Live, smtp_live: SmtpServer, spec: dict[str, Any]) -> tuple[int, list[str]]:
    """Send one invite of a new survey: its workspace and the score links of the mail."""
    ws_id, survey, _invite = _setup(live, spec)
    # The live app is shared: invites other tests left scheduled go out in the same batch.
    assert live.query(send_due_invites) >= 1
    mine = [
        links
        for message in smtp_live.inbox.to("ann@example.com")
        if (links := score_links(parts(message)[0])) and f"/s/{survey}/" in links[0]
    ]
    assert len(mine) == 1
    return ws_id, mine[0]


def _clicks_reported(live: Live, links: list[str]) -> int:
    paths = {urlsplit(link).path + "/click" for link in links}
    return sum(1 for method, path, _o, status in live.calls if method == "POST" and path in paths)


def test_one_click_on_a_score_link_answers_and_the_comment_goes_on_the_same_page(
    live: Live, smtp_live: SmtpServer, context: Any, shot: Any
) -> None:
    ws_id, links = _mail(live, smtp_live, {"kind": "nps", "branding": BRANDING})
    [message] = [m for m in smtp_live.inbox.messages if links[0] in parts(m)[0]]
    page = context.new_page()

    # The mail as a client shows it.
    page.set_viewport_size({"width": 640, "height": 720})
    page.set_content(parts(message)[1])
    shot(page, "email", full_page=True)

    page.set_viewport_size({"width": 1024, "height": 720})
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Refused" in m.text else None)
    page.goto(links[9])
    assert page.locator("#score-9").is_checked()
    expect(page.locator("#score-hint")).to_contain_text("Your score of 9 is recorded")
    assert page.get_by_label("What can we improve?").is_hidden()
    shot(page, "score", full_page=True)
    page.get_by_label("What did you love?").fill("The <b>reports</b> are fast")
    page.get_by_role("button", name="Send").click()
    page.wait_for_url("**step=2")
    assert page.get_by_role("heading", name="Thank you!").is_visible()
    shot(page, "thanks", full_page=True)

    [response] = live.responses(ws_id)
    assert (response["score"], response["channel"]) == (9, "email")
    assert response["answers"] == {"love": "The <b>reports</b> are fast"}
    assert response["context"]["agent"] == "Dana"

    # The click waiting out its window loses to the sent form; reloading adds nothing.
    def pending_clicks() -> int:
        return db.session.scalar(
            select(func.count())
            .select_from(EmailInvite)
            .where(EmailInvite.workspace_id == ws_id, EmailInvite.click_state == "pending")
        )

    assert live.query(pending_clicks) == 0
    live.query(lambda: count_clicks(utcnow() + timedelta(minutes=1)))
    assert live.responses(ws_id) == [response]
    page.reload()
    page.go_back()
    assert len(live.responses(ws_id)) == 1
    assert refused == []  # the script runs under the page's Content-Security-Policy


def test_choosing_another_score_on_the_page_asks_its_question(
    live: Live, smtp_live: SmtpServer, context: Any, shot: Any
) -> None:
    ws_id, links = _mail(live, smtp_live, {"kind": "nps", "branding": BRANDING})
    page = context.new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(links[9])
    page.locator('label[for="score-3"]').click()
    expect(page.get_by_label("What can we improve?")).to_be_visible()
    assert page.get_by_label("What did you love?").is_hidden()
    expect(page.locator("#score-hint")).to_have_text("Press Send to save your new score.")
    page.get_by_label("What can we improve?").fill("Exports time out")
    shot(page, "changed", full_page=True)
    page.get_by_role("button", name="Send").click()
    page.wait_for_url("**step=2")
    [response] = live.responses(ws_id)
    assert (response["score"], response["answers"]) == (3, {"improve": "Exports time out"})


def test_a_person_who_clicks_a_score_and_closes_the_tab_is_counted(
    live: Live, smtp_live: SmtpServer, browser: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(live.app.config, "FEEDBACK_SCORE_CLICK_SECONDS", 1)
    ws_id, links = _mail(live, smtp_live, {"kind": "nps", "branding": BRANDING})
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        page = ctx.new_page()
        page.goto(links[6])
        page.close()
    finally:
        ctx.close()
    eventually(lambda: _clicks_reported(live, links) == 1)
    time.sleep(1.1)  # the scanner window
    assert live.query(count_clicks) == 1  # what the worker does every few seconds
    [response] = live.responses(ws_id)
    assert (response["score"], response["channel"], response["answers"]) == (6, "email", {})


def test_a_scanner_browser_that_opens_every_score_link_answers_nothing(
    live: Live, smtp_live: SmtpServer, browser: Any
) -> None:
    ws_id, links = _mail(live, smtp_live, {"kind": "nps"})
    ctx = browser.new_context(user_agent="Mozilla/5.0 (compatible; LinkScanner/1.0)")
    try:
        page = ctx.new_page()
        for link in links:
            page.goto(link)
    finally:
        ctx.close()
    eventually(lambda: _clicks_reported(live, links) == 11)
    assert live.query(lambda: count_clicks(utcnow() + timedelta(minutes=1))) == 0
    assert live.responses(ws_id) == []


def test_an_expired_link_shows_a_friendly_page(live: Live, context: Any, shot: Any) -> None:
    _ws, survey_id, invite_id = _setup(live, {"kind": "csat", "branding": BRANDING})

    class Old(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 40 * 86400

    signer = URLSafeTimedSerializer(live.app.config["SECRET_KEY"], salt=invite_service._SCORE_SALT)
    signer.signer = Old  # type: ignore[assignment]
    page = context.new_page()
    response = page.goto(f"{live.origin}/s/{survey_id}/r/{signer.dumps([invite_id, 4])}")
    assert response.status == 410
    assert page.get_by_role("heading", name="This link has expired").is_visible()
    shot(page, "expired")


def test_a_link_survey_on_a_phone_without_javascript(live: Live, browser: Any, shot: Any) -> None:
    spec = {
        "kind": "csat",
        "branding": {"accent": "#b45309", "product_name": "Globex Help"},
        "followups": [
            {
                "id": "reason",
                "type": "single",
                "prompt": "What was it about?",
                "options": ["Speed", "Tone", "Answer"],
                "when": {"score": [1, 3]},
            },
            {
                "id": "detail",
                "type": "text",
                "prompt": "What was wrong with the answer?",
                "when": {"answer": {"followup": "reason", "in": ["Answer"]}},
            },
        ],
    }
    ws_id, survey_id, _invite = _setup(live, spec)
    ctx = browser.new_context(
        viewport={"width": 375, "height": 700},
        java_script_enabled=False,
        is_mobile=True,
        reduced_motion="reduce",
    )
    try:
        page = ctx.new_page()
        page.goto(f"{live.origin}/s/{survey_id}")
        page.locator('label[for="score-2"]').click()
        shot(page, "phone-score", full_page=True)
        page.get_by_role("button", name="Send").click()
        page.get_by_label("Answer").check()
        shot(page, "phone-choice", full_page=True)
        page.get_by_role("button", name="Send").click()
        page.get_by_label("What was wrong with the answer?").fill("It missed my question")
        shot(page, "phone-chained", full_page=True)
        page.get_by_role("button", name="Send").click()
        assert page.get_by_role("heading", name="Thank you!").is_visible()
    finally:
        ctx.close()
    [response] = live.responses(ws_id)
    assert response["channel"] == "link" and response["score"] == 2
    assert response["answers"] == {"reason": "Answer", "detail": "It missed my question"}
    assert ARTIFACTS.exists()

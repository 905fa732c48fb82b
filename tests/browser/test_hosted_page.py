"""The hosted page in Chromium: from a received email's score link to one stored response."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from feedback.extensions import db, writing
from feedback.jobs import send_due_invites
from feedback.services import invites as invite_service
from feedback.services.invites import InviteInput, create_invites
from feedback.services.surveys import create_survey
from feedback.services.workspaces import create_workspace
from tests.browser.conftest import ARTIFACTS, Live
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


def test_a_score_link_from_the_email_records_one_score_when_sent(
    live: Live, smtp_live: SmtpServer, context: Any, shot: Any
) -> None:
    ws_id, _survey, _invite = _setup(live, {"kind": "nps", "branding": BRANDING})
    assert live.query(send_due_invites) == 1
    [message] = smtp_live.inbox.messages
    text, html = parts(message)
    link = score_links(text)[9]
    page = context.new_page()

    # The mail as a client shows it.
    page.set_viewport_size({"width": 640, "height": 720})
    page.set_content(html)
    shot(page, "email", full_page=True)

    page.set_viewport_size({"width": 1024, "height": 720})
    page.goto(link)
    assert page.locator("#score-9").is_checked()
    assert live.responses(ws_id) == []  # opening the link stored nothing
    shot(page, "score", full_page=True)
    page.get_by_role("button", name="Send").click()
    page.wait_for_url("**step=1")
    assert page.get_by_label("What did you love?").is_visible()
    page.get_by_label("What did you love?").fill("The <b>reports</b> are fast")
    shot(page, "followup", full_page=True)
    page.get_by_role("button", name="Send").click()
    page.wait_for_url("**step=2")
    assert page.get_by_role("heading", name="Thank you!").is_visible()
    shot(page, "thanks", full_page=True)

    [response] = live.responses(ws_id)
    assert (response["score"], response["channel"]) == (9, "email")
    assert response["answers"] == {"love": "The <b>reports</b> are fast"}
    assert response["context"]["agent"] == "Dana"
    # Reloading the thank-you page, or going back, stores nothing new.
    page.reload()
    page.go_back()
    assert len(live.responses(ws_id)) == 1


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

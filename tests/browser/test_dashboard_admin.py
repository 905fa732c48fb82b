"""The admin pages in a real browser: build a survey and see the real widget preview it."""

from __future__ import annotations

from typing import Any

import pytest

from feedback.accounts import workspaces
from feedback.extensions import db
from feedback.responses import effects
from feedback.responses.recording import record_response
from feedback.themes import analysis
from tests.browser.conftest import Live, Watched
from tests.browser.helpers import sign_in

pytestmark = pytest.mark.browser

COMMENTS = [
    (2, "The price is far too high for a small team."),
    (3, "Support took three days to answer and pricing is confusing."),
    (10, "Setup was quick and the reports are lovely."),
    (6, "Search is painfully slow."),
    (4, "I wish there was a dark mode."),
    (5, "Dark mode please, my eyes hurt."),
]


def seed(live: Live, tenant: Any) -> Any:
    t = tenant({"nps": {"kind": "nps", "name": "Product NPS"}})

    def fill() -> None:
        ws = db.session.get(workspaces.Workspace, t.id)
        workspaces.add_user(ws, "ada@acme.example", "correct horse battery", "admin")
        workspaces.create_api_key(ws, "warehouse", ["read"])
        db.session.commit()
        for i, (score, text) in enumerate(COMMENTS):
            fid = "improve" if score <= 6 else "love"
            payload = {"survey": t.surveys["nps"], "score": score, "answers": {fid: text}}
            record_response(ws, f"adm-{t.id}-{i:04d}", payload)
        effects.apply_pending()
        analysis.analyse_pending()

    live.query(fill)
    return t


def test_admin_builds_a_survey_and_sees_the_real_widget(
    live: Live, tenant: Any, watched: Watched, shot: Any
) -> None:
    seed(live, tenant)
    page = watched.page
    sign_in(page, live, "ada@acme.example")

    page.click("nav >> text=Surveys")
    shot(page, "surveys", full_page=True)
    page.click("a.button:has-text('Customer satisfaction')")
    page.fill("input[name=name]", "Checkout CSAT")
    page.fill("input[name=question]", "How was checking out today?")
    page.select_option("select[name=style]", "emoji")
    page.fill("input[name='followups-0-score_high']", "9")  # off the 1-5 scale
    page.click("button:has-text('Create survey')")
    error = page.locator(".field.has-error .error").first
    assert "from 1 to 5" in error.inner_text()
    shot(page, "builder-error", full_page=True)

    page.fill("input[name='followups-0-score_high']", "3")
    page.select_option("select[name=status]", "active")
    page.click("button:has-text('Create survey')")
    page.wait_for_url(f"{live.origin}/app/surveys/*")
    assert "Survey Checkout CSAT created." in page.locator(".flash").inner_text()

    card = page.locator("#preview feedback-widget .card")
    card.wait_for(state="visible", timeout=15_000)
    assert "How was checking out today?" in card.inner_text()
    assert page.locator("#preview feedback-widget .card button[data-score]").count() == 5
    assert page.locator("body > feedback-widget").count() == 0  # nothing floats over the page
    shot(page, "builder-preview", full_page=True)

    page.click("nav >> text=Themes")
    page.select_option("select[name=period]", "last_7_days")
    page.click("button:has-text('Show')")
    assert page.locator("table.themes").is_visible()
    shot(page, "themes", full_page=True)
    page.click("a:has-text('Edit') >> nth=0")
    shot(page, "theme-edit", full_page=True)

    page.click("nav >> text=Settings")
    page.fill("input[name=key-name]", "CI export")
    page.click("button:has-text('Create key')")
    assert page.locator("#new-secret").inner_text().startswith("fbk_")
    assert (
        page.locator("input[name=name]").input_value()
        == "test_admin_builds_a_survey_and_sees_the_real_widget"
    )
    shot(page, "settings", full_page=True)
    assert not watched.errors


def test_the_builder_shows_the_link_the_snippet_and_the_real_invite_mail(
    live: Live, tenant: Any, watched: Watched, shot: Any
) -> None:
    t = tenant({"nps": {"kind": "nps", "channels": ["widget", "email", "link"]}})

    def add_admin() -> None:
        ws = db.session.get(workspaces.Workspace, t.id)
        workspaces.add_user(ws, "bea@acme.example", "correct horse battery", "admin")
        db.session.commit()

    live.query(add_admin)
    page = watched.page
    sign_in(page, live, "bea@acme.example")
    page.goto(f"{live.origin}/app/surveys/{t.surveys['nps']}")
    link = page.locator("#hosted-link a")
    assert link.inner_text().endswith(f"/s/{t.surveys['nps']}")
    assert '// feedback("identify"' in page.locator("#install pre").inner_text()
    # The mail renders inside its sandboxed frame under the dashboard's CSP.
    mail = page.frame_locator("#email-preview iframe")
    assert "Hi Ann," in mail.locator("body").inner_text()
    assert mail.locator("a[title]").count() == 11  # one link per NPS score
    page.locator("#email-preview").scroll_into_view_if_needed()
    shot(page, "email-preview")
    assert not [line for line in watched.console if "Content Security Policy" in line]
    assert not watched.errors

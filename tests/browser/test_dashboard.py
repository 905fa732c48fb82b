"""The dashboard in a real browser: sign in, read the scorecard, filter and retag verbatims."""

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
    (3, "Support took three days to answer. <img src=x onerror=alert(1)>"),
    (10, "Setup was quick and the reports are lovely."),
    (6, "Search is painfully slow."),
]


def seed(live: Live, tenant: Any) -> Any:
    t = tenant({"nps": {"kind": "nps"}})

    def fill() -> None:
        ws = db.session.get(workspaces.Workspace, t.id)
        workspaces.add_user(ws, "ann@acme.example", "correct horse battery", "analyst")
        workspaces.add_user(ws, "vic@acme.example", "correct horse battery", "viewer")
        db.session.commit()
        for i, (score, text) in enumerate(COMMENTS):
            fid = "improve" if score <= 6 else "love"
            payload = {"survey": t.surveys["nps"], "score": score, "answers": {fid: text}}
            record_response(ws, f"dash-{t.id}-{i:04d}", {**payload, "context": {"plan": "Pro"}})
        effects.apply_pending()
        analysis.analyse_pending()

    live.query(fill)
    return t


def test_analyst_reads_filters_and_retags(
    live: Live, tenant: Any, watched: Watched, shot: Any
) -> None:
    t = seed(live, tenant)
    page = watched.page
    page.goto(f"{live.origin}/app/login")
    shot(page, "login")
    sign_in(page, live, "ann@acme.example")
    assert page.locator("#kpi-nps").is_visible()
    assert (
        "+" in page.locator(".kpi .value").first.inner_text()
        or "-" in page.locator(".kpi .value").first.inner_text()
    )
    shot(page, "scorecard", full_page=True)

    page.click("text=Verbatims")
    page.select_option("select[name=period]", "last_7_days")
    page.select_option("select[name=theme]", "pricing")
    page.select_option("select[name=band]", "detractor")
    page.click("button:has-text('Filter')")
    quotes = page.locator(".verbatim .quote").all_inner_texts()
    assert quotes == ["The price is far too high for a small team."]
    assert page.locator("mark.negative").first.inner_text() == "price"
    shot(page, "verbatims")

    page.click("text=Open")
    page.select_option("select[name=theme]", "support")
    page.select_option("select[name=sentiment]", "negative")
    page.click("button:has-text('Save tag')")
    assert "Tag saved" in page.locator(".flash").inner_text()
    shot(page, "response", full_page=True)

    def reanalyse() -> None:
        analysis.start_reanalysis(db.session.get(workspaces.Workspace, t.id), "test")
        db.session.commit()
        analysis.analyse_pending()

    live.query(reanalyse)
    page.reload()
    row = page.locator("tr", has_text="Support")
    assert "manual by ann@acme.example" in row.inner_text()
    assert not watched.errors


def test_html_in_a_comment_runs_nothing(
    live: Live, tenant: Any, watched: Watched, shot: Any
) -> None:
    seed(live, tenant)
    page = watched.page
    sign_in(page, live, "vic@acme.example")
    page.goto(f"{live.origin}/app/verbatims?period=last_7_days")
    assert page.get_by_text("<img src=x onerror=alert(1)>", exact=False).count() == 1
    assert page.locator(".verbatim img").count() == 0
    page.wait_for_timeout(300)
    assert watched.dialogs == []
    page.click("text=Open >> nth=0")
    assert page.locator("button:has-text('Save tag')").count() == 0  # a viewer only reads
    shot(page, "viewer")

"""identify() with a user hash made on the host's server, in a real browser on another origin."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from feedback.accounts.models import Workspace
from feedback.extensions import db
from feedback.responses.identity import user_hash
from feedback.responses.models import Respondent
from tests.browser.helpers import CARD, eventually

pytestmark = pytest.mark.browser


def _secret(live, workspace_id: int) -> str:
    return live.query(lambda: db.session.get(Workspace, workspace_id).identity_secret)


def _respondent(live, workspace_id: int, external_id: str) -> tuple[str | None, dict] | None:
    def load():
        row = db.session.execute(
            select(Respondent.email, Respondent.traits).where(
                Respondent.workspace_id == workspace_id, Respondent.external_id == external_id
            )
        ).first()
        return (row.email, row.traits) if row else None

    return live.query(load)


@pytest.mark.parametrize("form", ["id, options", "one object"])
def test_a_signed_identify_stores_a_verified_respondent(live, tenant, host_page, watched, form):
    t = tenant({"nps": {"kind": "nps"}})
    # What the host's server renders into its page: the hash, never the secret.
    signature = user_hash(_secret(live, t.id), "user-42")
    person = {"email": "ann@example.com", "traits": {"plan": "Pro"}, "userHash": signature}
    if form == "id, options":
        script = f"feedback('identify', 'user-42', {json.dumps(person)});"
    else:
        script = f"feedback('identify', {json.dumps({'id': 'user-42', **person})});"
    page = watched.page
    page.goto(host_page(t.key, script=script))
    page.locator("feedback-widget [data-score='9']").click()
    stored = eventually(lambda: live.responses(t.id))
    assert stored[0]["identity"] == "verified" and stored[0]["claimed_email"] is None
    assert _respondent(live, t.id, "user-42") == ("ann@example.com", {"plan": "Pro"})


def test_without_a_hash_the_address_is_only_a_claim(live, tenant, host_page, watched):
    t = tenant({"nps": {"kind": "nps"}})
    script = "feedback('identify', 'user-7', {email: 'claimed@example.com'});"
    page = watched.page
    page.goto(host_page(t.key, script=script))
    page.locator("feedback-widget [data-score='3']").click()
    stored = eventually(lambda: live.responses(t.id))
    assert (stored[0]["identity"], stored[0]["claimed_email"]) == ("claimed", "claimed@example.com")
    assert _respondent(live, t.id, "user-7") == (None, {})


def test_a_wrong_hash_shows_no_card_and_says_why_in_debug(live, tenant, host_page, watched):
    t = tenant({"nps": {"kind": "nps"}})
    script = "feedback('identify', 'user-42', {email: 'x@example.com', userHash: 'f00d'});"
    page = watched.page
    with page.expect_console_message(lambda m: "identity_invalid" in m.text) as said:
        page.goto(host_page(t.key, script=script))
    assert "refused" in said.value.text
    page.wait_for_timeout(300)
    expect(page.locator(CARD)).to_have_count(0)
    assert live.responses(t.id) == [] and _respondent(live, t.id, "user-42") is None

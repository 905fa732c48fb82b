"""A newcomer's first minutes: the snippet `make run` prints works pasted as it is."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from feedback.accounts.models import Workspace
from feedback.extensions import db
from feedback.widget.script import embed_snippet
from tests.browser.helpers import CARD, eventually

pytestmark = pytest.mark.browser


def test_the_printed_snippet_shows_a_card_on_a_page_on_any_loopback_port(demo_live, watched):
    workspace = demo_live.query(lambda: db.session.scalar(db.select(Workspace)))
    snippet = embed_snippet(demo_live.origin, workspace.public_key)
    # A page of the developer's own app, on a port of its own, under both loopback names.
    site = demo_live.host
    site.add("/mine", f"<!doctype html><title>My app</title>{snippet}<h1>My app</h1>")
    page = watched.page
    for origin in (site.origin, site.other_origin):
        page.goto(f"{origin}/mine")
        expect(page.locator(CARD)).to_be_visible()
        page.keyboard.press("Escape")
        asked = eventually(
            lambda o=origin: [c for c in demo_live.calls if c[2] == o and "eligibility" in c[1]]
        )
        assert {status for *_, status in asked} == {200}
        page.evaluate("localStorage.clear()")  # the next visit is somebody new
    assert not watched.errors

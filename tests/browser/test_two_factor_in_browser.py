"""Two-factor sign-in in a real browser: set it up from the account page with the key the
page shows, then sign in with the password and a code from the app."""

from __future__ import annotations

import time
from typing import Any

import pyotp
import pytest

from feedback.accounts import workspaces
from feedback.extensions import db
from tests.browser.conftest import Live
from tests.browser.helpers import sign_in
from tests.browser.test_accessibility import axe

pytestmark = pytest.mark.browser

EMAIL = "tess@acme.example"
PASSWORD = "correct horse battery"
WIDTHS = (1280, 390)


def both_widths(page: Any, shot: Any, name: str) -> None:
    """Screenshots at a desktop's width and a phone's, each page checked by axe-core."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        shot(page, f"{name}-{width}", full_page=True)
        assert axe(page, ["main"]) == [], f"{name} at {width}"
    page.set_viewport_size({"width": 1024, "height": 720})


def test_a_member_sets_up_two_factor_and_signs_in_with_a_code(
    live: Live, tenant: Any, browser: Any, shot: Any
) -> None:
    t = tenant({})

    def add() -> None:
        ws = db.session.get(workspaces.Workspace, t.id)
        workspaces.add_user(ws, EMAIL, PASSWORD, "analyst")
        db.session.commit()

    live.query(add)
    # axe-core is added to each page as a script, which the dashboard's policy would refuse.
    context = browser.new_context(viewport={"width": 1024, "height": 720}, bypass_csp=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(e.message))
    sign_in(page, live, EMAIL)

    page.goto(f"{live.origin}/app/account")
    page.click("a:has-text('Set up two-factor sign-in')")
    page.wait_for_url(f"{live.origin}/app/account/two-factor")
    assert page.locator(".qr svg").is_visible()
    both_widths(page, shot, "enrol")
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    totp = pyotp.TOTP(secret)

    page.fill("input[name=code]", "000000" if totp.now() != "000000" else "111111")
    page.click("button:has-text('Turn on two-factor sign-in')")
    assert "not the code your app shows now" in page.locator(".field .error").inner_text()

    page.fill("input[name=code]", totp.now())
    page.click("button:has-text('Turn on two-factor sign-in')")
    codes = page.locator("#recovery-codes li code").all_inner_texts()
    assert len(set(codes)) == 10
    both_widths(page, shot, "recovery-codes")
    page.click("a:has-text('I have saved them')")
    assert "10 of 10 unused" in page.locator("main").inner_text()
    both_widths(page, shot, "on")

    page.click("button:has-text('Sign out')")
    page.wait_for_url(f"{live.origin}/app/login")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live.origin}/app/login/code")
    # Not signed in yet: any page sends back to the password.
    page.goto(f"{live.origin}/app/verbatims")
    assert "/app/login" in page.url and "/app/login/code" not in page.url
    page.goto(f"{live.origin}/app/login/code")
    both_widths(page, shot, "code")

    page.fill("input[name=code]", "12345")
    page.click("button[type=submit]")
    assert "Enter the 6-digit code" in page.locator(".login .flash.error").inner_text()
    shot(page, "code-refused")
    # The next 30 seconds' code (inside the drift allowed): the current one may be the very
    # code that turned it on, which cannot be used again.
    page.fill("input[name=code]", totp.at(time.time() + 30))
    page.click("button[type=submit]")
    page.wait_for_url(f"{live.origin}/app/")
    assert EMAIL in page.locator(".who").inner_text()
    assert not errors
    context.close()

"""Single sign-on in a real browser against a real OpenID provider on loopback: a person
clicks "Sign in with SSO", signs in at the provider's own form and lands signed in; one the
workspace does not let in sees a page that says why. The pages are saved as screenshots at
1280 and 390 pixels wide."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from feedback.accounts import workspaces
from feedback.accounts.sso.connections import ConnectionSettings, save_connection
from feedback.extensions import db, writing
from tests.browser.conftest import Live
from tests.browser.helpers import sign_in
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, OidcProvider

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
WIDTHS = (1280, 390)


@pytest.fixture(scope="module")
def provider(live: Live) -> Iterator[OidcProvider]:
    running = OidcProvider([f"{live.origin}/app/sso/callback"])
    yield running
    running.stop()


def sso_workspace(live: Live, provider: OidcProvider, **options: Any) -> tuple[str, str]:
    """A workspace whose single sign-on lets in a domain of its own; (slug, domain)."""
    tag = uuid.uuid4().hex[:10]
    domain = f"acme-{tag}.test"

    def build() -> str:
        with writing():
            ws = workspaces.create_workspace(f"Acme {tag}", f"acme-{tag}")
            workspaces.add_user(ws, f"admin@{domain}", PASSWORD, "owner")
            db.session.commit()
            save_connection(
                ws,
                ConnectionSettings(
                    issuer=provider.issuer,
                    client_id=CLIENT_ID,
                    client_secret=CLIENT_SECRET,
                    allowed_domains=[domain],
                    default_role=options.get("default_role", "viewer"),
                    required=options.get("required", False),
                ),
            )
            return ws.slug

    return live.query(build), domain


def at_provider(page: Any, provider: OidcProvider, login: str | None = None) -> None:
    """The provider's own pages: its sign-in form, then its consent."""
    page.wait_for_url(f"{provider.issuer}/interaction/**")
    if login is not None:
        page.fill("input[name=login]", login)
    page.fill("input[name=password]", "any")
    page.click("button[type=submit]")
    page.wait_for_url(f"{provider.issuer}/interaction/**")
    page.click("button:has-text('Continue')")


def test_a_person_signs_in_with_sso_and_lands_signed_in(
    live: Live, provider: OidcProvider, context: Any, shot: Any
) -> None:
    slug, domain = sso_workspace(live, provider)
    email = f"nora@{domain}"
    page = context.new_page()
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(f"{live.origin}/app/login")
        shot(page, f"login-{width}", full_page=True)
    page.click("text=Sign in with SSO")
    shot(page, "start-390", full_page=True)
    page.fill("input[name=email]", email)
    page.click("button:has-text('Continue')")
    # The work email goes to the provider as a login hint: the form is filled in already.
    page.wait_for_url(f"{provider.issuer}/interaction/**")
    expect(page.locator("input[name=login]")).to_have_value(email)
    at_provider(page, provider)
    page.wait_for_url(f"{live.origin}/app/")
    expect(page.locator(".who")).to_contain_text(email)
    expect(page.locator(".who")).to_contain_text("viewer")
    expect(page.locator(".flash.ok")).to_contain_text("Signed in to Acme")


def test_an_address_the_workspace_does_not_take_sees_why(
    live: Live, provider: OidcProvider, context: Any, shot: Any
) -> None:
    slug, _ = sso_workspace(live, provider)
    page = context.new_page()
    page.goto(f"{live.origin}/app/sso/{slug}")
    at_provider(page, provider, login="mallory")  # mallory@elsewhere.test, verified
    page.wait_for_url(f"{live.origin}/app/sso/callback**")
    expect(page.locator("h1")).to_have_text("You are not signed in")
    expect(page.locator("[role=alert]")).to_contain_text("mallory@elsewhere.test")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        shot(page, f"refused-{width}", full_page=True)
    page.goto(f"{live.origin}/app/settings")
    page.wait_for_url(f"{live.origin}/app/login**")


def test_an_admin_sets_up_sso_in_settings(
    live: Live, provider: OidcProvider, context: Any, shot: Any
) -> None:
    slug, domain = sso_workspace(live, provider, required=True)
    page = context.new_page()
    sign_in(page, live, f"admin@{domain}")
    page.goto(f"{live.origin}/app/settings")
    page.click("text=Set up single sign-on")
    expect(page.locator("#redirect-uri")).to_have_text(f"{live.origin}/app/sso/callback")
    expect(page.locator("input[name=issuer]")).to_have_value(provider.issuer)
    expect(page.locator("input[name=client_secret]")).to_have_value("")
    page.fill("textarea[name=domains]", f"{domain}\nsubsidiary-{domain}")
    page.click("button:has-text('Save')")
    expect(page.locator(".flash.ok")).to_contain_text("discovery document checks out")
    expect(page.locator("textarea[name=domains]")).to_have_value(f"{domain}\nsubsidiary-{domain}")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        shot(page, f"settings-{width}", full_page=True)
    page.fill("input[name=issuer]", f"{provider.issuer}/nothing-here")
    page.click("button:has-text('Save')")
    expect(page.locator(".field.has-error")).to_contain_text("answered HTTP 404")
    shot(page, "settings-error-390", full_page=True)


def test_the_sso_pages_pass_axe(live: Live, provider: OidcProvider, browser: Any) -> None:
    from tests.browser.test_accessibility import axe

    slug, domain = sso_workspace(live, provider)
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True)
    ctx.set_default_timeout(10_000)
    page = ctx.new_page()
    found = {}
    for path in ("/app/login", "/app/sso", "/app/sso/no-such-workspace"):
        page.goto(live.origin + path)
        found[path] = axe(page)
    sign_in(page, live, f"admin@{domain}")
    page.goto(f"{live.origin}/app/settings/sso")
    found["settings"] = axe(page)
    ctx.close()
    assert found == {path: [] for path in found}

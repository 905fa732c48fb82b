"""Single sign-on against a real OpenID provider on loopback: settings checked by discovery,
sign-in by the code flow with PKCE, state and nonce, and who is let in or refused."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from feedback.accounts.models import LoginSession, Membership, User
from feedback.accounts.sso.models import SsoConnection
from feedback.audit.models import AuditEvent
from feedback.extensions import db
from tests.factories import make_tenant
from tests.mail import free_port
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, OidcProvider, sign_in_at_provider
from tests.pages import csrf, member, sign_in

BASE = "http://feedback.test"
CALLBACK = BASE + "/app/sso/callback"


@pytest.fixture(scope="module")
def provider() -> Iterator[OidcProvider]:
    running = OidcProvider([CALLBACK])
    yield running
    running.stop()


@pytest.fixture
def acme(app: Flask, client: FlaskClient, provider: OidcProvider) -> object:
    """A workspace whose admin set up single sign-on for acme.test through the settings page."""
    app.config["FEEDBACK_BASE_URL"] = BASE
    t = make_tenant(client, "Acme")
    sign_in(client, member(t, "admin@acme.test", "admin"))
    answer = save(client, provider.issuer, default_role="analyst")
    assert answer.status_code == 302, answer.get_data(as_text=True)
    client.post("/app/logout", data={"csrf_token": csrf(client, "/app/settings")})
    return t


def save(client: FlaskClient, issuer: str, **fields: object) -> object:
    form = {
        "issuer": issuer,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "domains": "acme.test",
        "default_role": "",
        "csrf_token": csrf(client, "/app/settings/sso"),
        **fields,
    }
    return client.post("/app/settings/sso", data=form)


def connection() -> SsoConnection:
    return db.session.scalars(select(SsoConnection)).one()


def go_to_provider(client: FlaskClient, slug: str) -> str:
    answer = client.get(f"/app/sso/{slug}")
    assert answer.status_code == 302
    return answer.headers["Location"]


def sso(client: FlaskClient, slug: str, login: str) -> object:
    """The whole round: off to the provider, sign in there as `login`, back to the callback."""
    back = sign_in_at_provider(go_to_provider(client, slug), login)
    return client.get("/app/sso/callback?" + urlencode(back))


def set_default_role(role: str | None) -> None:
    connection().default_role = role
    db.session.commit()


# -- settings -------------------------------------------------------------------------------


def test_settings_keep_the_discovered_issuer_and_never_show_the_secret(
    client: FlaskClient, acme: object, provider: OidcProvider
) -> None:
    saved = connection()
    assert saved.issuer == provider.issuer and saved.allowed_domains == ["acme.test"]
    assert CLIENT_SECRET not in saved.client_secret_sealed  # encrypted at rest
    sign_in(client, "admin@acme.test")
    page = client.get("/app/settings/sso").get_data(as_text=True)
    assert CLIENT_SECRET not in page and CALLBACK in page


def test_an_unreachable_issuer_is_refused_on_its_field(client: FlaskClient, acme: object) -> None:
    sign_in(client, "admin@acme.test")
    answer = save(client, f"http://127.0.0.1:{free_port()}")
    assert answer.status_code == 422
    assert "Could not reach" in answer.get_data(as_text=True)


def test_an_address_that_is_no_provider_is_refused(
    client: FlaskClient, acme: object, provider: OidcProvider
) -> None:
    sign_in(client, "admin@acme.test")
    answer = save(client, provider.issuer + "/realms/acme")
    assert answer.status_code == 422
    assert "not the provider&#39;s discovery document" in answer.get_data(as_text=True)


def test_a_plain_http_issuer_off_this_machine_is_refused(client: FlaskClient, acme: object) -> None:
    sign_in(client, "admin@acme.test")
    answer = save(client, "http://login.example.com")
    assert answer.status_code == 422
    assert "must start with https://" in answer.get_data(as_text=True)


def test_viewers_and_analysts_cannot_open_the_settings(client: FlaskClient, acme: object) -> None:
    sign_in(client, member(acme, "ann@acme.test", "analyst"))
    assert client.get("/app/settings/sso").status_code == 403


# -- signing in -----------------------------------------------------------------------------


def test_the_provider_is_asked_for_a_code_with_pkce_state_and_nonce(
    client: FlaskClient, acme: object, provider: OidcProvider
) -> None:
    url = go_to_provider(client, acme.workspace.slug)
    asked = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert url.startswith(provider.issuer + "/auth?")
    assert asked["response_type"] == "code" and asked["code_challenge_method"] == "S256"
    assert asked["redirect_uri"] == CALLBACK and "openid" in asked["scope"].split()
    assert len(asked["state"]) >= 20 and len(asked["nonce"]) >= 20
    assert len(asked["code_challenge"]) == 43


def test_a_member_signs_in_through_the_provider(client: FlaskClient, acme: object) -> None:
    email = member(acme, "bea@acme.test", "viewer")
    answer = sso(client, acme.workspace.slug, email)
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/app/")
    page = client.get("/app/settings")
    assert page.status_code == 200 and "bea@acme.test" in page.get_data(as_text=True)
    row = db.session.scalars(select(LoginSession)).one()
    assert row.sso_workspace_id == acme.workspace.id


def test_a_workspace_requiring_two_factor_leaves_it_to_the_provider_after_sso(
    client: FlaskClient, acme: object
) -> None:
    """The provider's own second factor stands: an SSO sign-in is not sent to enrol here."""
    acme.workspace.require_two_factor = True
    db.session.commit()
    email = member(acme, "dora@acme.test", "analyst")
    assert sso(client, acme.workspace.slug, email).status_code == 302
    page = client.get("/app/settings")
    assert page.status_code == 200 and email in page.get_data(as_text=True)


def test_someone_new_gets_an_account_with_the_default_role(
    client: FlaskClient, acme: object
) -> None:
    assert sso(client, acme.workspace.slug, "Cleo@Acme.test").status_code == 302
    user = db.session.scalar(select(User).where(User.email == "cleo@acme.test"))
    role = db.session.scalar(select(Membership.role).where(Membership.user_id == user.id))
    assert role == "analyst"
    assert client.get("/app/settings").status_code == 200


def test_the_work_email_finds_the_workspace_and_hints_the_login(
    client: FlaskClient, acme: object, provider: OidcProvider
) -> None:
    answer = client.post(
        "/app/sso", data={"email": "dan@acme.test", "csrf_token": csrf(client, "/app/sso")}
    )
    # A Refresh, not a redirect: the page's CSP keeps a form's redirects on this site.
    onwards = answer.headers["Refresh"].partition("url=")[2]
    assert answer.status_code == 200 and onwards.startswith(f"/app/sso/{acme.workspace.slug}?")
    url = client.get(onwards).headers["Location"]
    assert url.startswith(provider.issuer)
    assert parse_qs(urlsplit(url).query)["login_hint"] == ["dan@acme.test"]


def test_an_email_no_workspace_signs_in_is_told_so(client: FlaskClient, acme: object) -> None:
    answer = client.post(
        "/app/sso", data={"email": "dan@other.test", "csrf_token": csrf(client, "/app/sso")}
    )
    assert answer.status_code == 422
    assert "No workspace signs in addresses at this domain" in answer.get_data(as_text=True)


def test_an_address_at_another_domain_is_refused(client: FlaskClient, acme: object) -> None:
    answer = sso(client, acme.workspace.slug, "eve@elsewhere.test")
    assert answer.status_code == 403
    assert "lets in addresses at acme.test only" in answer.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.email == "eve@elsewhere.test")) is None
    assert client.get("/app/settings").status_code == 302  # not signed in
    # The refusal is in the workspace's audit log, though nothing else of it was stored.
    logged = db.session.execute(
        select(AuditEvent.action, AuditEvent.target).where(
            AuditEvent.workspace_id == acme.workspace.id, AuditEvent.action.like("sso.%")
        )
    ).all()
    assert logged == [("sso.signin.refused", "eve@elsewhere.test: domain")]


def test_an_unverified_address_is_refused(client: FlaskClient, acme: object) -> None:
    answer = sso(client, acme.workspace.slug, "unverified-fay@acme.test")
    assert answer.status_code == 403
    assert "has not verified that unverified-fay@acme.test is yours" in answer.get_data(
        as_text=True
    )
    assert client.get("/app/settings").status_code == 302


def test_without_a_default_role_only_members_are_let_in(client: FlaskClient, acme: object) -> None:
    set_default_role(None)
    answer = sso(client, acme.workspace.slug, "gus@acme.test")
    assert answer.status_code == 403
    assert "Ask an admin of the workspace to invite you" in answer.get_data(as_text=True)
    email = member(acme, "hal@acme.test", "viewer")
    assert sso(client, acme.workspace.slug, email).status_code == 302


def test_a_callback_with_a_state_this_browser_never_sent_is_refused(
    client: FlaskClient, acme: object
) -> None:
    back = sign_in_at_provider(go_to_provider(client, acme.workspace.slug), "ida@acme.test")
    answer = client.get("/app/sso/callback?" + urlencode({**back, "state": "forged-state"}))
    assert answer.status_code == 400
    assert "did not start in this browser" in answer.get_data(as_text=True)
    assert client.get("/app/settings").status_code == 302


def test_a_callback_answered_in_another_browser_is_refused(
    app: Flask, client: FlaskClient, acme: object
) -> None:
    # Login CSRF: an attacker's own code and state, sent to a victim's browser.
    back = sign_in_at_provider(go_to_provider(client, acme.workspace.slug), "ida@acme.test")
    victim = app.test_client()
    assert victim.get("/app/sso/callback?" + urlencode(back)).status_code == 400


def test_a_callback_cannot_be_replayed(client: FlaskClient, acme: object) -> None:
    back = sign_in_at_provider(go_to_provider(client, acme.workspace.slug), "jo@acme.test")
    assert client.get("/app/sso/callback?" + urlencode(back)).status_code == 302
    assert client.get("/app/sso/callback?" + urlencode(back)).status_code == 400


def test_a_session_from_single_sign_on_stays_in_its_workspace(
    client: FlaskClient, acme: object
) -> None:
    other = make_tenant(client, "Globex")
    email = member(acme, "kim@acme.test", "viewer")
    member(other, email, "owner")
    sso(client, acme.workspace.slug, email)
    assert "Globex" not in client.get("/app/settings").get_data(as_text=True)
    client.post(
        f"/app/workspaces/{other.workspace.id}",
        data={"csrf_token": csrf(client, "/app/settings")},
    )
    page = client.get("/app/settings").get_data(as_text=True)
    assert "Globex" not in page and "Acme" in page


# -- SSO required ---------------------------------------------------------------------------


def require_sso() -> None:
    connection().required = True
    db.session.commit()


def test_when_required_a_member_cannot_use_a_password(client: FlaskClient, acme: object) -> None:
    email = member(acme, "lou@acme.test", "admin")
    require_sso()
    answer = sign_in(client, email)
    assert answer.status_code == 403
    assert "requires single sign-on" in answer.get_data(as_text=True)
    assert client.get("/app/settings").status_code == 302


def test_when_required_an_owner_still_signs_in_with_a_password(
    client: FlaskClient, acme: object
) -> None:
    email = member(acme, "max@acme.test", "owner")
    require_sso()
    assert sign_in(client, email).status_code == 302
    assert client.get("/app/settings").status_code == 200


def test_when_required_a_wrong_password_says_nothing_about_sso(
    client: FlaskClient, acme: object
) -> None:
    email = member(acme, "ned@acme.test", "viewer")
    require_sso()
    answer = sign_in(client, email, "not the password")
    assert "single sign-on" not in answer.get_data(as_text=True)


# -- what counts as a verified address ------------------------------------------------------


@pytest.mark.parametrize(
    ("claims", "verified"),
    [
        ({"email_verified": True}, True),
        ({"email_verified": False}, False),
        ({"email_verified": "true"}, False),  # a string is not the boolean the spec names
        ({}, False),
        ({"xms_edov": True}, True),  # Entra ID's domain-owner claim, when it says nothing else
        ({"email_verified": False, "xms_edov": True}, False),
    ],
)
def test_only_a_verified_address_is_let_in(claims: dict[str, object], verified: bool) -> None:
    from types import SimpleNamespace

    from feedback.accounts.sso.signin import _refusal

    acme = SimpleNamespace(allowed_domains=["acme.test"], workspace=SimpleNamespace(name="Acme"))
    refused = _refusal(acme, {"email": "ann@acme.test", **claims}, "ann@acme.test")
    assert (refused is None) is verified


# -- passwords where single sign-on is required ---------------------------------------------


def test_a_password_session_no_longer_reaches_a_workspace_that_now_requires_sso(
    client: FlaskClient, acme: object
) -> None:
    sign_in(client, member(acme, "oli@acme.test", "admin"))
    assert client.get("/app/settings").status_code == 200
    require_sso()
    assert client.get("/app/settings").status_code == 403


def test_a_password_still_reaches_the_other_workspaces_of_a_member(
    client: FlaskClient, acme: object
) -> None:
    other = make_tenant(client, "Globex")
    email = member(acme, "pia@acme.test", "admin")
    member(other, email, "viewer")
    require_sso()
    assert sign_in(client, email).status_code == 302
    page = client.get("/app/settings").get_data(as_text=True)
    assert "Globex" in page and "Acme" not in page
    client.post(
        f"/app/workspaces/{acme.workspace.id}", data={"csrf_token": csrf(client, "/app/settings")}
    )
    assert "Acme" not in client.get("/app/settings").get_data(as_text=True)


def test_an_invitation_is_accepted_by_signing_in_with_sso(
    client: FlaskClient, acme: object
) -> None:
    from feedback.accounts import invitations

    set_default_role(None)
    admin = db.session.scalar(select(User).where(User.email == "admin@acme.test"))
    invitations.invite(acme.workspace, admin, "admin", "quin@acme.test", "admin")
    assert sso(client, acme.workspace.slug, "quin@acme.test").status_code == 302
    quin = db.session.scalar(select(User).where(User.email == "quin@acme.test"))
    role = db.session.scalar(select(Membership.role).where(Membership.user_id == quin.id))
    assert role == "admin"  # the invited role, though nobody is made just in time
    assert invitations.pending(acme.workspace) == []


def test_joining_a_workspace_that_requires_sso_sends_the_person_to_sso(
    client: FlaskClient, acme: object
) -> None:
    from feedback.accounts import invitations

    admin = db.session.scalar(select(User).where(User.email == "admin@acme.test"))
    link = invitations.invite(acme.workspace, admin, "admin", "rae@acme.test", "viewer").link
    require_sso()
    path = urlsplit(link).path
    answer = client.post(
        path,
        data={
            "name": "Rae",
            "password": "a long password",
            "confirm": "a long password",
            "csrf_token": csrf(client, path),
        },
    )
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/app/login")
    assert client.get("/app/settings").status_code == 302  # no password session was started
    assert sso(client, acme.workspace.slug, "rae@acme.test").status_code == 302
    assert client.get("/app/settings").status_code == 200


def test_a_workspace_link_that_names_no_sso_workspace_is_a_404(
    client: FlaskClient, acme: object
) -> None:
    answer = client.get("/app/sso/no-such-workspace")
    assert answer.status_code == 404
    assert "No workspace of that name signs in" in answer.get_data(as_text=True)
    assert client.get(f"/app/sso/{acme.workspace.id}").status_code == 302  # its id works too


def test_an_issuer_the_provider_does_not_call_itself_is_refused(
    client: FlaskClient, acme: object, provider: OidcProvider
) -> None:
    sign_in(client, "admin@acme.test")
    # The same server under another name: its document names 127.0.0.1, not localhost.
    answer = save(client, provider.issuer.replace("127.0.0.1", "localhost"))
    assert answer.status_code == 422
    assert "The provider calls itself" in answer.get_data(as_text=True)


def test_a_client_secret_the_provider_refuses_signs_nobody_in(
    client: FlaskClient, acme: object
) -> None:
    from feedback.accounts.sso.sealing import seal

    connection().client_secret_sealed = seal("not-the-secret")
    db.session.commit()
    answer = sso(client, acme.workspace.slug, "sam@acme.test")
    assert answer.status_code == 403
    assert "could not be verified" in answer.get_data(as_text=True)
    assert client.get("/app/settings").status_code == 302

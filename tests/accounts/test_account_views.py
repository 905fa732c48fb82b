"""Accounts: sessions that end, invitations instead of passwords set by admins, many workspaces."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from feedback.accounts import workspaces
from feedback.accounts.models import LoginSession, Membership, User
from feedback.extensions import db
from tests.factories import make_tenant
from tests.pages import PASSWORD, csrf, member, sign_in


def browser(app: Flask) -> FlaskClient:
    """Another browser, with cookies of its own."""
    return app.test_client()


def session_cookie(client: FlaskClient) -> str:
    return client.get_cookie("session").value


def sign_out(client: FlaskClient) -> None:
    client.post("/app/logout", data={"csrf_token": csrf(client, "/app/settings")})


def signed_in_page(client: FlaskClient, url: str = "/app/settings") -> bool:
    return client.get(url).status_code == 200


# -- sessions -------------------------------------------------------------------------------


def test_a_cookie_copied_before_sign_out_opens_nothing_after(client: FlaskClient) -> None:
    t = make_tenant(client)
    sign_in(client, member(t, "ann@acme.example", "admin"))
    stolen = session_cookie(client)
    sign_out(client)
    client.set_cookie("session", stolen)
    answer = client.get("/app/settings")
    assert answer.status_code == 302 and "/app/login" in answer.headers["Location"]


def test_a_new_password_ends_every_other_session(app: Flask, client: FlaskClient) -> None:
    t = make_tenant(client)
    email = member(t, "ann@acme.example", "admin")
    sign_in(client, email)
    laptop = browser(app)
    sign_in(laptop, email)
    assert signed_in_page(laptop)
    token = csrf(client, "/app/account")
    answer = client.post(
        "/app/account",
        data={
            "csrf_token": token,
            "current": PASSWORD,
            "password": "a brand new one",
            "confirm": "a brand new one",
        },
    )
    assert answer.status_code == 302
    assert signed_in_page(client)  # the browser that changed it stays in
    assert not signed_in_page(laptop)
    user = db.session.scalar(select(User).where(User.email == email))
    assert user.check_password("a brand new one") and not user.check_password(PASSWORD)


def test_a_wrong_current_password_changes_nothing(client: FlaskClient) -> None:
    t = make_tenant(client)
    email = member(t, "ann@acme.example", "viewer")
    sign_in(client, email)
    data = {"current": "guess", "password": "a brand new one", "confirm": "a brand new one"}
    answer = client.post("/app/account", data={"csrf_token": csrf(client, "/app/account"), **data})
    assert answer.status_code == 422 and "not your current password" in answer.get_data(True)
    assert db.session.scalar(select(User).where(User.email == email)).check_password(PASSWORD)


def test_removing_a_member_ends_their_sessions_there(app: Flask, client: FlaskClient) -> None:
    t = make_tenant(client)
    sign_in(client, member(t, "boss@acme.example", "admin"))
    ben = browser(app)
    sign_in(ben, member(t, "ben@acme.example", "analyst"))
    assert signed_in_page(ben)
    ben_id = db.session.scalar(select(User.id).where(User.email == "ben@acme.example"))
    token = csrf(client, "/app/settings")
    client.post(f"/app/settings/members/{ben_id}/remove", data={"csrf_token": token})
    assert db.session.scalar(select(Membership.id).where(Membership.user_id == ben_id)) is None
    assert db.session.scalar(select(LoginSession.id).where(LoginSession.user_id == ben_id)) is None
    assert not signed_in_page(ben)


def test_an_admin_cannot_remove_an_owner(client: FlaskClient) -> None:
    t = make_tenant(client)
    owner = workspaces.add_user(t.workspace, "olga@acme.example", PASSWORD, "owner")
    db.session.commit()
    sign_in(client, member(t, "ann@acme.example", "admin"))
    token = csrf(client, "/app/settings")
    client.post(f"/app/settings/members/{owner.id}/remove", data={"csrf_token": token})
    assert db.session.scalar(select(Membership.role).where(Membership.user_id == owner.id))


def test_cookies_are_secure_with_hsts_behind_https(tmp_path) -> None:
    from feedback import config as settings

    env = {"FEEDBACK_BASE_URL": "https://feedback.acme.example", "FEEDBACK_SECRET_KEY": "k" * 40}
    with pytest.MonkeyPatch.context() as mp:
        for name, value in env.items():
            mp.setenv(name, value)
        config = settings.from_environment(str(tmp_path))
    assert config["SESSION_COOKIE_SECURE"] is True
    from feedback import create_app

    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/s.sqlite3"}
        | {k: config[k] for k in ("SESSION_COOKIE_SECURE", "FEEDBACK_BASE_URL")}
    )
    with app.app_context():
        db.create_all()
        client = app.test_client()
        page = client.get("/app/login", base_url="https://feedback.acme.example")
        assert page.headers["Strict-Transport-Security"].startswith("max-age=31536000")
        assert "Secure" in page.headers["Set-Cookie"]
        db.engine.dispose()


def test_plain_http_keeps_cookies_usable_locally(tmp_path) -> None:
    from feedback import config as settings

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FEEDBACK_BASE_URL", "http://127.0.0.1:5000")
        assert settings.from_environment(str(tmp_path))["SESSION_COOKIE_SECURE"] is False


# -- invitations and many workspaces ---------------------------------------------------------


def invite(client: FlaskClient, email: str, role: str = "analyst") -> str:
    """Invite `email` from the settings page; the link it shows when mail is not set up."""
    data = {"csrf_token": csrf(client, "/app/settings"), "member-email": email, "member-role": role}
    page = client.post("/app/settings/members", data=data).get_data(as_text=True)
    return re.search(r'<code id="join-link">([^<]+)</code>', page).group(1)


def test_a_new_person_joins_with_a_password_only_they_know(app: Flask, client: FlaskClient):
    t = make_tenant(client)
    sign_in(client, member(t, "boss@acme.example", "admin"))
    link = invite(client, "New@Acme.example")
    path = link.split("127.0.0.1:5000", 1)[-1]
    assert db.session.scalar(select(User).where(User.email == "new@acme.example")) is None
    newcomer = browser(app)
    form = newcomer.get(path).get_data(as_text=True)
    assert "Join Acme" in form and "new@acme.example" in form
    data = {"csrf_token": csrf(newcomer, path), "name": "Nia", "password": "my own secret"}
    answer = newcomer.post(path, data={**data, "confirm": "my own secret"})
    assert answer.status_code == 302 and signed_in_page(newcomer, "/app/")
    user = db.session.scalar(select(User).where(User.email == "new@acme.example"))
    assert user.check_password("my own secret")
    role = select(Membership.role).where(Membership.user_id == user.id)
    assert db.session.scalar(role) == "analyst"
    # The link worked once.
    assert browser(app).get(path).status_code == 404


def test_inviting_an_existing_account_never_touches_its_password(
    app: Flask, client: FlaskClient
) -> None:
    other = make_tenant(client, "Globex")
    globex_admin = member(other, "gus@globex.example", "admin")
    acme = make_tenant(client, "Acme")
    sign_in(client, member(acme, "boss@acme.example", "admin"))
    path = invite(client, globex_admin, "viewer").split("127.0.0.1:5000", 1)[-1]
    gus = db.session.scalar(select(User).where(User.email == globex_admin))
    assert gus.check_password(PASSWORD)
    # Opening the link unsigned asks for the account's own sign-in; no password form.
    stranger = browser(app)
    first = stranger.get(path)
    assert first.status_code == 302 and "/app/login" in first.headers["Location"]
    # Someone signed in as another account cannot take the invitation.
    assert "sign in as gus@globex.example" in client.get(path).get_data(as_text=True)
    data = {"csrf_token": csrf(client, "/app/")}
    assert client.post(path, data=data).status_code == 200
    assert (
        db.session.scalar(
            select(Membership.id).where(
                Membership.user_id == gus.id, Membership.workspace_id == acme.workspace.id
            )
        )
        is None
    )
    # Gus signs in as himself and accepts: now in both workspaces, same password.
    gus_browser = browser(app)
    sign_in(gus_browser, globex_admin)
    assert gus_browser.post(path, data={"csrf_token": csrf(gus_browser, path)}).status_code == 302
    ids = db.session.scalars(select(Membership.workspace_id).where(Membership.user_id == gus.id))
    assert set(ids) == {other.workspace.id, acme.workspace.id}
    assert db.session.get(User, gus.id).check_password(PASSWORD)


def test_a_person_in_two_workspaces_switches_and_every_page_follows(
    app: Flask, client: FlaskClient
) -> None:
    acme = make_tenant(client, "Acme")
    globex = make_tenant(client, "Globex")
    email = member(acme, "pat@example.com", "admin")
    member(globex, email, "viewer")
    sign_in(client, email)
    first = client.get("/app/settings").get_data(as_text=True)
    assert acme.workspace.public_key in first and globex.workspace.public_key not in first
    token = csrf(client, "/app/")
    assert client.post(f"/app/workspaces/{globex.workspace.id}", data={"csrf_token": token})
    page = client.get("/app/settings").get_data(as_text=True)
    assert globex.workspace.public_key in page and acme.workspace.public_key not in page
    # As a viewer there, admin actions are refused even though Pat is admin in Acme.
    assert client.post("/app/settings/keys", data={"csrf_token": token}).status_code == 403
    # A workspace Pat is not in cannot be chosen.
    third = make_tenant(client, "Initech")
    client.post(f"/app/workspaces/{third.workspace.id}", data={"csrf_token": token})
    assert third.workspace.public_key not in client.get("/app/settings").get_data(as_text=True)


def test_an_admin_cannot_invite_an_owner_or_a_member(client: FlaskClient) -> None:
    t = make_tenant(client)
    sign_in(client, member(t, "boss@acme.example", "admin"))
    member(t, "ben@acme.example", "viewer")
    token = csrf(client, "/app/settings")
    for email, role in (("new@acme.example", "owner"), ("ben@acme.example", "viewer")):
        data = {"csrf_token": token, "member-email": email, "member-role": role}
        assert client.post("/app/settings/members", data=data).status_code == 422


def test_the_invitation_is_mailed_when_mail_is_set_up(client: FlaskClient, smtp) -> None:
    t = make_tenant(client)
    sign_in(client, member(t, "boss@acme.example", "admin"))
    data = {
        "csrf_token": csrf(client, "/app/settings"),
        "member-email": "ann@example.com",
        "member-role": "viewer",
    }
    page = client.post("/app/settings/members", data=data).get_data(as_text=True)
    assert "We mailed them a link" in page and 'id="join-link"' not in page
    (message,) = smtp.inbox.messages
    assert message["To"] == "ann@example.com"
    text = message.get_body(("plain",)).get_content()
    assert "http://feedback.test/app/join/" in text and "works once, for 7 days" in text

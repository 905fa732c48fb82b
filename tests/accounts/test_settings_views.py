"""Settings: workspace, API keys, members and roles, mail settings; roles, CSRF and scoping."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from feedback.accounts import workspaces
from feedback.accounts.models import ApiKey, Membership, Workspace
from feedback.extensions import db
from tests.factories import OTHER_DIGITS, make_tenant
from tests.pages import csrf, member, sign_in

ROLES = ("viewer", "analyst", "admin", "owner")


def signed_in(client: FlaskClient, role: str = "admin"):
    t = make_tenant(client)
    member(t, f"{role}@acme.example", role)
    sign_in(client, f"{role}@acme.example")
    return t


@pytest.mark.parametrize("role", ROLES)
def test_settings_page_renders_for_every_role(client: FlaskClient, role: str) -> None:
    t = signed_in(client, role)
    page = client.get("/app/settings").get_data(as_text=True)
    assert t.workspace.name in page and t.workspace.public_key in page
    admin = role in ("admin", "owner")
    assert ("<h2>API keys</h2>" in page) == admin and ("Invite a member" in page) == admin
    assert ("Save settings" in page) == admin


def test_admin_saves_workspace_settings(client: FlaskClient) -> None:
    t = signed_in(client)
    token = csrf(client, "/app/settings")
    data = {
        "csrf_token": token,
        "name": "Acme Inc",
        "timezone": "Europe/Paris",
        "allowed_origins": "https://app.acme.example\nhttps://www.acme.example/\n",
        "recontact_days": "14",
        "low_n": "50",
    }
    assert client.post("/app/settings", data=data).status_code == 302
    ws = db.session.get(Workspace, t.workspace.id)
    assert (ws.name, ws.timezone, ws.recontact_days, ws.low_n) == (
        "Acme Inc",
        "Europe/Paris",
        14,
        50,
    )
    assert ws.allowed_origins == ["https://app.acme.example", "https://www.acme.example"]


@OTHER_DIGITS
def test_a_number_in_other_digits_is_refused_and_nothing_saved(
    client: FlaskClient, script: dict
) -> None:
    t = signed_in(client)
    data = {
        "name": "Acme Inc",
        "timezone": "Europe/Paris",
        "allowed_origins": "",
        "recontact_days": "14".translate(script),
        "low_n": "50",
    }
    data["csrf_token"] = csrf(client, "/app/settings")
    page = client.post("/app/settings", data=data)
    assert page.status_code == 422
    assert "Enter a whole number in the digits 0-9." in page.get_data(as_text=True)
    ws = db.session.get(Workspace, t.workspace.id)
    assert (ws.name, ws.recontact_days) == (t.workspace.name, t.workspace.recontact_days)


def test_a_bad_origin_is_named_by_its_field(client: FlaskClient) -> None:
    signed_in(client)
    token = csrf(client, "/app/settings")
    data = {
        "csrf_token": token,
        "name": "Acme",
        "timezone": "Mars/Olympus",
        "allowed_origins": "",
        "recontact_days": "7",
        "low_n": "30",
    }
    res = client.post("/app/settings", data=data)
    assert res.status_code == 422
    page = res.get_data(as_text=True)
    field = page[page.index('name="timezone"') :]
    assert field.index("Unknown timezone") < field.index("</label>")
    data.update(timezone="UTC", allowed_origins="app.acme.example")
    page = client.post("/app/settings", data=data).get_data(as_text=True)
    field = page[page.index('name="allowed_origins"') :]
    assert field.index("is not an origin like") < field.index("</label>")


def test_key_is_shown_once_then_revoked(app: Flask, client: FlaskClient) -> None:
    t = signed_in(client)
    token = csrf(client, "/app/settings")
    res = client.post(
        "/app/settings/keys",
        data={"csrf_token": token, "key-name": "warehouse", "key-scope": "read"},
    )
    assert res.status_code == 200
    secret = re.search(r'id="new-secret">(fbk_[^<]+)<', res.get_data(as_text=True)).group(1)
    key = db.session.scalar(select(ApiKey).where(ApiKey.name == "warehouse"))
    assert key.workspace_id == t.workspace.id and key.scopes == ["read"]
    auth = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/workspace", headers=auth).status_code == 200
    page = client.get("/app/settings").get_data(as_text=True)
    assert secret not in page and f"fbk_{key.prefix}_" in page
    res = client.post(f"/app/settings/keys/{key.id}/revoke", data={"csrf_token": token})
    assert res.status_code == 302
    db.session.refresh(key)
    assert key.revoked_at is not None
    assert (
        client.get("/api/v1/workspace", headers={"Authorization": f"Bearer {secret}"}).status_code
        == 401
    )


def test_admin_changes_a_members_role(client: FlaskClient) -> None:
    t = signed_in(client)
    ben = workspaces.add_user(t.workspace, "ben@acme.example", "long enough", "analyst")
    db.session.commit()
    token = csrf(client, "/app/settings")
    role = select(Membership.role).where(Membership.user_id == ben.id)
    res = client.post(
        f"/app/settings/members/{ben.id}/role", data={"csrf_token": token, "role": "viewer"}
    )
    assert res.status_code == 302 and db.session.scalar(role) == "viewer"
    assert "ben@acme.example" in client.get("/app/settings").get_data(as_text=True)


def test_an_admin_cannot_make_owners_or_demote_one(client: FlaskClient) -> None:
    t = signed_in(client)
    owner = workspaces.add_user(t.workspace, "olga@acme.example", "long enough", "owner")
    db.session.commit()
    token = csrf(client, "/app/settings")
    data = {
        "csrf_token": token,
        "member-email": "new@acme.example",
        "member-role": "owner",
    }
    assert client.post("/app/settings/members", data=data).status_code == 422
    client.post(
        f"/app/settings/members/{owner.id}/role", data={"csrf_token": token, "role": "viewer"}
    )
    assert (
        db.session.scalar(select(Membership.role).where(Membership.user_id == owner.id)) == "owner"
    )
    data.update({"member-email": "olga@acme.example", "member-role": "viewer"})
    assert client.post("/app/settings/members", data=data).status_code == 422


def test_mail_settings_never_show_the_password(app: Flask, client: FlaskClient) -> None:
    app.config.update(
        FEEDBACK_SMTP_HOST="smtp.acme.example",
        FEEDBACK_SMTP_USER="mailer",
        FEEDBACK_SMTP_PASSWORD="hunter2-secret",
    )
    signed_in(client)
    page = client.get("/app/settings").get_data(as_text=True)
    assert "smtp.acme.example:587" in page and "mailer" in page and "(password set)" in page
    assert "hunter2-secret" not in page


@pytest.mark.parametrize("role", ("viewer", "analyst"))
def test_below_admin_gets_403_on_every_change(client: FlaskClient, role: str) -> None:
    t = signed_in(client, role)
    key = workspaces.create_api_key(t.workspace, "ci").key
    db.session.commit()
    token = csrf(client, "/app/settings")
    posts = {
        "/app/settings": {
            "name": "Taken over",
            "timezone": "UTC",
            "recontact_days": "1",
            "low_n": "1",
        },
        "/app/settings/keys": {"key-name": "mine", "key-scope": "write"},
        f"/app/settings/keys/{key.id}/revoke": {},
        "/app/settings/members": {
            "member-email": "x@y.example",
            "member-role": "owner",
        },
        f"/app/settings/members/{key.id}/role": {"role": "owner"},
        "/app/settings/identity-secret": {},
    }
    secret = t.workspace.identity_secret
    for url, data in posts.items():
        assert client.post(url, data={"csrf_token": token, **data}).status_code == 403, url
    assert db.session.get(Workspace, t.workspace.id).name != "Taken over"
    assert db.session.get(ApiKey, key.id).revoked_at is None
    assert db.session.get(Workspace, t.workspace.id).identity_secret == secret


def test_a_form_without_csrf_token_is_refused(client: FlaskClient) -> None:
    signed_in(client)
    assert (
        client.post("/app/settings/keys", data={"key-name": "k", "key-scope": "read"}).status_code
        == 400
    )
    assert db.session.scalar(select(ApiKey.id).where(ApiKey.name == "k")) is None


def test_another_workspace_keys_and_members_are_never_visible(client: FlaskClient) -> None:
    a = make_tenant(client, "A")
    secret_key = workspaces.create_api_key(a.workspace, "Secret key of A").key
    workspaces.add_user(a.workspace, "someone@a.example", "long enough", "viewer")
    db.session.commit()
    signed_in(client)
    page = client.get("/app/settings").get_data(as_text=True)
    assert "Secret key of A" not in page and "someone@a.example" not in page
    token = csrf(client, "/app/settings")
    client.post(f"/app/settings/keys/{secret_key.id}/revoke", data={"csrf_token": token})
    assert db.session.get(ApiKey, secret_key.id).revoked_at is None


@pytest.mark.parametrize("role", ROLES)
def test_only_admins_see_the_identity_secret(client: FlaskClient, role: str) -> None:
    t = signed_in(client, role)
    page = client.get("/app/settings").get_data(as_text=True)
    admin = role in ("admin", "owner")
    assert (t.workspace.identity_secret in page) == admin
    assert ("Identity verification" in page) == admin


def test_an_admin_rotates_the_identity_secret(client: FlaskClient) -> None:
    t = signed_in(client)
    old = t.workspace.identity_secret
    token = csrf(client, "/app/settings")
    assert client.post("/app/settings/identity-secret").status_code == 400  # no CSRF token
    res = client.post("/app/settings/identity-secret", data={"csrf_token": token})
    assert res.status_code == 302 and res.headers["Location"].endswith("/app/settings#identity")
    new = db.session.get(Workspace, t.workspace.id).identity_secret
    assert new and new != old
    page = client.get("/app/settings").get_data(as_text=True)
    assert new in page and old not in page and "user hashes made with the old one" in page


def test_an_admin_requires_verified_identities(client: FlaskClient) -> None:
    t = signed_in(client)
    token = csrf(client, "/app/settings")
    data = {
        "csrf_token": token,
        "name": "Acme",
        "timezone": "UTC",
        "allowed_origins": "",
        "recontact_days": "7",
        "low_n": "30",
        "require_verified_identity": "y",
    }
    assert client.post("/app/settings", data=data).status_code == 302
    assert db.session.get(Workspace, t.workspace.id).require_verified_identity is True
    page = client.get("/app/settings").get_data(as_text=True)
    assert re.search(r'name="require_verified_identity"[^>]* checked', page) or re.search(
        r'checked[^>]*name="require_verified_identity"', page
    )
    del data["require_verified_identity"]  # an unticked box is not sent
    assert client.post("/app/settings", data=data).status_code == 302
    assert db.session.get(Workspace, t.workspace.id).require_verified_identity is False


def _card(page: str, card_id: str) -> str:
    card = page[page.index(f'<section class="card" id="{card_id}">') :]
    return card[: card.index("</section>")]


def test_the_create_key_form_sits_in_the_api_keys_card(client: FlaskClient) -> None:
    signed_in(client)
    keys = _card(client.get("/app/settings").get_data(as_text=True), "api-keys")
    assert "<table>" in keys
    assert 'action="/app/settings/keys"' in keys and "Create key</button>" in keys


def test_settings_tables_scroll_inside_their_cards(client: FlaskClient) -> None:
    signed_in(client)
    page = client.get("/app/settings").get_data(as_text=True)
    for card_id in ("api-keys", "members"):
        assert '<div class="table-scroll">\n<table>' in _card(page, card_id)


def test_a_loopback_wildcard_origin_is_refused_in_production(client: FlaskClient) -> None:
    t = signed_in(client)
    token = csrf(client, "/app/settings")
    res = client.post(
        "/app/settings",
        data={
            "csrf_token": token,
            "name": "Acme",
            "timezone": "UTC",
            "allowed_origins": "http://localhost:*",
            "recontact_days": "7",
            "low_n": "30",
        },
    )
    assert res.status_code == 422
    assert "only in development" in res.get_data(as_text=True)
    assert db.session.get(Workspace, t.workspace.id).allowed_origins == []

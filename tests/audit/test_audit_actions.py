"""Each security-relevant action, done through the page or the API a person uses, leaves one
entry: who (as they were), on what, what changed, from which address and browser."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from feedback.accounts import workspaces
from feedback.accounts.models import ApiKey, MemberInvite, User
from feedback.extensions import db
from tests.audit.entries import entries, one
from tests.factories import make_survey, make_tenant
from tests.pages import csrf, member, sign_in
from tests.resolver import Resolver

AGENT = "Mozilla/5.0 (audit test)"
DATA = Path(__file__).parent.parent / "imports" / "data"


def admin(client: FlaskClient, email: str = "boss@acme.example") -> Any:
    t = make_tenant(client)
    member(t, email, "admin")
    sign_in(client, email)
    return t


def key_label(t: Any) -> str:
    key = db.session.scalar(select(ApiKey).where(ApiKey.workspace_id == t.workspace.id))
    return f"api key {key.prefix}"


# -- signing in ------------------------------------------------------------------------------


def test_a_sign_in_is_logged_in_each_workspace_of_the_account(client: FlaskClient) -> None:
    acme, globex = make_tenant(client, "Acme"), make_tenant(client, "Globex")
    member(acme, "ann@example.com", "analyst")
    member(globex, "ann@example.com", "viewer")
    token = csrf(client, "/app/login")
    data = {"email": "Ann@Example.com", "password": "correct horse battery", "csrf_token": token}
    assert client.post("/app/login", data=data, headers={"User-Agent": AGENT}).status_code == 302
    ann = db.session.scalar(select(User).where(User.email == "ann@example.com"))
    for t in (acme, globex):
        entry = one(t.workspace.id, "signin.succeeded")
        assert (entry.actor, entry.actor_user_id) == ("ann@example.com", ann.id)
        assert (entry.ip, entry.user_agent) == ("127.0.0.1", AGENT)


def test_a_wrong_password_is_logged_with_the_account(client: FlaskClient) -> None:
    t = make_tenant(client)
    member(t, "ann@example.com", "analyst")
    sign_in(client, "ann@example.com", "not the password")
    entry = one(t.workspace.id, "signin.failed")
    assert entry.actor == entry.target == "ann@example.com" and entry.actor_user_id
    assert entries(t.workspace.id, "signin.succeeded") == []


def test_an_unknown_email_is_logged_in_no_workspace(client: FlaskClient) -> None:
    t = make_tenant(client)
    sign_in(client, "nobody@example.com", "guess")
    assert entries(t.workspace.id, "signin.failed") == []
    entry = one(None, "signin.failed")
    assert (entry.actor, entry.actor_user_id, entry.ip) == ("nobody@example.com", None, "127.0.0.1")


# -- members --------------------------------------------------------------------------------


def test_inviting_and_joining_are_logged(app: Flask, client: FlaskClient) -> None:
    t = admin(client)
    data = {
        "csrf_token": csrf(client, "/app/settings"),
        "member-email": "new@acme.example",
        "member-role": "analyst",
    }
    page = client.post("/app/settings/members", data=data).get_data(as_text=True)
    invited = one(t.workspace.id, "member.invited")
    assert (invited.actor, invited.target) == ("boss@acme.example", "new@acme.example")
    assert invited.changes == {"role": [None, "analyst"]}

    path = re.search(r'<code id="join-link">([^<]+)</code>', page).group(1)
    path = path.split("127.0.0.1:5000", 1)[-1]
    newcomer = app.test_client()
    form = {"csrf_token": csrf(newcomer, path), "name": "Nia", "password": "my own secret"}
    assert newcomer.post(path, data={**form, "confirm": "my own secret"}).status_code == 302
    added = one(t.workspace.id, "member.added", "new@acme.example")
    assert (added.actor, added.target) == ("new@acme.example", "new@acme.example")
    assert added.changes == {"role": [None, "analyst"]}


def test_withdrawing_an_invitation_is_logged(client: FlaskClient) -> None:
    t = admin(client)
    token = csrf(client, "/app/settings")
    data = {"csrf_token": token, "member-email": "maybe@acme.example", "member-role": "viewer"}
    client.post("/app/settings/members", data=data)
    invite_id = db.session.scalar(select(MemberInvite.id))
    client.post(f"/app/settings/invitations/{invite_id}/revoke", data={"csrf_token": token})
    entry = one(t.workspace.id, "member.invite_revoked")
    assert (entry.actor, entry.target) == ("boss@acme.example", "maybe@acme.example")


def test_a_role_change_and_a_removal_are_logged(client: FlaskClient) -> None:
    t = admin(client)
    member(t, "ann@acme.example", "viewer")
    ann = db.session.scalar(select(User).where(User.email == "ann@acme.example"))
    token = csrf(client, "/app/settings")
    client.post(
        f"/app/settings/members/{ann.id}/role", data={"csrf_token": token, "role": "analyst"}
    )
    changed = one(t.workspace.id, "member.role_changed")
    assert (changed.actor, changed.target) == ("boss@acme.example", "ann@acme.example")
    assert changed.changes == {"role": ["viewer", "analyst"]}
    client.post(f"/app/settings/members/{ann.id}/remove", data={"csrf_token": token})
    removed = one(t.workspace.id, "member.removed")
    assert removed.changes == {"role": ["analyst", None]}


def test_a_refused_role_change_is_not_logged(client: FlaskClient) -> None:
    t = admin(client)
    boss = db.session.scalar(select(User).where(User.email == "boss@acme.example"))
    token = csrf(client, "/app/settings")
    # Nobody changes their own role.
    client.post(
        f"/app/settings/members/{boss.id}/role", data={"csrf_token": token, "role": "viewer"}
    )
    assert entries(t.workspace.id, "member.role_changed") == []


# -- API keys, settings, the identity secret ------------------------------------------------


def test_a_key_made_and_revoked_in_the_dashboard_is_logged(client: FlaskClient) -> None:
    t = admin(client)
    token = csrf(client, "/app/settings")
    page = client.post(
        "/app/settings/keys",
        data={"csrf_token": token, "key-name": "warehouse", "key-scope": "read"},
    ).get_data(as_text=True)
    secret = re.search(r'<code id="new-secret">([^<]+)</code>', page).group(1)
    key = db.session.scalar(select(ApiKey).where(ApiKey.name == "warehouse"))
    created = one(t.workspace.id, "api_key.created", f"warehouse (fbk_{key.prefix})")
    assert created.actor == "boss@acme.example"
    assert created.changes == {"scopes": [None, ["read"]]}
    assert secret not in str(created.to_dict())
    client.post(f"/app/settings/keys/{key.id}/revoke", data={"csrf_token": token})
    client.post(f"/app/settings/keys/{key.id}/revoke", data={"csrf_token": token})
    assert one(t.workspace.id, "api_key.revoked").target == created.target  # once


def test_a_key_made_and_revoked_by_api_names_the_key_that_acted(client: FlaskClient) -> None:
    t = make_tenant(client)
    made = t.post("/api/v1/api-keys", {"name": "ci"}).get_json()
    t.delete(f"/api/v1/api-keys/{made['id']}")
    created = entries(t.workspace.id, "api_key.created")[-1]  # the first is the tenant's own
    revoked = one(t.workspace.id, "api_key.revoked")
    assert created.actor == revoked.actor == key_label(t)
    assert created.actor_user_id is None and made["secret"] not in str(created.to_dict())


def test_settings_changes_keep_before_and_after_but_never_a_secret(client: FlaskClient) -> None:
    t = make_tenant(client)
    secret = "helpdesk-shared-secret-value"
    body = {"low_n": 50, "timezone": "UTC", "helpdesk_secret": secret}
    assert t.patch("/api/v1/workspace", body).status_code == 200
    entry = one(t.workspace.id, "settings.changed")
    # The timezone did not change: only what did is kept.
    assert entry.changes == {"low_n": [30, 50], "helpdesk_secret": "changed"}
    assert entry.actor == key_label(t) and secret not in str(entry.to_dict())


def test_a_settings_save_in_the_dashboard_is_logged(client: FlaskClient) -> None:
    t = admin(client)
    data = {
        "csrf_token": csrf(client, "/app/settings"),
        "name": "Acme Inc",
        "timezone": "UTC",
        "allowed_origins": "",
        "recontact_days": "7",
        "low_n": "30",
    }
    assert client.post("/app/settings", data=data, headers={"User-Agent": AGENT}).status_code == 302
    entry = one(t.workspace.id, "settings.changed")
    assert entry.changes == {"name": ["Acme", "Acme Inc"]}
    assert (entry.actor, entry.user_agent) == ("boss@acme.example", AGENT)


@pytest.mark.parametrize("where", ["api", "page"])
def test_a_new_identity_secret_is_logged_without_it(client: FlaskClient, where: str) -> None:
    if where == "api":
        t = make_tenant(client)
        secret = t.post("/api/v1/workspace/identity-secret").get_json()["identity_secret"]
    else:
        t = admin(client)
        token = csrf(client, "/app/settings")
        client.post("/app/settings/identity-secret", data={"csrf_token": token})
        db.session.refresh(t.workspace)
        secret = t.workspace.identity_secret
    entry = one(t.workspace.id, "identity_secret.changed")
    assert entry.changes == {"identity_secret": "changed"}
    assert secret not in str(entry.to_dict())


# -- webhooks, KPI targets, imports ---------------------------------------------------------


def test_a_webhook_is_logged_by_its_origin_only(client: FlaskClient, resolver: Resolver) -> None:
    resolver.add("hooks.example.com", ["93.184.215.14"])
    t = make_tenant(client)
    url = "https://hooks.example.com/services/T0/B0/tokenpart?key=abc"
    hook = t.post("/api/v1/webhooks", {"url": url, "events": ["response.created"]}).get_json()
    entry = one(t.workspace.id, "webhook.created")
    assert entry.target == f"webhook {hook['id']} to https://hooks.example.com"
    assert "tokenpart" not in str(entry.to_dict()) and hook["secret"] not in str(entry.to_dict())
    t.delete(f"/api/v1/webhooks/{hook['id']}")
    assert one(t.workspace.id, "webhook.deleted").target == entry.target


def test_a_kpi_target_change_keeps_before_and_after(client: FlaskClient) -> None:
    t = make_tenant(client)
    t.client.put("/api/v1/kpis/targets/nps", json={"target": 40}, headers=t.headers)
    t.client.put("/api/v1/kpis/targets/nps", json={"target": 40}, headers=t.headers)  # no change
    t.client.put("/api/v1/kpis/targets/nps", json={"target": 45}, headers=t.headers)
    first, second = entries(t.workspace.id, "kpi_target.changed")
    assert first.target == second.target == "nps" and first.actor == key_label(t)
    # A new target: every field it was given, but not the metric, which is the entry's target.
    assert first.changes["target"] == [None, 40] and "metric" not in first.changes
    assert second.changes == {"target": [40, 45]}


def test_an_import_is_logged_by_who_started_it(app: Flask, client: FlaskClient, tmp_path) -> None:
    app.config["FEEDBACK_IMPORT_DIR"] = str(tmp_path / "imports")
    t = admin(client)
    form = {
        "csrf_token": csrf(client, "/app/settings/imports"),
        "file": (io.BytesIO((DATA / "delighted.json").read_bytes()), "history.json"),
        "format": "delighted-json",
        "mapping": "",
    }
    page = client.post(
        "/app/settings/imports/upload", data=form, content_type="multipart/form-data"
    ).get_data(as_text=True)

    def hidden(name: str) -> str:
        return re.search(rf'name="{name}" type="hidden" value="([^"]*)"', page).group(1)

    start = {
        "csrf_token": hidden("csrf_token"),
        "token": hidden("token"),
        "format": "delighted-json",
        "mapping": "",
        "filename": "history.json",
        "dry_run": "1",
    }
    assert client.post("/app/settings/imports", data=start).status_code == 302
    entry = one(t.workspace.id, "import.run")
    assert entry.actor == "boss@acme.example" and entry.target.endswith(": history.json")
    assert entry.changes == {"format": [None, "delighted-json"], "dry_run": [None, True]}
    # Its report of refused rows is a download like any other.
    job_id = entry.target.split(":")[0].removeprefix("import ")
    assert client.get(f"/app/settings/imports/{job_id}/refused.csv").status_code == 200
    report = one(t.workspace.id, "export.downloaded")
    assert report.target == f"import-{job_id}-refused.csv"


# -- exports and erasure --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "target"),
    [
        ("/app/verbatims.csv?band=detractor", "verbatims.csv?band=detractor&period=last_30_days"),
        ("/app/cases.csv", "cases.csv"),
        ("/app/settings/audit.csv?action=member.added", "audit-log.csv?action=member.added"),
    ],
)
def test_a_download_from_the_dashboard_is_logged(
    client: FlaskClient, url: str, target: str
) -> None:
    t = admin(client)
    answer = client.get(url)
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    entry = one(t.workspace.id, "export.downloaded")
    assert (entry.actor, entry.target) == ("boss@acme.example", target)


def test_a_download_by_api_is_logged(client: FlaskClient) -> None:
    t = make_tenant(client)
    assert t.get("/api/v1/responses.csv?band=promoter").status_code == 200
    entry = one(t.workspace.id, "export.downloaded")
    assert (entry.actor, entry.target) == (key_label(t), "responses.csv?band=promoter")


def _respondent(client: FlaskClient, t: Any, external_id: str) -> None:
    survey = make_survey(t.workspace, "nps")
    body = {"survey": survey.public_id, "score": 3, "respondent": {"id": external_id}}
    assert client.put(t.public(f"/responses/r-{external_id}"), json=body).status_code == 201


def test_a_persons_data_export_is_logged_by_row_id(client: FlaskClient) -> None:
    t = make_tenant(client)
    _respondent(client, t, "person-77")
    assert t.get("/api/v1/respondents/person-77").status_code == 200
    entry = one(t.workspace.id, "export.downloaded")
    assert re.fullmatch(r"respondent \d+", entry.target)


@pytest.mark.parametrize("route", ["api", "delighted"])
def test_an_erasure_is_logged_without_the_persons_id(client: FlaskClient, route: str) -> None:
    t = make_tenant(client)
    _respondent(client, t, "person-42")
    if route == "api":
        assert t.delete("/api/v1/respondents/person-42").status_code == 200
    else:
        from feedback.responses.models import Respondent

        row = db.session.scalar(select(Respondent).where(Respondent.external_id == "person-42"))
        basic = base64.b64encode(f"{t.key}:".encode()).decode()
        answer = client.delete(
            f"/delighted/v1/people/{row.id}", headers={"Authorization": f"Basic {basic}"}
        )
        assert answer.status_code == 202
    entry = one(t.workspace.id, "respondent.erased")
    assert re.fullmatch(r"respondent \d+", entry.target) and "person-42" not in entry.target
    assert entry.actor == key_label(t)


def test_adding_a_member_from_the_command_line_is_the_systems_act(client: FlaskClient) -> None:
    t = make_tenant(client)
    workspaces.add_user(t.workspace, "ops@acme.example", "long enough", "viewer")
    db.session.commit()
    entry = one(t.workspace.id, "member.added", "ops@acme.example")
    assert (entry.actor, entry.ip) == ("system", None)

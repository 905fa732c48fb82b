"""Tenant isolation: workspace B's key and B's signed-in admin against workspace A's objects.

Every management route and every dashboard page is called, found from the app's own URL map
(so a new route is covered the day it is added), with A's ids in its path. Each call must be
refused, no answer may carry anything of A's, and A's data must be exactly as before.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from feedback import jobs
from feedback.accounts import invitations, workspaces
from feedback.extensions import db
from feedback.imports import running
from feedback.webhooks.models import WebhookDelivery
from tests.factories import make_survey, make_tenant
from tests.resolver import Resolver

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery"
COMMENT = "The zebraquartz export keeps failing and the price is too high"
PERSON = "alpha-person-9"
EMAIL = "alpha9@alphaworks.example"
THEME = "alphasecret-theme"
HOOK = "https://alphaworks-hooks.example/in"
INVITEE = "invitee@alphaworks.example"


class World:
    """Workspace A with one of everything, and what B must never see of it."""

    def __init__(self, client: FlaskClient) -> None:
        self.a = make_tenant(client, "Alphaworks")
        self.b = make_tenant(client, "Betacorp")
        a = self.a
        self.survey = make_survey(a.workspace, "nps", name="Alphaworks loyalty")
        make_survey(self.b.workspace, "nps")
        body = {
            "survey": self.survey.public_id,
            "score": 2,
            "answers": {"improve": COMMENT},
            "respondent": {"id": PERSON, "email": EMAIL},
            "context": {"plan": "Alphaplan"},
        }
        assert client.put(a.public("/responses/alpha-resp-01"), json=body).status_code == 201
        self.response_id = a.get("/api/v1/responses").get_json()["data"][0]["id"]
        theme = {"slug": THEME, "name": "Alpha secret", "phrases": ["zebraquartz"]}
        assert a.post("/api/v1/themes", json=theme).status_code == 201
        user = workspaces.add_user(a.workspace, "lead@alphaworks.example", PASSWORD, "analyst")
        db.session.commit()
        self.user_id = user.id
        hook = a.post("/api/v1/webhooks", json={"url": HOOK, "events": ["case.updated"]})
        self.webhook_id = hook.get_json()["id"]
        rule = {"name": "Alpha rule", "conditions": {"theme": THEME}, "owner": user.id}
        self.rule_id = a.post("/api/v1/case-rules", json=rule).get_json()["id"]
        self.case_id = a.get("/api/v1/cases").get_json()["data"][0]["id"]
        target = a.client.put(
            "/api/v1/kpis/targets/alpha_metric", json={"target": 3}, headers=a.headers
        )
        assert target.status_code == 200
        invite = {"survey": self.survey.public_id, "invites": [{"email": INVITEE}]}
        assert a.post("/api/v1/invites", json=invite).status_code == 201
        self.key_id = a.get("/api/v1/api-keys").get_json()["data"][0]["id"]
        joining = invitations.invite(
            a.workspace, user, "owner", "joiner@alphaworks.example", "viewer"
        )
        self.member_invite_id = joining.invite.id
        history = running.start_import(
            a.workspace, "alpha-history.json", "alpha-history.json", "delighted-json", None, True
        )
        self.import_job_id = history.id
        self.sent: list[str] = []
        self.secrets = [
            "zebraquartz",
            PERSON,
            EMAIL,
            THEME,
            "alphaworks",
            "Alphaplan",
            self.survey.public_id,
            a.workspace.public_key,
        ]

    def path_value(self, name: str) -> Any:
        values = {
            "survey_id": self.survey.public_id,
            "public_id": self.survey.public_id,
            "response_id": self.response_id,
            "case_id": self.case_id,
            "slug": THEME,
            "key_id": self.key_id,
            "webhook_id": self.webhook_id,
            "rule_id": self.rule_id,
            "user_id": self.user_id,
            "invite_id": self.member_invite_id,
            "workspace_id": self.a.workspace.id,
            # A join link is a bearer secret B's admin cannot know; a made-up one gets 404.
            "token": "made-up-join-token",
            "external_id": PERSON,
            "metric": "alpha_metric",
            "kind": "nps",
            "job_id": self.import_job_id,
            # The single sign-on start of A's workspace: a public page naming no secret.
            "ref": self.a.workspace.slug,
        }
        if name not in values:
            pytest.fail(f"the isolation matrix has no value of A's for <{name}>: add one")
        return values[name]

    def snapshot(self) -> list[Any]:
        """A's objects as A sees them; volatile fields left out."""
        a = self.a
        case = a.get(f"/api/v1/cases/{self.case_id}").get_json()
        case.pop("overdue", None)
        keys = a.get("/api/v1/api-keys").get_json()["data"]
        for key in keys:
            key.pop("last_used_at", None)
        return [
            a.get(f"/api/v1/surveys/{self.survey.public_id}").get_json(),
            a.get(f"/api/v1/responses/{self.response_id}").get_json(),
            a.get(f"/api/v1/respondents/{PERSON}").get_json(),
            case,
            a.get("/api/v1/themes").get_json(),
            a.get("/api/v1/webhooks").get_json(),
            a.get("/api/v1/case-rules").get_json(),
            a.get("/api/v1/invites").get_json(),
            a.get("/api/v1/kpis").get_json(),
            keys,
            a.get("/api/v1/workspace").get_json(),
        ]

    def leaks(self, text: str, request: str) -> list[str]:
        # What B itself sent may be echoed back (an error, a remembered filter); nothing else
        # of A's may appear.
        self.sent.append(request)
        return [
            s
            for s in self.secrets
            if s.lower() in text.lower() and not any(s in sent for sent in self.sent)
        ]


def _rules(app: Flask, prefix: str) -> list[tuple[str, str, list[str]]]:
    found = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(prefix):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                found.append((method, rule.rule, sorted(rule.arguments)))
    return sorted(found)


def _fill(world: World, rule: str) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(world.path_value(m.group(1))), rule)


@pytest.fixture(autouse=True)
def _hook_host(resolver: Resolver) -> None:
    # The webhooks' host is checked when they are made; nothing is ever posted to it.
    resolver.add("alphaworks-hooks.example", ["93.184.215.14"])


LIST_QUERIES = ("", "?q=zebraquartz", f"?theme={THEME}", "?period=all", "?status=active")


def test_another_workspace_s_key_reaches_nothing(app: Flask, client: FlaskClient) -> None:
    world = World(client)
    before = world.snapshot()
    checked = 0
    for method, rule, params in _rules(app, "/api/v1/"):
        objects = [p for p in params if p != "kind"]
        urls = [_fill(world, rule)] if params else [rule + q for q in LIST_QUERIES]
        for url in urls:
            kwargs: dict[str, Any] = {"headers": world.b.headers}
            if method in ("POST", "PUT", "PATCH"):
                kwargs["json"] = {"status": "resolved", "resolution": "fixed", "name": "x"}
            answer = client.open(url, method=method, **kwargs)
            text = answer.get_data(as_text=True)
            assert answer.status_code < 500, f"{method} {url}: {text[:300]}"
            if objects:
                assert answer.status_code in (404, 422), f"{method} {url} with B's key"
            assert world.leaks(text, url) == [], f"{method} {url} leaked A's data"
            checked += 1
    assert checked > 60
    assert world.snapshot() == before


def test_another_workspace_s_admin_sees_and_changes_nothing(
    app: Flask, client: FlaskClient
) -> None:
    world = World(client)
    workspaces.add_user(world.b.workspace, "admin@betacorp.example", PASSWORD, "admin")
    db.session.commit()
    browser = app.test_client()
    page = browser.get("/app/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    signed_in = browser.post(
        "/app/login",
        data={"email": "admin@betacorp.example", "password": PASSWORD, "csrf_token": token},
    )
    assert signed_in.status_code == 302
    before = world.snapshot()
    checked = 0
    for method, rule, params in _rules(app, "/app/"):
        if rule in ("/app/login", "/app/logout"):
            continue
        url = _fill(world, rule) if params else rule
        if method == "GET":
            urls = [url] if params else [url + q for q in LIST_QUERIES]
            for each in urls:
                answer = browser.get(each)
                text = answer.get_data(as_text=True)
                assert answer.status_code < 500, f"GET {each}: {text[:300]}"
                if params:
                    assert answer.status_code in (403, 404), f"GET {each} as B's admin"
                assert world.leaks(text, each) == [], f"GET {each} leaked A's data"
                checked += 1
        elif params:
            form = {"csrf_token": token, "body": "x", "status": "resolved", "owner": "1"}
            answer = browser.post(url, data=form)
            # Refused outright, or sent back to a page of B's with the error (a form's way);
            # either way A's data is checked unchanged below.
            assert answer.status_code in (302, 400, 403, 404), f"POST {url} as B's admin"
            assert world.leaks(answer.get_data(as_text=True), url) == []
            checked += 1
    assert checked > 30
    assert world.snapshot() == before


def test_events_of_one_workspace_go_only_to_its_own_webhooks(client: FlaskClient) -> None:
    a, b = make_tenant(client, "Hooks A"), make_tenant(client, "Hooks B")
    b.post("/api/v1/webhooks", json={"url": HOOK, "events": ["response.created"]})
    survey = make_survey(a.workspace, "nps")
    body = {"survey": survey.public_id, "score": 9}
    assert client.put(a.public("/responses/hook-resp-01"), json=body).status_code == 201
    jobs.route_cases()
    queued = db.session.scalar(select(func.count()).select_from(WebhookDelivery))
    assert queued == 0

"""Hostile input: each gets a clear error or is stored and shown harmlessly, and nothing
already stored changes."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from feedback import jobs
from feedback.accounts import workspaces
from feedback.extensions import db
from feedback.responses.models import Response
from tests.factories import Tenant, make_survey, make_tenant

PASSWORD = "correct horse battery"
SCRIPT = "<img src=x onerror=alert(1)><script>alert(2)</script>"
FORMULA = "=cmd|' /C calc'!A0"


@pytest.fixture
def tenant(client: FlaskClient) -> Tenant:
    return make_tenant(client)


def _stored(rid: str) -> Any:
    db.session.expire_all()
    row = db.session.scalar(select(Response).where(Response.client_id == rid))
    return None if row is None else (row.score, row.answers, row.comment, row.plan, row.context)


BAD_BODIES: list[tuple[str, Any, int, str | None]] = [
    ("score as text", {"score": "7"}, 422, "score"),
    ("score as a fraction", {"score": 7.5}, 422, "score"),
    ("score as a boolean", {"score": True}, 422, "score"),
    ("score off the scale", {"score": 11}, 422, "score"),
    ("answers as a list", {"score": 3, "answers": ["x"]}, 422, "answers"),
    ("answer as a number", {"score": 3, "answers": {"improve": 5}}, 422, "answers.improve"),
    ("unknown follow-up", {"score": 3, "answers": {"nope": "x"}}, 422, "answers.nope"),
    ("context as a list", {"score": 3, "context": ["plan"]}, 422, "context"),
    ("context value an object", {"score": 3, "context": {"plan": {"a": 1}}}, 422, None),
    ("unknown channel", {"score": 3, "channel": "fax"}, 422, "channel"),
    ("survey as a number", {"score": 3, "survey": 12}, 422, "survey"),
    ("respondent as text", {"score": 3, "respondent": "bob"}, 422, "respondent"),
    ("100k-character comment", {"score": 3, "answers": {"improve": "a" * 100_000}}, 413, None),
    ("5,001-character comment", {"score": 3, "answers": {"improve": "a" * 5001}}, 422, None),
    ("long context value", {"score": 3, "context": {"plan": "p" * 501}}, 422, None),
    ("NUL in a comment", {"score": 3, "answers": {"improve": "a\u0000b"}}, 400, None),
]


@pytest.mark.parametrize(("label", "change", "status", "field"), BAD_BODIES)
def test_a_bad_response_is_refused_and_the_stored_one_stays(
    tenant: Tenant, label: str, change: dict, status: int, field: str | None
) -> None:
    survey = make_survey(tenant.workspace, "nps")
    url = tenant.public("/responses/hostile-0001")
    good = {"survey": survey.public_id, "score": 4, "answers": {"improve": "Slow exports"}}
    good["context"] = {"plan": "Pro"}
    assert tenant.client.put(url, json=good).status_code == 201
    before = _stored("hostile-0001")
    answer = tenant.client.put(url, json={"survey": survey.public_id, **change})
    assert answer.status_code == status, (label, answer.get_json())
    error = answer.get_json()["error"]
    assert error["message"]
    if field is not None:
        assert error["field"] == field, label
    elif status == 422:
        assert error["field"], label
    assert _stored("hostile-0001") == before


@pytest.mark.parametrize(
    ("label", "raw", "content_type"),
    [
        ("invalid UTF-8", b'{"survey": "s", "score": 3, "x": "\xff\xfe"}', "application/json"),
        ("not JSON", b"score=3", "application/json"),
        ("JSON nested 30 deep", b'{"a":' * 30 + b"1" + b"}" * 30, "application/json"),
        ("a lone surrogate", b'{"survey": "s", "score": 3, "x": "\\ud800"}', "text/plain"),
        ("empty", b"", "application/json"),
        ("NaN, which is not JSON", b'{"survey": "s", "score": NaN}', "application/json"),
        ("a number beyond a float", b'{"survey": "s", "score": 1e999}', "application/json"),
    ],
)
def test_a_malformed_body_gets_a_clear_400(
    tenant: Tenant, label: str, raw: bytes, content_type: str
) -> None:
    answer = tenant.client.put(
        tenant.public("/responses/hostile-0002"), data=raw, content_type=content_type
    )
    assert answer.status_code == 400, label
    assert answer.get_json()["error"]["code"] == "malformed"
    assert db.session.scalar(select(func.count()).select_from(Response)) == 0


@pytest.mark.parametrize(
    "query",
    [
        "?q=%25%27%20OR%201%3D1%20--",
        "?q=%5C%25_",
        "?theme=..%2F..%2Fetc%2Fpasswd",
        "?survey=%27%3B%20DROP%20TABLE%20response%3B%20--",
        "?plan=%27%20OR%20%271%27%3D%271",
        "?group_by=plan%3B%20DROP%20TABLE%20response",
        "?band=everyone",
        "?channel=fax",
        "?period=%27%3B--",
        "?interval=century",
        "?from=2026-13-45",
        "?from=0001-01-01&to=2026-01-01",
        "?from=2026-01-01&to=9999-12-31",
        "?cursor=..%2F..%2F",
        "?limit=-1",
        "?%00=1",
    ],
)
def test_metacharacters_in_filters_are_refused_or_harmless(tenant: Tenant, query: str) -> None:
    survey = make_survey(tenant.workspace, "nps")
    body = {"survey": survey.public_id, "score": 9, "answers": {"love": "Great"}}
    tenant.client.put(tenant.public("/responses/hostile-0003"), json=body)
    for path in ("/api/v1/responses", "/api/v1/responses.csv", "/api/v1/metrics/nps"):
        answer = tenant.get(path + query)
        assert answer.status_code in (200, 400, 422), (path, query, answer.status_code)
        if answer.status_code != 200:
            assert answer.get_json()["error"]["message"]
    for path in ("/api/v1/cases", "/api/v1/themes/summary"):
        assert tenant.get(path + query).status_code in (200, 400, 422)
    # Nothing ran that should not have: the table and its one row are there.
    assert db.session.scalar(select(func.count()).select_from(Response)) == 1


def _sign_in(app: Flask, tenant: Tenant) -> FlaskClient:
    workspaces.add_user(tenant.workspace, "admin@hostile.example", PASSWORD, "admin")
    db.session.commit()
    browser = app.test_client()
    page = browser.get("/app/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    browser.post(
        "/app/login",
        data={"email": "admin@hostile.example", "password": PASSWORD, "csrf_token": token},
    )
    return browser


def test_script_in_every_shown_field_is_shown_as_text(app: Flask, tenant: Tenant) -> None:
    app.config["FEEDBACK_CASE_SETTLE_SECONDS"] = 0
    survey = make_survey(tenant.workspace, "csat", name=f"CSAT {SCRIPT}")
    body = {
        "survey": survey.public_id,
        "score": 1,
        "answers": {"went_wrong": f"{FORMULA} {SCRIPT}"},
        "context": {"plan": SCRIPT, "agent": SCRIPT, "team": SCRIPT, "feature": SCRIPT},
        "respondent": {"id": f"id-{SCRIPT}", "email": "x@hostile.example"},
    }
    assert tenant.client.put(tenant.public("/responses/hostile-0004"), json=body).status_code == 201
    jobs.analyse_comments()
    jobs.route_cases()
    case_id = tenant.get("/api/v1/cases").get_json()["data"][0]["id"]
    response_id = tenant.get("/api/v1/responses").get_json()["data"][0]["id"]
    browser = _sign_in(app, tenant)
    pages = [
        "/app/",
        "/app/verbatims?period=all",
        f"/app/responses/{response_id}",
        "/app/agents?period=all",
        "/app/cases/all",
        f"/app/cases/{case_id}",
        "/app/surveys",
        "/app/themes",
    ]
    for url in pages:
        page = browser.get(url)
        assert page.status_code == 200, url
        html = page.get_data(as_text=True)
        assert "<script>alert(2)" not in html and "<img src=x" not in html, url
    shown = browser.get(f"/app/responses/{response_id}").get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(1)&gt;" in shown
    # CSV exports cannot start a formula in a spreadsheet.
    exports = [
        (tenant.client, "/api/v1/responses.csv?period=all", tenant.headers),
        (browser, "/app/verbatims.csv?period=all", {}),
        (browser, "/app/cases.csv?status=active", {}),
    ]
    for agent, url, headers in exports:
        export = agent.get(url, headers=headers)
        assert export.status_code == 200, url
        text = export.get_data(as_text=True)  # read now: the export streams
        assert "cmd|" in text, f"the comment is in {url}"
        cells = [c.strip('"') for line in text.splitlines() for c in line.split(",")]
        assert not any(c.startswith(("=", "+", "@")) for c in cells), url


# A misspelt key used to be ignored while its default applied: "scope": ["read"] issued a key
# with every scope.
MISSPELT = [
    ("post", "/api/v1/api-keys", {"name": "ci", "scope": ["read"]}, "scope"),
    ("post", "/api/v1/cases", {"response_id": 1}, "response_id"),
    ("post", "/api/v1/cases/1/notes", {"body": "x", "type": "reply"}, "type"),
    ("post", "/api/v1/cases/1/merge", {"into": 2}, "into"),
    ("post", "/api/v1/cases/assign", {"cases": [1], "owner_id": 1}, "owner_id"),
    ("post", "/api/v1/case-rules", {"name": "r", "condition": {}}, "condition"),
    ("patch", "/api/v1/case-rules/1", {"disabled": True}, "disabled"),
    ("post", "/api/v1/themes/pricing/merge", {"target": "ux"}, "target"),
    ("post", "/api/v1/responses/1/themes", {"theme": "pricing", "tone": "negative"}, "tone"),
    ("post", "/api/v1/webhooks", {"url": "https://x.example", "event": ["case.opened"]}, "event"),
    (
        "post",
        "/api/v1/invites",
        {"survey": "s", "invites": [{"mail": "a@b.co"}]},
        "invites[0].mail",
    ),
    ("post", "/api/v1/invites", {"survey": "s", "when": "now", "invites": []}, "when"),
    ("put", "/api/v1/kpis/targets/churn", {"target": 1, "goal": 2}, "goal"),
    ("post", "/api/v1/kpis/values", [{"metric": "churn", "day": "2026-01-31"}], "[0].day"),
]


@pytest.mark.parametrize(("method", "url", "body", "field"), MISSPELT)
def test_a_misspelt_field_is_named_not_ignored(
    tenant: Tenant, method: str, url: str, body: Any, field: str
) -> None:
    answer = getattr(tenant.client, method)(url, json=body, headers=tenant.headers)
    assert answer.status_code == 422, answer.get_json()
    assert answer.get_json()["error"]["field"] == field


# `$` also matches before a final newline: "churn\n" passed ^[a-z][a-z0-9_]*$ and was stored.
TRAILING_NEWLINE = [
    ("put", "/responses/hostile-0005%0A", {"score": 3}, "id"),
    ("post", "/api/v1/themes", {"slug": "billing\n", "name": "Billing"}, "slug"),
    ("put", "/api/v1/kpis/targets/churn%0A", {"target": 2}, "metric"),
    (
        "post",
        "/api/v1/surveys",
        {"kind": "nps", "followups": [{"id": "why\n", "prompt": "Why?"}]},
        "followups[0].id",
    ),
    (
        "post",
        "/api/v1/surveys",
        {"kind": "nps", "branding": {"accent": "#4f46e5\n"}},
        "branding.accent",
    ),
]


@pytest.mark.parametrize(("method", "path", "body", "field"), TRAILING_NEWLINE)
def test_a_trailing_newline_is_not_part_of_a_name(
    tenant: Tenant, method: str, path: str, body: dict, field: str
) -> None:
    if path.startswith("/responses/"):  # the public API, for a survey of the workspace
        path = tenant.public(path)
        body = {"survey": make_survey(tenant.workspace, "nps").public_id, **body}
    answer = getattr(tenant.client, method)(path, json=body, headers=tenant.headers)
    assert answer.status_code == 422, answer.get_json()
    assert answer.get_json()["error"]["field"] == field

"""The extensions' per-request hooks: on for the dashboard, off for the public API."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.factories import make_survey, make_tenant
from tests.pages import member, sign_in
from tests.processes import run_elsewhere


def test_the_public_api_answers_without_cookies_or_the_dashboards_rate_headers(
    client: FlaskClient,
) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    member(t, "ann@acme.example", "viewer")
    assert sign_in(client, "ann@acme.example").status_code == 302
    # A visitor signed in to the dashboard answers a survey on the same site.
    res = client.put(
        t.public("/responses/hooks-0001"), json={"survey": survey.public_id, "score": 9}
    )
    assert res.status_code == 201
    assert "Set-Cookie" not in res.headers
    assert not [name for name, _ in res.headers.items() if name.startswith("X-RateLimit")]
    assert res.headers["X-Content-Type-Options"] == "nosniff"  # the app's own hooks still run


# In a process of its own: Flask-Limiter keeps its default limits on the one shared Limiter.
CAPPED_SERVER = """
import json, sys
from feedback import create_app
app = create_app(json.loads(sys.argv[1]))
with app.app_context():
    client = app.test_client()
    answers = [client.put(path, json=body).status_code for path, body in json.loads(sys.argv[2])]
    pages = [client.get("/healthz").status_code for _ in range(3)]
print(json.dumps([answers, pages]))
"""


def test_a_limit_on_every_page_never_counts_survey_answers(app: Flask, client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    # An operator caps every page at 2 a minute (Flask-Limiter's default limit): the public
    # API keeps to its own limit, so a busy page's visitors can still answer.
    config = {
        "TESTING": True,
        "SECRET_KEY": "test",
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "SQLALCHEMY_ENGINE_OPTIONS": app.config["SQLALCHEMY_ENGINE_OPTIONS"],
        "RATELIMIT_DEFAULT": "2 per minute",
    }
    body = {"survey": survey.public_id, "score": 9}
    calls = [[t.public(f"/responses/cap-{i:04d}"), body] for i in range(4)]
    answers, pages = run_elsewhere(CAPPED_SERVER, config, calls)
    assert answers == [201] * 4
    assert pages == [200, 200, 429]


def test_the_dashboard_still_checks_csrf_and_counts_sign_ins(client: FlaskClient) -> None:
    t = make_tenant(client)
    member(t, "ann@acme.example", "viewer")
    forged = client.post(
        "/app/login", data={"email": "ann@acme.example", "password": "x"}, follow_redirects=False
    )
    assert forged.status_code == 400  # no CSRF token
    answers = [sign_in(client, "ann@acme.example", "wrong") for _ in range(11)]
    assert answers[10].status_code == 429
    assert answers[9].headers["X-RateLimit-Remaining"] == "0"

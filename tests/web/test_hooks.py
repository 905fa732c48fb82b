"""The extensions' per-request hooks: on for the dashboard, off for the public API."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.factories import make_survey, make_tenant
from tests.pages import member, sign_in


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

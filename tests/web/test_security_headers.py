"""Security headers: strict where people sign in, none that would stop the widget embedding."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.factories import make_survey, make_tenant


def test_the_dashboard_cannot_be_framed_sniffed_or_injected(client: FlaskClient) -> None:
    page = client.get("/app/login")
    assert page.status_code == 200
    policy = page.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "same-origin"


def test_the_widget_routes_stay_embeddable(client: FlaskClient) -> None:
    tenant = make_tenant(client, allowed_origins=["https://shop.example"])
    survey = make_survey(tenant.workspace, "nps")
    script = client.get("/widget.js")
    config = client.get(
        tenant.public(f"/surveys/{survey.public_id}"), headers={"Origin": "https://shop.example"}
    )
    for response in (script, config):
        assert response.status_code == 200
        assert "X-Frame-Options" not in response.headers
        assert "frame-ancestors" not in response.headers.get("Content-Security-Policy", "")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert script.headers["Access-Control-Allow-Origin"] == "*"
    assert config.headers["Access-Control-Allow-Origin"] == "https://shop.example"

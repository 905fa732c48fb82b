"""KPI targets with owners and outside KPI values, and how the scorecard shows them."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from feedback.accounts import workspaces
from feedback.extensions import db
from tests.factories import make_survey, make_tenant


def test_targets_and_pushed_values(client: FlaskClient) -> None:
    t = make_tenant(client)
    res = t.client.put(
        "/api/v1/kpis/targets/churn_rate",
        json={
            "target": 2.0,
            "owner": "cfo@acme.example",
            "perspective": "financial",
            "higher_is_better": False,
        },
        headers=t.headers,
    )
    assert res.status_code == 200 and res.json["owner"] == "cfo@acme.example"
    values = [
        {"metric": "churn_rate", "date": "2026-10-31", "value": 2.4, "unit": "%"},
        {"metric": "churn_rate", "date": "2026-11-30", "value": 1.9, "unit": "%"},
    ]
    assert t.post("/api/v1/kpis/values", values).json == {"stored": 2}
    # Pushing a day again replaces it.
    t.post("/api/v1/kpis/values", [{"metric": "churn_rate", "date": "2026-11-30", "value": 1.7}])
    body = t.get("/api/v1/kpis").json
    assert body["values"] == [
        {"metric": "churn_rate", "unit": None, "value": 1.7, "day": "2026-11-30", "previous": 2.4}
    ]


def test_bad_kpi_input_is_named(client: FlaskClient) -> None:
    t = make_tenant(client)
    bad = t.client.put("/api/v1/kpis/targets/Churn Rate", json={"target": 1}, headers=t.headers)
    assert bad.status_code == 422 and bad.json["error"]["field"] == "metric"
    bad = t.client.put("/api/v1/kpis/targets/nps", json={"target": "high"}, headers=t.headers)
    assert bad.json["error"]["field"] == "target"
    bad = t.post("/api/v1/kpis/values", [{"metric": "mrr", "date": "yesterday", "value": 1}])
    assert bad.json["error"]["field"] == "[0].date"


def test_nan_and_infinity_are_refused_and_nothing_is_stored(client: FlaskClient) -> None:
    t = make_tenant(client)
    for number in ("NaN", "Infinity", "-Infinity", "1e999"):
        body = f'[{{"metric": "churn", "date": "2026-01-31", "value": {number}}}]'
        res = t.post("/api/v1/kpis/values", data=body, content_type="application/json")
        assert res.status_code == 400 and res.json["error"]["code"] == "malformed", number
        res = t.client.put(
            "/api/v1/kpis/targets/churn",
            data=f'{{"target": {number}}}',
            content_type="application/json",
            headers=t.headers,
        )
        assert res.status_code == 400, number
    assert t.get("/api/v1/kpis").json == {"targets": [], "values": []}


def test_kpis_are_scoped_to_the_workspace(client: FlaskClient) -> None:
    a, b = make_tenant(client, "A"), make_tenant(client, "B")
    a.post("/api/v1/kpis/values", [{"metric": "mrr", "date": "2026-11-01", "value": 10}])
    assert b.get("/api/v1/kpis").json == {"targets": [], "values": []}


def test_scorecard_shows_target_owner_status_and_perspectives(client: FlaskClient) -> None:
    t = make_tenant(client)
    workspaces.add_user(t.workspace, "pm@acme.example", "correct horse battery", "viewer")
    db.session.commit()
    survey = make_survey(t.workspace, "nps")
    for i, score in enumerate([10] * 40 + [9] * 20 + [3] * 10):
        client.put(
            t.public(f"/responses/kpi-{i:05d}"), json={"survey": survey.public_id, "score": score}
        )
    t.client.put("/api/v1/kpis/targets/nps", json={"target": 30, "owner": "Ann"}, headers=t.headers)
    t.post("/api/v1/kpis/values", [{"metric": "churn_rate", "date": "2026-11-20", "value": 1.5}])
    page = client.get("/app/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    client.post(
        "/app/login",
        data={"email": "pm@acme.example", "password": "correct horse battery", "csrf_token": token},
    )
    page = client.get("/app/").get_data(as_text=True)
    # NPS = 60/70 - 10/70 = 71.4, interval well above 30: on track.
    assert "Target +30 · owner Ann" in page and "on track" in page
    assert "Balanced scorecard" in page and "Churn rate" in page and "1.5" in page
    assert "No solved tickets yet" in page

"""GET /api/v1/metrics/loop: the closing-the-loop figures for a period, per team or owner."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.factories import make_tenant
from tests.scorecard.test_scorecard import add_cases


def test_the_loop_figures_overall_and_per_team(client: FlaskClient) -> None:
    t = make_tenant(client)
    add_cases(t)
    body = t.get("/api/v1/metrics/loop?period=last_30_days").get_json()
    assert body["low_n"] == 30 and body["period"]["from"]
    summary = body["summary"]
    assert summary["cases"] == 3
    assert (summary["closed_loop"]["closed_in_time"], summary["closed_loop"]["value"]) == (2, 66.7)
    assert summary["recovered"] == {
        "n": 3,
        "recovered": 1,
        "value": 33.3,
        "interval": summary["recovered"]["interval"],
        "low_confidence": True,
    }
    assert summary["resolution_hours"]["value"] == 11.5
    assert "groups" not in body
    teams = t.get("/api/v1/metrics/loop?group_by=team").get_json()["groups"]
    assert [(g["group"], g["cases"]) for g in teams] == [("Billing", 2), ("Support", 1)]
    owners = t.get("/api/v1/metrics/loop?group_by=owner").get_json()["groups"]
    assert [(g["group"], g["cases"]) for g in owners] == [(None, 2), ("sam@acme.example", 1)]


def test_a_bad_grouping_or_period_is_named(client: FlaskClient) -> None:
    t = make_tenant(client)
    bad = t.get("/api/v1/metrics/loop?group_by=plan")
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "group_by"
    bad = t.get("/api/v1/metrics/loop?period=fortnight")
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "period"
    assert client.get("/api/v1/metrics/loop").status_code == 401
    # The route does not shadow the other metrics.
    assert t.get("/api/v1/metrics/nps").status_code == 200


def test_another_workspace_sees_none_of_these_cases(client: FlaskClient) -> None:
    add_cases(make_tenant(client, "Acme"))
    other = make_tenant(client, "Globex")
    assert other.get("/api/v1/metrics/loop").get_json()["summary"]["cases"] == 0

"""GET /api/v1/audit-events: the workspace's entries, filtered and paged, for keys that can
administer the workspace."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask.testing import FlaskClient

from feedback.accounts import workspaces
from feedback.audit.models import AuditEvent
from feedback.extensions import db
from tests.factories import make_tenant

URL = "/api/v1/audit-events"


def add(t: Any, action: str, at: datetime, actor: str = "ann@acme.example", **fields: Any) -> None:
    db.session.add(
        AuditEvent(workspace_id=t.workspace.id, at=at, actor=actor, action=action, **fields)
    )
    db.session.commit()


def test_a_read_only_key_is_refused(client: FlaskClient) -> None:
    t = make_tenant(client)
    issued = workspaces.create_api_key(t.workspace, "warehouse", ["read"])
    answer = client.get(URL, headers={"Authorization": f"Bearer {issued.secret}"})
    assert answer.status_code == 403 and "write" in answer.get_json()["error"]["message"]
    assert client.get(URL).status_code == 401


def test_entries_come_newest_first_with_every_field(client: FlaskClient) -> None:
    t = make_tenant(client)
    t.patch("/api/v1/workspace", {"low_n": 50})
    data = t.get(URL).get_json()
    newest, oldest = data["data"]
    assert data["next_cursor"] is None
    assert newest["action"] == "settings.changed" and newest["changes"] == {"low_n": [30, 50]}
    assert newest["actor"].startswith("api key ") and newest["ip"] == "127.0.0.1"
    assert newest["at"].endswith("Z") and newest["actor_user_id"] is None
    assert oldest["action"] == "api_key.created" and oldest["actor"] == "system"


def test_filters_and_cursor(client: FlaskClient) -> None:
    t = make_tenant(client)
    for day in range(1, 8):
        add(t, "member.removed", datetime(2026, 3, day, 12), target=f"day {day}")
    add(t, "member.removed", datetime(2026, 3, 4, 12), actor="bob@acme.example", target="bob's")
    query = (
        "actor=ann@acme.example&action=member.removed&since=2026-03-02&until=2026-03-06T00:00:00Z"
    )
    first = t.get(f"{URL}?{query}&limit=3").get_json()
    assert [e["target"] for e in first["data"]] == ["day 5", "day 4", "day 3"]
    second = t.get(f"{URL}?{query}&limit=3&cursor={first['next_cursor']}").get_json()
    assert [e["target"] for e in second["data"]] == ["day 2"] and second["next_cursor"] is None


def test_bad_filters_are_named(client: FlaskClient) -> None:
    t = make_tenant(client)
    for query, field in (
        ("action=nope", "action"),
        ("since=03/02/2026", "since"),
        ("since=2026-03-05&until=2026-03-01", "until"),
        ("until=9999-12-31", "until"),
        ("since=0001-01-01T00:00:00%2B05:00", "since"),
        ("cursor=xyz", "cursor"),
        ("limit=0", "limit"),
        ("actor=" + "a" * 400, "actor"),
    ):
        answer = t.get(f"{URL}?{query}")
        assert answer.status_code == 422, query
        assert answer.get_json()["error"]["field"] == field


def test_a_workspace_never_reads_anothers_entries(client: FlaskClient) -> None:
    a, b = make_tenant(client, "Alpha"), make_tenant(client, "Beta")
    a.patch("/api/v1/workspace", {"name": "Alpha renamed"})
    theirs = b.get(URL).get_json()["data"]
    assert [e["action"] for e in theirs] == ["api_key.created"]
    assert "Alpha" not in str(theirs)
    # Not by a cursor from A's listing either: the cursor only says where to start.
    cursor_from_a = a.get(f"{URL}?limit=1").get_json()["next_cursor"]
    assert "Alpha" not in str(b.get(f"{URL}?cursor={cursor_from_a}").get_json())

"""Settings → Audit log as an admin reads it: newest first, filtered, a page at a time, as
text never markup, as CSV; admins only, and only their own workspace's entries."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

import pytest
from flask.testing import FlaskClient

from feedback.audit.models import AuditEvent
from feedback.extensions import db
from tests.audit.entries import entries
from tests.factories import make_tenant
from tests.pages import member, sign_in

PAGE = "/app/settings/audit"


def admin(client: FlaskClient, name: str = "Acme") -> Any:
    t = make_tenant(client, name)
    member(t, f"boss@{name.lower()}.example", "admin")
    sign_in(client, f"boss@{name.lower()}.example")
    return t


def add(t: Any, action: str, at: datetime, actor: str = "ann@acme.example", **fields: Any) -> None:
    db.session.add(
        AuditEvent(workspace_id=t.workspace.id, at=at, actor=actor, action=action, **fields)
    )
    db.session.commit()


def rows(page: str) -> list[str]:
    """The table's rows, as the text between <tr> and </tr> in the body."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return body.split("<tr>")[1:]


@pytest.mark.parametrize("role", ["viewer", "analyst"])
def test_only_admins_read_the_log(client: FlaskClient, role: str) -> None:
    t = make_tenant(client)
    member(t, "someone@acme.example", role)
    sign_in(client, "someone@acme.example")
    assert client.get(PAGE).status_code == 403
    assert client.get(f"{PAGE}.csv").status_code == 403
    assert 'href="/app/settings/audit"' not in client.get("/app/settings").get_data(as_text=True)


def test_entries_show_newest_first_with_what_changed(client: FlaskClient) -> None:
    t = admin(client)
    add(
        t, "kpi_target.changed", datetime(2026, 3, 1, 9), target="nps", changes={"target": [40, 45]}
    )
    add(t, "settings.changed", datetime(2026, 3, 2, 9), changes={"helpdesk_secret": "changed"})
    assert 'href="/app/settings/audit"' in client.get("/app/settings").get_data(as_text=True)
    page = client.get(PAGE).get_data(as_text=True)
    found = rows(page)
    # The admin's own sign-in is the newest; the two entries of March the oldest.
    assert "signin.succeeded" in found[0]
    assert "settings.changed" in found[-2] and "helpdesk_secret:</span> changed" in found[-2]
    assert "kpi_target.changed" in found[-1] and "40 → 45" in found[-1]


def test_what_people_wrote_is_shown_as_text(client: FlaskClient) -> None:
    t = admin(client)
    t.post("/api/v1/api-keys", {"name": "<script>alert(1)</script>"})
    page = client.get(PAGE).get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page


def test_filters_by_actor_action_and_dates(client: FlaskClient) -> None:
    t = admin(client)
    add(t, "member.removed", datetime(2026, 3, 1, 9), target="one@acme.example")
    add(t, "member.removed", datetime(2026, 3, 5, 9), target="two@acme.example")
    add(t, "member.removed", datetime(2026, 3, 9, 9), target="three@acme.example")
    add(t, "member.removed", datetime(2026, 3, 5, 9), actor="other@acme.example", target="four")
    page = client.get(
        f"{PAGE}?actor=ANN@acme.example&action=member.removed&since=2026-03-02&until=2026-03-05"
    ).get_data(as_text=True)
    found = rows(page)
    assert len(found) == 1 and "two@acme.example" in found[0]
    # The filters stay chosen, and the CSV link carries them.
    assert '<option value="member.removed" selected>' in page
    assert (
        'value="2026-03-02"' in page
        and "audit.csv?actor=ANN@acme.example&amp;action=member.removed" in page
    )


def test_a_bad_filter_is_named(client: FlaskClient) -> None:
    admin(client)
    answer = client.get(f"{PAGE}?action=member.exploded")
    assert answer.status_code == 302
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Must be one of:" in page and "(action)" in page
    answer = client.get(f"{PAGE}?since=yesterday", follow_redirects=True)
    assert "Must be a date (2026-01-31) or an ISO 8601 time. (since)" in answer.get_data(
        as_text=True
    )


def test_pages_of_fifty_go_back_in_time(client: FlaskClient) -> None:
    t = admin(client)
    for n in range(60):
        add(t, "member.removed", datetime(2026, 3, 1, 9, n), target=f"m{n:02d}@acme.example")
    first = client.get(f"{PAGE}?action=member.removed").get_data(as_text=True)
    assert len(rows(first)) == 50 and "m59@" in rows(first)[0] and "m10@" in rows(first)[-1]
    link = next(
        part.split('"', 1)[0]
        for part in first.split('href="')[1:]
        if part.startswith(f"{PAGE}?") and "cursor=" in part
    )
    second = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    found = rows(second)
    assert len(found) == 10 and "m09@" in found[0] and "m00@" in found[-1]
    assert "Newest entries" in second and "Older entries" not in second


def test_the_csv_holds_the_filtered_entries_and_its_download_is_logged(
    client: FlaskClient,
) -> None:
    t = admin(client)
    add(
        t,
        "member.removed",
        datetime(2026, 3, 1, 9),
        target="=cmd|'/c calc'!A1",
        changes={"role": ["viewer", None]},
    )
    add(t, "settings.changed", datetime(2026, 3, 2, 9))
    answer = client.get(f"{PAGE}.csv?action=member.removed")
    assert answer.status_code == 200 and "audit-log.csv" in answer.headers["Content-Disposition"]
    table = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    assert [r["action"] for r in table] == ["member.removed"]
    assert table[0]["target"].startswith("'=")  # no spreadsheet formula
    assert table[0]["changes"] == '{"role": ["viewer", null]}'
    [download] = entries(t.workspace.id, "export.downloaded")
    assert download.target == "audit-log.csv?action=member.removed"


def test_another_workspaces_entries_never_show(client: FlaskClient) -> None:
    a = make_tenant(client, "Alpha")
    add(
        a,
        "member.removed",
        datetime(2026, 3, 1, 9),
        actor="alpha-admin@alpha.example",
        target="alpha-secret",
    )
    admin(client, "Beta")
    page = client.get(PAGE).get_data(as_text=True)
    assert "alpha" not in page.lower()
    assert "alpha" not in client.get(f"{PAGE}.csv").get_data(as_text=True).lower()
    assert "alpha-secret" not in client.get(f"{PAGE}?actor=alpha-admin@alpha.example").get_data(
        as_text=True
    )

"""The log itself: an entry is stored with its action or not at all, entries cannot be
changed, and the retention purge is the one way they go."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text, update
from sqlalchemy.exc import DBAPIError

from feedback.accounts.settings import update_workspace
from feedback.audit import log as audit
from feedback.audit.models import AuditEvent
from feedback.database import utcnow
from feedback.errors import Invalid
from feedback.extensions import db
from feedback.jobs import purge_old_data
from tests.audit.entries import entries, one
from tests.factories import make_tenant


def test_a_refused_change_leaves_no_entry(client: FlaskClient) -> None:
    t = make_tenant(client)
    # The name would change, but low_n is refused: nothing is stored, the entry neither.
    with pytest.raises(Invalid):
        update_workspace(t.workspace, {"name": "Renamed", "low_n": 0})
    assert entries(t.workspace.id, "settings.changed") == []
    update_workspace(t.workspace, {"name": "Renamed"})
    assert one(t.workspace.id, "settings.changed").changes == {"name": ["Acme", "Renamed"]}


def test_an_entry_cannot_be_changed_even_in_sql(client: FlaskClient) -> None:
    t = make_tenant(client)
    update_workspace(t.workspace, {"low_n": 40})
    entry = one(t.workspace.id, "settings.changed")
    with pytest.raises(DBAPIError, match="cannot be changed"):
        db.session.execute(text("UPDATE audit_event SET actor = 'someone else'"))
    db.session.rollback()
    with pytest.raises(DBAPIError, match="cannot be changed"):
        db.session.execute(update(AuditEvent).where(AuditEvent.id == entry.id).values(changes=None))
    db.session.rollback()
    assert one(t.workspace.id, "settings.changed").actor == "system"


def test_entries_older_than_the_retention_are_purged(client: FlaskClient) -> None:
    t = make_tenant(client)
    keeper = make_tenant(client, "Keeper")  # no retention: keeps everything
    assert t.patch("/api/v1/workspace", {"retention_days": 30}).status_code == 200
    now = utcnow()
    for workspace_id, days, target in (
        (t.workspace.id, 40, "old"),
        (t.workspace.id, 5, "recent"),
        (keeper.workspace.id, 400, "kept by keeper"),
        (None, 100, "old failure"),  # no workspace: the server's 90 days
        (None, 10, "recent failure"),
    ):
        db.session.add(
            AuditEvent(
                workspace_id=workspace_id,
                at=now - timedelta(days=days),
                actor="someone@example.com",
                action="signin.failed",
                target=target,
            )
        )
    db.session.commit()

    assert purge_old_data()["audit_events"] == 2

    assert {e.target for e in entries(t.workspace.id, "signin.failed")} == {"recent"}
    assert [e.target for e in entries(keeper.workspace.id, "signin.failed")] == ["kept by keeper"]
    assert [e.target for e in entries(None)] == ["recent failure"]
    # The retention change itself is on record, and recent: it stays.
    assert one(t.workspace.id, "settings.changed").changes == {"retention_days": [None, 30]}


def test_secrets_say_only_that_they_changed() -> None:
    changes = audit.changes_between(
        {"name": "A", "helpdesk_secret": None, "low_n": 30},
        {"name": "B", "helpdesk_secret": "s3cret-value-of-sixteen", "low_n": 30},
        secrets={"helpdesk_secret"},
    )
    assert changes == {"name": ["A", "B"], "helpdesk_secret": "changed"}

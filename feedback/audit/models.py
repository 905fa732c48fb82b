"""The audit log's one table, and the database trigger that keeps its rows as written."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DDL, JSON, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column

from feedback.database import utcnow
from feedback.extensions import db

# Every action the log knows, as `domain.what_happened`: the page's filter offers these.
ACTIONS = (
    "signin.succeeded",
    "signin.failed",
    "member.invited",
    "member.invite_revoked",
    "member.added",
    "member.role_changed",
    "member.removed",
    "api_key.created",
    "api_key.revoked",
    "settings.changed",
    "identity_secret.changed",
    "webhook.created",
    "webhook.deleted",
    "export.downloaded",
    "respondent.erased",
    "import.run",
    "kpi_target.changed",
    "password_reset.requested",
    "password_reset.done",
    "two_factor.enabled",
    "two_factor.disabled",
    "two_factor.recovery_codes_regenerated",
    "signin.two_factor_succeeded",
    "signin.two_factor_failed",
    "sso.signin.succeeded",
    "sso.signin.refused",
)
# What `changes` says of a secret instead of its value.
CHANGED = "changed"


class AuditEvent(db.Model):
    """One action: who (as they were then), what, on what, what changed, from where."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_workspace_at", "workspace_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # None for a failed sign-in to no account: it belongs to no workspace.
    workspace_id: Mapped[int | None] = mapped_column(
        db.ForeignKey("workspace.id", ondelete="CASCADE")
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # No foreign key: the entry outlives the account, and names it as it was.
    actor_user_id: Mapped[int | None]
    # A member's email, "api key <prefix>" or "system".
    actor: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(40), index=True)
    target: Mapped[str | None] = mapped_column(String(300))
    # {field: [before, after]}; a secret's value is never kept, only that it changed.
    changes: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(300))

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat() + "Z",
            "actor": self.actor,
            "actor_user_id": self.actor_user_id,
            "action": self.action,
            "target": self.target,
            "changes": self.changes,
            "ip": self.ip,
            "user_agent": self.user_agent,
        }


# Append-only in the database too: an UPDATE of an entry is refused whoever sends it. DELETE
# stays possible for the retention purge (and a deleted workspace's cascade).
REFUSAL = "audit_event rows cannot be changed"
SQLITE_TRIGGER = (
    "CREATE TRIGGER IF NOT EXISTS audit_event_append_only BEFORE UPDATE ON audit_event "
    f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
)
POSTGRESQL_TRIGGER = [
    "CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    f"BEGIN RAISE EXCEPTION '{REFUSAL}'; END $$",
    "DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event",
    "CREATE TRIGGER audit_event_append_only BEFORE UPDATE ON audit_event "
    "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()",
]


def _create_trigger(target: object, connection: Any, **kw: object) -> None:
    dialect = connection.dialect.name
    statements = {"sqlite": [SQLITE_TRIGGER], "postgresql": POSTGRESQL_TRIGGER}.get(dialect, [])
    for statement in statements:
        connection.execute(DDL(statement))


# A schema made by `create_all` (tests, benches) gets the trigger the migration makes.
event.listen(AuditEvent.__table__, "after_create", _create_trigger)

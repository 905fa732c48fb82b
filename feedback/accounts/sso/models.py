"""A workspace's OpenID Connect provider and what its sign-ins may do."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback.database import WorkspaceOwned, utcnow
from feedback.extensions import db


class SsoConnection(WorkspaceOwned, db.Model):
    """One workspace's provider: found by discovery from its issuer, trusted for the email
    domains listed, and, when required, the only way its members (but owners) sign in."""

    __tablename__ = "sso_connection"
    __table_args__ = (UniqueConstraint("workspace_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(255))
    # Encrypted with a key derived from the app's secret key (see sealing.py), never shown.
    client_secret_sealed: Mapped[str] = mapped_column(Text)
    allowed_domains: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The role of an account made at its first sign-in; None: only members sign in.
    default_role: Mapped[str | None] = mapped_column(String(20))
    required: Mapped[bool] = mapped_column(default=False, server_default=false())
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    workspace = relationship("Workspace")


def password_allowed(role: str, sso_required: bool) -> bool:
    """Whether a session begun with a password may work in a workspace: always, unless the
    workspace requires single sign-on; then only its owners, as the way back in."""
    return not sso_required or role == "owner"

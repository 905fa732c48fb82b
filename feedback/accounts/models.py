"""Signed-in sessions kept on the server, and invitations to join a workspace."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime
from typing import Any

from flask_login import UserMixin
from sqlalchemy import JSON, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback.accounts import password_hashes
from feedback.cases.sla import DEFAULT_SETTINGS
from feedback.database import WorkspaceOwned, utcnow
from feedback.extensions import db


class LoginSession(db.Model):
    """One signed-in browser: its cookie names it, and deleting the row signs it out."""

    __tablename__ = "login_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    # SHA-256 of the token in the cookie: a copy of this table signs nobody in.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(db.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    # The workspace this browser works in, for a person who belongs to several.
    workspace_id: Mapped[int | None] = mapped_column(
        db.ForeignKey("workspace.id", ondelete="SET NULL"), index=True
    )
    # Signed in through this workspace's single sign-on: the session works in it alone, since
    # its provider vouches for nobody's access to any other workspace.
    sso_workspace_id: Mapped[int | None] = mapped_column(
        db.ForeignKey("workspace.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class MemberInvite(WorkspaceOwned, db.Model):
    """An emailed invitation to join a workspace with a role, accepted by its link."""

    __tablename__ = "member_invite"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    role: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]

    workspace = relationship("Workspace")


class PasswordReset(db.Model):
    """A mailed link to choose a new password: used once, within its time, and only the newest."""

    __tablename__ = "password_reset"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The address asked about. A request for an address without an account leaves a row too
    # (with no user, so its link opens nothing): both cost the same, and neither answer is
    # faster. Rows are dropped a day after they expire.
    email: Mapped[str] = mapped_column(String(320), index=True)
    user_id: Mapped[int | None] = mapped_column(
        db.ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    # SHA-256 of the token in the link: a copy of this table resets no password.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


# Highest first: each role may do all that the roles after it may.
ROLES = ("owner", "admin", "analyst", "viewer")
_RANK = {role: len(ROLES) - i for i, role in enumerate(ROLES)}


def at_least(role: str | None, needed: str) -> bool:
    """Whether `role` may do what `needed` may (owner > admin > analyst > viewer)."""
    return _RANK.get(role or "", 0) >= _RANK[needed]


def _public_key() -> str:
    return "pk_" + secrets.token_urlsafe(12)


def new_identity_secret() -> str:
    """A fresh identity secret: 256 random bits, as hex (easy to paste into a server's env)."""
    return secrets.token_hex(32)


class Workspace(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    public_key: Mapped[str] = mapped_column(String(40), unique=True, default=_public_key)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    allowed_origins: Mapped[list[str]] = mapped_column(JSON, default=list)
    recontact_days: Mapped[int] = mapped_column(default=7)
    low_n: Mapped[int] = mapped_column(default=30)
    # Bumped by every taxonomy edit, so workers know their cached analyzer is stale.
    taxonomy_revision: Mapped[int] = mapped_column(default=0)
    train_requested_at: Mapped[datetime | None]
    # Shared with the helpdesk, which signs its calls with it (HMAC-SHA256 of the body).
    helpdesk_secret: Mapped[str | None] = mapped_column(String(200))
    # Host pages sign their user ids with it on their server (HMAC-SHA256): a public call whose
    # user hash matches is a verified identity; any other id or email it carries is a claim.
    identity_secret: Mapped[str | None] = mapped_column(String(64), default=new_identity_secret)
    # When on, a public call naming a respondent without a valid user hash is refused.
    require_verified_identity: Mapped[bool] = mapped_column(default=False, server_default=false())
    # When on, a member without two-factor sign-in must turn it on before using the workspace.
    require_two_factor: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Responses and displays older than this are purged; None keeps them forever.
    retention_days: Mapped[int | None]
    # Closing the loop: the SLA and business hours cases are due by (see feedback/cases/sla.py).
    case_settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Round robin: the number of cases handed out so far, so the next goes to the next handler.
    case_rotation: Mapped[int] = mapped_column(default=0)
    # What respondents' `mrr` and `arr` traits are counted in: an ISO 4217 code.
    currency: Mapped[str] = mapped_column(String(3), default="USD", server_default="USD")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    surveys = relationship("Survey", back_populates="workspace", passive_deletes=True)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "slug": self.slug,
            "public_key": self.public_key,
            "timezone": self.timezone,
            "allowed_origins": self.allowed_origins,
            "recontact_days": self.recontact_days,
            "low_n": self.low_n,
            "retention_days": self.retention_days,
            "helpdesk_secret_set": bool(self.helpdesk_secret),
            "identity_secret_set": bool(self.identity_secret),
            "require_verified_identity": self.require_verified_identity,
            "require_two_factor": self.require_two_factor,
            "currency": self.currency,
            "case_settings": {**DEFAULT_SETTINGS, **(self.case_settings or {})},
        }


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def set_password(self, password: str) -> None:
        self.password_hash = password_hashes.hash_password(password)

    def check_password(self, password: str) -> bool:
        """Whether `password` is this account's; an outdated hash of it is replaced by a
        current one, which the caller's commit (a sign-in starts a session) keeps."""
        matches, upgraded = password_hashes.verify(self.password_hash, password)
        if upgraded is not None:
            self.password_hash = upgraded
        return matches


class Membership(WorkspaceOwned, db.Model):
    __table_args__ = (UniqueConstraint("workspace_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(db.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20), default="viewer")
    # Takes cases in turn when no routing rule names an owner.
    handles_cases: Mapped[bool] = mapped_column(default=False)

    user = relationship("User")
    workspace = relationship("Workspace")


API_SCOPES = ("read", "write")


def hash_secret(secret: str) -> str:
    # Keys are long random strings, so a plain SHA-256 is enough; no need for a slow KDF.
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiKey(WorkspaceOwned, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(JSON, default=lambda: list(API_SCOPES))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    workspace = relationship("Workspace")

    def matches(self, secret: str) -> bool:
        return hmac.compare_digest(self.secret_hash, hash_secret(secret))

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "prefix": self.prefix,
            "scopes": self.scopes,
            "created_at": self.created_at.isoformat() + "Z",
            "last_used_at": self.last_used_at.isoformat() + "Z" if self.last_used_at else None,
            "revoked": self.revoked_at is not None,
        }

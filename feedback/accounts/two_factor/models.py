"""A person's authenticator secret, their recovery codes, and sign-ins waiting for a code."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from feedback.database import utcnow
from feedback.extensions import db


class TotpSecret(db.Model):
    """The secret an authenticator app shares with us: in use once `confirmed_at` is set."""

    __tablename__ = "totp_secret"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(db.ForeignKey("user.id", ondelete="CASCADE"), unique=True)
    # Fernet token under a key derived from SECRET_KEY: a copy of the database alone makes
    # no codes.
    secret_encrypted: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
    # The last 30-second step whose code was accepted: that code, and any before, is refused.
    last_step: Mapped[int | None]


class RecoveryCode(db.Model):
    """One single-use code for when the authenticator is lost, kept as its SHA-256."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(db.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None]


class PendingSignIn(db.Model):
    """A right password from an account with two-factor sign-in: not signed in until a code
    follows, within minutes and a few tries."""

    __tablename__ = "pending_sign_in"

    id: Mapped[int] = mapped_column(primary_key=True)
    # SHA-256 of the token in the browser's session cookie.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(db.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    next_path: Mapped[str | None] = mapped_column(String(2000))
    failures: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]

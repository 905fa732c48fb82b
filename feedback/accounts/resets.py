"""A forgotten password: a mailed link, good once and for a short time, to choose a new one.

Whoever asks gets the same answer, whether the address has an account or not; only its owner
gets a mail. A new password ends every session of the account: whoever had the old one is out.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
from datetime import timedelta
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import delete, select, update

from feedback.accounts import sessions, signins
from feedback.accounts.models import PasswordReset, User
from feedback.accounts.passwords import MIN_LENGTH
from feedback.database import utcnow
from feedback.errors import FeedbackError, Invalid, NotFound
from feedback.extensions import db
from feedback.mail import Mailer, MailError, base_url, notice

log = logging.getLogger(__name__)
VALID_MINUTES = 30
# Rows whose time is over are dropped at the account's next request, a day later.
_KEPT_AFTER_EXPIRY = timedelta(days=1)


class LinkSpent(FeedbackError):
    """The link was real but can no longer be used: used, expired or replaced by a newer one."""

    status, code = 410, "gone"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def request_reset(email: str) -> None:
    """Mail a reset link to `email` if it has an account; nothing tells the caller which.

    Both kinds of address get the same work (a token, its hash, a row, the mail rendered),
    and the mail goes out after the answer: a known address is not told by a slower answer.
    """
    address = (email or "").strip().lower()
    token = secrets.token_urlsafe(32)
    user = db.session.scalar(select(User).where(User.email == address))
    signins.for_account("password_reset.requested", user, address)
    now = utcnow()
    # Rows long expired are dropped rather than kept forever.
    db.session.execute(
        delete(PasswordReset).where(PasswordReset.expires_at < now - _KEPT_AFTER_EXPIRY)
    )
    db.session.add(
        PasswordReset(
            email=address,
            user_id=user.id if user else None,
            token_hash=_hash(token),
            created_at=now,
            expires_at=now + timedelta(minutes=VALID_MINUTES),
        )
    )
    db.session.commit()
    values = {"link": f"{base_url()}/app/reset/{token}", "minutes": VALID_MINUTES, "email": address}
    message = notice(
        "Choose a new password", (user.name if user else "", address), "password_reset", values
    )
    if user is not None:
        _send_later(message, f"password reset link for user {user.id}")


def find(token: str) -> PasswordReset:
    """The open reset a link carries; NotFound for a made-up one, LinkSpent once it is over."""
    row = db.session.scalar(
        select(PasswordReset).where(PasswordReset.token_hash == _hash(token or ""))
    )
    if row is None or row.user_id is None:
        raise NotFound(
            "This link is not one we sent. Check that it was copied whole, or ask for a new one."
        )
    if row.used_at is not None:
        raise LinkSpent("This link was used already: each one works once. Ask for a new one.")
    # Only the newest link sent to an address works, however close together they were asked.
    newer = select(PasswordReset.id).where(
        PasswordReset.email == row.email, PasswordReset.id > row.id
    )
    if row.expires_at <= utcnow() or db.session.scalar(newer.limit(1)) is not None:
        raise LinkSpent(
            f"This link has expired (each works for {VALID_MINUTES} minutes, and only the"
            " newest one sent). Ask for a new one."
        )
    return row


def reset_password(token: str, password: str) -> User:
    """Set the new password the link's owner chose, spend the link and end every session."""
    row = find(token)
    if len(password or "") < MIN_LENGTH:
        raise Invalid(f"A password needs at least {MIN_LENGTH} characters.", "password")
    # Spent in the same statement that checks it is unspent: two tabs submitting the same
    # link at once change the password once.
    spent = db.session.execute(
        update(PasswordReset)
        .where(PasswordReset.id == row.id, PasswordReset.used_at.is_(None))
        .values(used_at=utcnow())
    )
    if spent.rowcount != 1:
        db.session.rollback()
        raise LinkSpent("This link was used already: each one works once. Ask for a new one.")
    user = db.session.get(User, row.user_id)
    user.set_password(password)
    sessions.end_all(user.id)
    signins.for_account("password_reset.done", user, user.email)
    db.session.commit()
    links = {"login": f"{base_url()}/app/login", "forgot": f"{base_url()}/app/forgot"}
    _send_later(
        notice(
            "Your password was changed",
            (user.name, user.email),
            "password_changed",
            {"user": user, **links},
        ),
        f"password change notice for user {user.id}",
    )
    return user


def _send_later(message: EmailMessage, what: str) -> None:
    """Hand `message` to the mail server on a thread of its own, after the answer is sent:
    how long the server takes must not tell a visitor whether a mail went out."""
    mailer = Mailer(current_app.config)
    if not mailer.configured:
        log.warning("%s not mailed: no mail server is set up (FEEDBACK_SMTP_HOST)", what)
        return

    def send() -> None:
        try:
            with mailer:
                mailer.send(message)
        except MailError as exc:
            log.warning("%s not mailed: %s", what, exc)

    threading.Thread(target=send, name="password-mail").start()

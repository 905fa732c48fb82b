"""Turning two-factor sign-in on and off, recovery codes, the second step of signing in, and
a workspace's requirement of it."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum

from flask import session
from sqlalchemy import delete, or_, select, update

from feedback.accounts import signins
from feedback.accounts.models import Membership, User, Workspace
from feedback.accounts.two_factor import codes
from feedback.accounts.two_factor.models import PendingSignIn, RecoveryCode, TotpSecret
from feedback.database import use_case, utcnow
from feedback.errors import Conflict, Forbidden, Invalid, Unauthorized
from feedback.extensions import db

PENDING_MINUTES = 5
# Wrong codes allowed per pending sign-in; the next wrong one ends it (password again).
MAX_FAILURES = 5
_PENDING_KEY = "pending_signin"


class SignInExpired(Unauthorized):
    """No pending sign-in in this browser: it timed out, was used, or took too many codes."""


@dataclass(frozen=True)
class Enrolment:
    """What the enrolment page shows: the secret as a QR code and as text."""

    secret: str
    uri: str
    qr_svg: str

    @property
    def grouped(self) -> str:
        return codes.grouped(self.secret)


def _secret_row(user_id: int) -> TotpSecret | None:
    return db.session.scalar(select(TotpSecret).where(TotpSecret.user_id == user_id))


def enabled(user_id: int) -> bool:
    """Whether signing in as `user_id` asks for a code after the password."""
    return (
        db.session.scalar(
            select(TotpSecret.id).where(
                TotpSecret.user_id == user_id, TotpSecret.confirmed_at.is_not(None)
            )
        )
        is not None
    )


def required_by(user_id: int) -> list[str]:
    """The names of the user's workspaces that require two-factor sign-in."""
    return list(
        db.session.scalars(
            select(Workspace.name)
            .join(Membership, Membership.workspace_id == Workspace.id)
            .where(Membership.user_id == user_id, Workspace.require_two_factor.is_(True))
            .order_by(Workspace.name)
        )
    )


def must_enrol(workspace: Workspace, user_id: int) -> bool:
    """Whether this member must turn two-factor sign-in on before using `workspace`."""
    return bool(workspace.require_two_factor) and not enabled(user_id)


def remaining_recovery_codes(user_id: int) -> int:
    return len(
        db.session.scalars(
            select(RecoveryCode.id).where(
                RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None)
            )
        ).all()
    )


@use_case
def start_enrolment(user: User) -> Enrolment:
    """The secret to scan: the one not yet confirmed, else a new one, stored encrypted."""
    row = _secret_row(user.id)
    if row is not None and row.confirmed_at is not None:
        raise Conflict("Two-factor sign-in is already on.")
    secret = codes.decrypt(row.secret_encrypted) if row is not None else None
    if secret is None:
        secret = codes.new_secret()
        if row is None:
            row = TotpSecret(user_id=user.id, secret_encrypted="")
            db.session.add(row)
        row.secret_encrypted = codes.encrypt(secret)
    uri = codes.provisioning_uri(secret, user.email)
    return Enrolment(secret=secret, uri=uri, qr_svg=codes.qr_svg(uri))


@use_case
def confirm(user: User, code: str | None) -> list[str]:
    """Turn two-factor sign-in on once `code` shows the app has the secret; returns the
    recovery codes, which are shown this once."""
    row = _secret_row(user.id)
    if row is None or row.confirmed_at is not None:
        raise Conflict("Reload the page to get a secret to scan.")
    secret = codes.decrypt(row.secret_encrypted)
    typed = codes.read_code(code)
    if secret is None or typed is None or typed.totp is None:
        raise Invalid("Enter the 6-digit code your app shows now.", "code")
    step = codes.matching_step(secret, typed.totp)
    if step is None:
        raise Invalid(
            "That is not the code your app shows now: check that the phone's clock is right.",
            "code",
        )
    row.confirmed_at = utcnow()
    row.last_step = step  # this code cannot sign in afterwards
    fresh = _replace_recovery_codes(user)
    signins.for_account("two_factor.enabled", user)
    return fresh


def _replace_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    fresh = codes.new_recovery_codes()
    db.session.add_all(
        RecoveryCode(user_id=user.id, code_hash=codes.recovery_hash(c)) for c in fresh
    )
    return fresh


@use_case
def regenerate_recovery_codes(user: User, password: str | None) -> list[str]:
    """Ten new recovery codes in place of the old ones (all of which stop working)."""
    if not enabled(user.id):
        raise Conflict("Two-factor sign-in is off: there are no recovery codes to replace.")
    if not user.check_password(password or ""):
        raise Invalid("That is not your password.", "password")
    fresh = _replace_recovery_codes(user)
    signins.for_account("two_factor.recovery_codes_regenerated", user)
    return fresh


@use_case
def disable(user: User, password: str | None, code: str | None) -> None:
    """Turn two-factor sign-in off, with the password and a code (from the app or a
    recovery code); refused while a workspace of the user requires it."""
    if not enabled(user.id):
        raise Conflict("Two-factor sign-in is already off.")
    if not user.check_password(password or ""):
        raise Invalid("That is not your password.", "password")
    requiring = required_by(user.id)
    if requiring:
        raise Forbidden(f"{requiring[0]} requires two-factor sign-in of its members.", "code")
    outcome = _use_code(user.id, code)
    if outcome is not Outcome.OK:
        raise Invalid(outcome.value, "code")
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(delete(TotpSecret).where(TotpSecret.user_id == user.id))
    signins.for_account("two_factor.disabled", user)


class Outcome(Enum):
    """What became of a code typed at a prompt; the value is what the person is told."""

    OK = ""
    MALFORMED = "Enter the 6-digit code from your app, or one of your recovery codes."
    WRONG = "That code is not right. Check your app and try again."
    USED = "That code was used already: wait for your app to show the next one."


def _use_code(user_id: int, text: str | None) -> Outcome:
    """Check a code and use it up: an app's code once per 30 s step, a recovery code once."""
    typed = codes.read_code(text)
    if typed is None:
        return Outcome.MALFORMED
    if typed.recovery is not None:
        # Conditional on not used yet, so two browsers racing with one code: one wins.
        spent = db.session.execute(
            update(RecoveryCode)
            .where(
                RecoveryCode.user_id == user_id,
                RecoveryCode.code_hash == codes.recovery_hash(typed.recovery),
                RecoveryCode.used_at.is_(None),
            )
            .values(used_at=utcnow())
        )
        return Outcome.OK if spent.rowcount == 1 else Outcome.WRONG
    row = _secret_row(user_id)
    secret = codes.decrypt(row.secret_encrypted) if row and row.confirmed_at else None
    step = codes.matching_step(secret, typed.totp or "") if secret else None
    if step is None:
        return Outcome.WRONG
    # Only a step later than the last accepted one: a code seen over a shoulder or in a proxy
    # log cannot be used again, even inside its 30 seconds.
    moved = db.session.execute(
        update(TotpSecret)
        .where(
            TotpSecret.user_id == user_id,
            or_(TotpSecret.last_step.is_(None), TotpSecret.last_step < step),
        )
        # Re-encrypted under the current key: after a key rotation, the old key can go once
        # its fallback period is over without locking out those who signed in meanwhile.
        .values(last_step=step, secret_encrypted=codes.reseal(row.secret_encrypted))
    )
    return Outcome.OK if moved.rowcount == 1 else Outcome.USED


# -- the second step of signing in ------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def begin_sign_in(user: User, next_path: str | None) -> None:
    """The password was right: hold the sign-in for a code, in this browser only."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.execute(
        delete(PendingSignIn).where(
            or_(PendingSignIn.user_id == user.id, PendingSignIn.expires_at <= now)
        )
    )
    db.session.add(
        PendingSignIn(
            token_hash=_hash(token),
            user_id=user.id,
            next_path=next_path,
            expires_at=now + timedelta(minutes=PENDING_MINUTES),
        )
    )
    db.session.commit()
    session[_PENDING_KEY] = token


def pending_sign_in() -> PendingSignIn | None:
    """This browser's sign-in waiting for a code, while it lasts."""
    token = session.get(_PENDING_KEY)
    if not isinstance(token, str) or not token:
        return None
    return db.session.scalar(
        select(PendingSignIn).where(
            PendingSignIn.token_hash == _hash(token), PendingSignIn.expires_at > utcnow()
        )
    )


def _end_pending(row: PendingSignIn) -> None:
    db.session.execute(delete(PendingSignIn).where(PendingSignIn.id == row.id))
    db.session.commit()
    session.pop(_PENDING_KEY, None)


def finish_sign_in(code: str | None) -> tuple[User, str | None]:
    """The user a right code signs in, with where they were going. A wrong code counts
    against the pending sign-in (refused with Invalid); too many end it (SignInExpired)."""
    row = pending_sign_in()
    user = db.session.get(User, row.user_id) if row is not None else None
    if row is None or user is None:
        session.pop(_PENDING_KEY, None)
        raise SignInExpired("Your sign-in timed out: enter your email and password again.")
    outcome = _use_code(user.id, code)
    if outcome is Outcome.OK:
        _end_pending(row)  # commits the code's use too
        signins.for_account("signin.two_factor_succeeded", user)
        return user, row.next_path
    db.session.execute(
        update(PendingSignIn)
        .where(PendingSignIn.id == row.id)
        .values(failures=PendingSignIn.failures + 1)
    )
    failures = db.session.scalar(select(PendingSignIn.failures).where(PendingSignIn.id == row.id))
    signins.for_account("signin.two_factor_failed", user)
    if failures is None or failures >= MAX_FAILURES:
        _end_pending(row)
        raise SignInExpired("Too many wrong codes: enter your email and password again.")
    db.session.commit()
    raise Invalid(outcome.value, "code")

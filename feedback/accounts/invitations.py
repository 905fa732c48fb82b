"""Joining a workspace: an admin invites an address; the person behind it accepts by link.

One person has one account and may belong to many workspaces. No admin sets or learns the
password of an account: an existing account accepts by signing in as itself, and a new one
chooses its own password on the invitation's page.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formataddr

from flask import current_app, render_template
from sqlalchemy import delete, select

from feedback.accounts.members import check_grant
from feedback.accounts.models import MemberInvite, Membership, User, Workspace
from feedback.audit import log as audit
from feedback.database import in_workspace, owned_by, utcnow
from feedback.errors import Conflict, Forbidden, Invalid, NotFound
from feedback.extensions import db
from feedback.mail import Mailer, MailError, clean_email

log = logging.getLogger(__name__)
VALID_DAYS = 7
MIN_PASSWORD = 8


@dataclass(frozen=True)
class Issued:
    invite: MemberInvite
    link: str
    mailed: bool
    days: int = VALID_DAYS


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite(workspace: Workspace, actor: User, actor_role: str, email: str, role: str) -> Issued:
    """Invite `email` to join with `role`; the link is mailed when mail is set up."""
    check_grant(actor_role, role)
    email = clean_email(email, "email")
    already = db.session.scalar(
        in_workspace(Membership, workspace.id, Membership.id)
        .join(User, User.id == Membership.user_id)
        .where(User.email == email)
    )
    if already is not None:
        raise Conflict(f"{email} is a member already; change their role in the list.", "email")
    # A second invitation to one address replaces the first: only the newest link works.
    db.session.execute(
        delete(MemberInvite).where(
            owned_by(MemberInvite, workspace.id),
            MemberInvite.email == email,
            MemberInvite.accepted_at.is_(None),
        )
    )
    token = secrets.token_urlsafe(32)
    row = MemberInvite(
        workspace_id=workspace.id,
        email=email,
        role=role,
        token_hash=_hash(token),
        invited_by_id=actor.id,
        expires_at=utcnow() + timedelta(days=VALID_DAYS),
    )
    db.session.add(row)
    audit.record(
        "member.invited",
        workspace_id=workspace.id,
        actor=audit.member(actor),
        target=email,
        changes={"role": [None, role]},
    )
    db.session.commit()
    link = f"{str(current_app.config['FEEDBACK_BASE_URL']).rstrip('/')}/app/join/{token}"
    return Issued(row, link, _mail(row, workspace, actor, link))


def _mail(row: MemberInvite, workspace: Workspace, actor: User, link: str) -> bool:
    mailer = Mailer(current_app.config)
    if not mailer.configured:
        return False
    values = {
        "workspace": workspace,
        "inviter": actor,
        "role": row.role,
        "link": link,
        "days": VALID_DAYS,
    }
    message = EmailMessage()
    message["Subject"] = f"Join {' '.join(workspace.name.split())} on Feedback"
    message["From"] = formataddr(("Feedback", current_app.config["FEEDBACK_MAIL_FROM"]))
    message["To"] = row.email
    message.set_content(render_template("email/member_invite.txt", **values))
    message.add_alternative(render_template("email/member_invite.html", **values), subtype="html")
    try:
        with mailer:
            mailer.send(message)
    except MailError as exc:
        log.warning("member invitation %s not mailed: %s", row.id, exc)
        return False
    return True


def pending(workspace: Workspace) -> list[MemberInvite]:
    return list(
        db.session.scalars(
            in_workspace(MemberInvite, workspace.id)
            .where(MemberInvite.accepted_at.is_(None), MemberInvite.expires_at > utcnow())
            .order_by(MemberInvite.created_at.desc())
        )
    )


def revoke(workspace: Workspace, invite_id: int) -> None:
    row = db.session.scalar(
        in_workspace(MemberInvite, workspace.id).where(MemberInvite.id == invite_id)
    )
    if row is not None:
        audit.record("member.invite_revoked", workspace_id=workspace.id, target=row.email)
        db.session.delete(row)
    db.session.commit()


def find(token: str) -> MemberInvite:
    """The open invitation a link carries; NotFound when used, revoked, expired or made up."""
    row = db.session.scalar(
        select(MemberInvite).where(MemberInvite.token_hash == _hash(token or ""))
    )
    if row is None or row.accepted_at is not None or row.expires_at <= utcnow():
        raise NotFound("This invitation was used, withdrawn or has expired; ask for a new one.")
    return row


def has_account(row: MemberInvite) -> bool:
    return db.session.scalar(select(User.id).where(User.email == row.email)) is not None


def accept(token: str, user: User) -> Workspace:
    """The signed-in person joins; only the account the invitation was sent to may."""
    row = find(token)
    if user.email != row.email:
        raise Forbidden(f"This invitation is for {row.email}; sign in as that account.")
    return _join(row, user)


def accept_new(token: str, name: str, password: str) -> User:
    """A person without an account makes one with their own password, and joins."""
    row = find(token)
    if has_account(row):
        raise Conflict(f"{row.email} has an account already; sign in to accept.", "email")
    if len(password or "") < MIN_PASSWORD:
        raise Invalid(f"A password needs at least {MIN_PASSWORD} characters.", "password")
    user = User(email=row.email, name=(name or "").strip()[:200] or row.email.split("@")[0])
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    _join(row, user)
    return user


def _join(row: MemberInvite, user: User) -> Workspace:
    exists = db.session.scalar(
        in_workspace(Membership, row.workspace_id).where(Membership.user_id == user.id)
    )
    if exists is None:
        db.session.add(Membership(workspace_id=row.workspace_id, user_id=user.id, role=row.role))
        # The person joining acts: on a new account they are not signed in yet.
        audit.record(
            "member.added",
            workspace_id=row.workspace_id,
            actor=audit.member(user),
            target=user.email,
            changes={"role": [None, row.role]},
        )
    row.accepted_at = utcnow()
    db.session.commit()
    return db.session.get(Workspace, row.workspace_id)

"""Signing in through a workspace's provider: the authorization code flow with PKCE (S256),
state and nonce, done by Authlib's Flask client; then who the provider vouches for is matched
to an account, made just in time, or refused."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import FlaskIntegration, FlaskOAuth2App
from flask import redirect, session
from joserfc.errors import JoseError
from sqlalchemy import select
from werkzeug.wrappers import Response as HttpResponse

from feedback.accounts.models import MemberInvite, Membership, User, Workspace
from feedback.accounts.sso.discovery import discovery_url
from feedback.accounts.sso.models import SsoConnection, password_allowed
from feedback.accounts.sso.sealing import unseal
from feedback.audit import log as audit
from feedback.database import in_workspace, owned_by, use_case, utcnow
from feedback.errors import FeedbackError
from feedback.extensions import db

# One client name for every workspace: the state data kept in the session names the workspace.
_CLIENT = "sso"
_SCOPE = "openid email profile"


class SignInRefused(FeedbackError):
    """A sign-in the provider finished but this workspace does not let in. It names the
    workspace, the address and the reason for the audit log (log_refusal)."""

    status, code = 403, "sso_refused"

    def __init__(
        self,
        message: str,
        *,
        workspace_id: int | None = None,
        email: str | None = None,
        reason: str = "",
        code: str | None = None,
    ) -> None:
        super().__init__(message, code=code)
        self.workspace_id, self.email, self.reason = workspace_id, email, reason


class BadState(SignInRefused):
    status, code = 400, "sso_state"


def _who(email: str | None, reason: str = "") -> tuple[audit.Actor, str]:
    who = (email or "unknown")[:320]
    return audit.Actor(who), (f"{who}: {reason}" if reason else who)[:300]


@use_case
def log_refusal(refused: SignInRefused) -> None:
    """The refused sign-in in the audit log, in a transaction of its own: the refusal rolled
    its own back."""
    actor, target = _who(refused.email, refused.reason)
    audit.record(
        "sso.signin.refused", workspace_id=refused.workspace_id, actor=actor, target=target
    )


def _client(connection: SsoConnection) -> FlaskOAuth2App:
    """Authlib's Flask client for this workspace's provider, from its discovery document."""
    return FlaskOAuth2App(
        FlaskIntegration(_CLIENT),
        _CLIENT,
        client_id=connection.client_id,
        client_secret=unseal(connection.client_secret_sealed),
        server_metadata_url=discovery_url(connection.issuer),
        client_kwargs={"scope": _SCOPE, "code_challenge_method": "S256", "default_timeout": 10},
    )


def find_workspace(ref: str) -> SsoConnection | None:
    """The provider of the workspace named by its slug or its id, if it has one."""
    condition = Workspace.slug == ref
    if ref.isascii() and ref.isdigit() and len(ref) < 10:
        condition = condition | (Workspace.id == int(ref))
    return db.session.scalar(
        select(SsoConnection)
        .join(Workspace, Workspace.id == SsoConnection.workspace_id)
        .where(condition)
    )


def begin(connection: SsoConnection, redirect_uri: str, email: str | None = None) -> HttpResponse:
    """Send the browser to the provider; the state, nonce and PKCE verifier wait in the
    (signed) session cookie for the callback."""
    client = _client(connection)
    extra = {"login_hint": email} if email else {}
    try:
        sent = client.create_authorization_url(redirect_uri, **extra)
    except (requests.RequestException, ValueError, RuntimeError) as exc:
        raise SignInRefused(
            "The sign-in provider cannot be reached just now. Try again in a moment, or ask "
            "an admin to check Settings → Single sign-on."
        ) from exc
    client.save_authorize_data(
        redirect_uri=redirect_uri, workspace_id=connection.workspace_id, **sent
    )
    return redirect(sent["url"])


@dataclass(frozen=True)
class SignedIn:
    user: User
    workspace: Workspace
    created: bool


def finish(args: dict[str, str]) -> SignedIn:
    """Check the provider's answer (state, then the code exchanged for tokens whose ID token
    Authlib checks: signature from the JWKS, issuer, audience, nonce, expiry) and sign in."""
    state = args.get("state") or ""
    pending = FlaskIntegration(_CLIENT).get_state_data(session, state)
    if not pending or "workspace_id" not in pending:
        raise BadState(
            "This sign-in did not start in this browser, was already used or has expired. "
            "Start again from the sign-in page.",
            reason="state",
        )
    workspace_id = int(pending["workspace_id"])
    connection = db.session.scalar(in_workspace(SsoConnection, workspace_id))
    if connection is None:
        raise SignInRefused(
            "This workspace no longer signs in with single sign-on.",
            workspace_id=workspace_id,
            reason="sso_off",
        )
    claims = _verified_claims(connection, args)
    return _admit(connection, claims)


def _verified_claims(connection: SsoConnection, args: dict[str, str]) -> dict[str, Any]:
    client = _client(connection)
    if args.get("error"):
        raise SignInRefused(
            f"The provider did not sign you in ({args['error'][:100]}"
            f"{': ' + args['error_description'][:200] if args.get('error_description') else ''}).",
            workspace_id=connection.workspace_id,
            reason=f"provider:{args['error']}",
        )
    try:
        token = client.authorize_access_token(
            claims_options={"iss": {"essential": True, "value": connection.issuer}}
        )
        claims = dict(token.get("userinfo") or {})
        if not claims:
            raise OAuthError(description="no ID token")
        # Some providers keep email claims out of the ID token of a code flow: ask userinfo,
        # and take its answer only about the same subject.
        if "email" not in claims or "email_verified" not in claims:
            extra = client.userinfo(token=token)
            if extra.get("sub") == claims.get("sub"):
                claims = {**extra, **claims}
    except (AuthlibBaseError, JoseError, requests.RequestException, ValueError, KeyError) as exc:
        raise SignInRefused(
            "The provider's answer could not be verified, so nobody was signed in. Start again "
            "from the sign-in page; if it happens again, an admin can check Settings → Single "
            "sign-on.",
            workspace_id=connection.workspace_id,
            reason=f"token:{exc}",
        ) from exc
    return claims


@use_case
def _admit(connection: SsoConnection, claims: dict[str, Any]) -> SignedIn:
    workspace = connection.workspace
    email = str(claims.get("email") or "").strip().lower()
    refused = _refusal(connection, claims, email)
    if refused:
        raise SignInRefused(
            refused[1],
            workspace_id=workspace.id,
            email=email or None,
            reason=refused[0],
            code=f"sso_{refused[0]}",
        )
    user = db.session.scalar(select(User).where(User.email == email))
    member = (
        db.session.scalar(
            select(Membership).where(
                Membership.user_id == user.id, owned_by(Membership, workspace.id)
            )
        )
        if user is not None
        else None
    )
    created = False
    invited = _open_invitation(workspace.id, email) if member is None else None
    role = invited.role if invited is not None else connection.default_role
    if member is None:
        if role is None:
            raise SignInRefused(
                f"{email} is not a member of {workspace.name}, which lets in only the people "
                "its admins invite. Ask an admin of the workspace to invite you.",
                workspace_id=workspace.id,
                email=email,
                reason="not_member",
                code="sso_not_member",
            )
        if user is None:
            user = User(email=email, name=str(claims.get("name") or "")[:200])
            # A password nobody knows: this account signs in through its provider.
            user.set_password(secrets.token_urlsafe(32))
            db.session.add(user)
            db.session.flush()
            created = True
        db.session.add(Membership(workspace_id=workspace.id, user_id=user.id, role=role))
        if invited is not None:
            # The provider verified the address the invitation went to: it is accepted.
            invited.accepted_at = utcnow()
    db.session.flush()
    # In the transaction that lets the person in.
    actor, target = _who(email, "created" if created else "")
    audit.record("sso.signin.succeeded", workspace_id=workspace.id, actor=actor, target=target)
    return SignedIn(user, workspace, created)


def _open_invitation(workspace_id: int, email: str) -> MemberInvite | None:
    return db.session.scalar(
        in_workspace(MemberInvite, workspace_id)
        .where(
            MemberInvite.email == email,
            MemberInvite.accepted_at.is_(None),
            MemberInvite.expires_at > utcnow(),
        )
        .order_by(MemberInvite.created_at.desc())
        .limit(1)
    )


def _refusal(
    connection: SsoConnection, claims: dict[str, Any], email: str
) -> tuple[str, str] | None:
    """Why the provider's word does not let this person in, as (reason, message), or None."""
    if not email or "@" not in email:
        return "no_email", "The provider did not say which email address you sign in with."
    # Entra ID never sends email_verified for its organisations' accounts; its optional claim
    # xms_edov (the tenant owns the email's domain) stands in only when email_verified is absent.
    verified = claims.get("email_verified")
    if verified is None:
        verified = claims.get("xms_edov")
    if verified is not True:
        return "unverified", (
            f"The provider has not verified that {email} is yours, so it cannot sign you in "
            "here. Verify the address with your provider, then try again."
        )
    domain = email.rpartition("@")[2]
    if domain not in connection.allowed_domains:
        allowed = ", ".join(connection.allowed_domains)
        return "domain", (
            f"{connection.workspace.name} lets in addresses at {allowed} only, and the "
            f"provider signed you in as {email}."
        )
    return None


def password_refusal(user: User) -> str | None:
    """Why this person may not sign in with a password: every workspace of theirs requires
    single sign-on and they own none of them. (A password session reaches only the workspaces
    `password_allowed` lets it: see feedback/web/auth.py.)"""
    rows = db.session.execute(
        select(Workspace.name, Membership.role, SsoConnection.required)
        .join(Membership, Membership.workspace_id == Workspace.id)
        .outerjoin(SsoConnection, SsoConnection.workspace_id == Workspace.id)
        .where(Membership.user_id == user.id)
        .order_by(Workspace.name)
    ).all()
    if not rows or any(password_allowed(role, bool(required)) for _, role, required in rows):
        return None
    return f"{rows[0][0]} requires single sign-on: use “Sign in with SSO” with your work email."

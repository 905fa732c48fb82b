"""Creating workspaces, users, memberships and API keys."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select

from feedback.accounts.models import (
    API_SCOPES,
    ROLES,
    ApiKey,
    Membership,
    User,
    Workspace,
    hash_secret,
)
from feedback.audit import log as audit
from feedback.database import in_workspace, use_case, utcnow
from feedback.errors import Conflict, Invalid, NotFound
from feedback.extensions import db
from feedback.lookups import cached
from feedback.periods import zone
from feedback.themes.taxonomy import seed_default_taxonomy

_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(name: str) -> str:
    return _SLUG.sub("-", name.lower()).strip("-")[:80] or "workspace"


def create_workspace(
    name: str,
    slug: str | None = None,
    timezone: str = "UTC",
    allowed_origins: list[str] | None = None,
) -> Workspace:
    """A new tenant with its own public key."""
    zone(timezone)  # every report reads it: a name no report can use is refused here
    slug = slugify(slug or name)
    if db.session.scalar(select(Workspace.id).where(Workspace.slug == slug)):
        raise Conflict(f"A workspace with the slug {slug!r} exists already.", "slug")
    workspace = Workspace(
        name=name, slug=slug, timezone=timezone, allowed_origins=allowed_origins or []
    )
    db.session.add(workspace)
    db.session.flush()
    seed_default_taxonomy(workspace)
    return workspace


_WORKSPACE = Workspace.__table__
_BY_PUBLIC_KEY = select(_WORKSPACE).where(_WORKSPACE.c.public_key == bindparam("key"))


def by_public_key(public_key: str) -> Workspace | None:
    """The workspace of a public key, as a detached object: the public API only reads it."""

    def load() -> Workspace | None:
        row = db.session.execute(_BY_PUBLIC_KEY, {"key": public_key}).mappings().first()
        return Workspace(**row) if row is not None else None

    return cached(("workspace", public_key), load)


def get_workspace(slug: str) -> Workspace:
    workspace = db.session.scalar(select(Workspace).where(Workspace.slug == slug))
    if workspace is None:
        raise NotFound(f"No workspace {slug!r}.", "workspace")
    return workspace


def add_user(workspace: Workspace, email: str, password: str, role: str = "admin") -> User:
    """Create the user if needed and give them `role` in the workspace."""
    if role not in ROLES:
        raise Invalid(f"Role must be one of: {', '.join(ROLES)}.", "role")
    if len(password) < 8:
        raise Invalid("A password needs at least 8 characters.", "password")
    email = email.strip().lower()
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email, name=email.split("@")[0])
        user.set_password(password)
        db.session.add(user)
        db.session.flush()
    membership = db.session.scalar(
        in_workspace(Membership, workspace.id).where(Membership.user_id == user.id)
    )
    if membership is None:
        db.session.add(Membership(workspace_id=workspace.id, user_id=user.id, role=role))
        audit.record(
            "member.added",
            workspace_id=workspace.id,
            target=email,
            changes={"role": [None, role]},
        )
    elif membership.role != role:
        audit.record(
            "member.role_changed",
            workspace_id=workspace.id,
            target=email,
            changes={"role": [membership.role, role]},
        )
        membership.role = role
    db.session.flush()
    return user


@dataclass
class IssuedKey:
    key: ApiKey
    secret: str  # shown once; only its hash is stored


def _scopes(value: Any) -> list[str]:
    if value is None:
        return list(API_SCOPES)
    # Each one checked as text before it is hashed or compared: a JSON `true` or `{}` is not a
    # scope. An empty list is refused rather than read as "every scope".
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(s, str) and s in API_SCOPES for s in value)
    ):
        raise Invalid(f"Must be a non-empty list of: {', '.join(API_SCOPES)}.", "scopes")
    return list(dict.fromkeys(value))


@use_case
def create_api_key(workspace: Workspace, name: Any, scopes: Any = None) -> IssuedKey:
    """A new secret key; the plain text is returned once and never stored."""
    scopes = _scopes(scopes)
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise Invalid("A key needs a name of 1 to 200 characters.", "name")
    prefix = secrets.token_hex(6)
    secret = f"fbk_{prefix}_{secrets.token_urlsafe(24)}"
    key = ApiKey(
        workspace_id=workspace.id,
        name=name.strip(),
        prefix=prefix,
        secret_hash=hash_secret(secret),
        scopes=scopes,
    )
    db.session.add(key)
    audit.record(
        "api_key.created",
        workspace_id=workspace.id,
        target=_key_label(key),
        changes={"scopes": [None, scopes]},
    )
    db.session.flush()
    return IssuedKey(key, secret)


def _key_label(key: ApiKey) -> str:
    return f"{key.name} (fbk_{key.prefix})"


def authenticate_api_key(secret: str) -> ApiKey | None:
    """The live key for this secret, or None."""
    parts = secret.split("_")
    if len(parts) < 3 or parts[0] != "fbk":
        return None
    key = db.session.scalar(select(ApiKey).where(ApiKey.prefix == parts[1]))
    if key is None or key.revoked_at is not None or not key.matches(secret):
        return None
    now = utcnow()
    # Recording every use would turn each read into a write; once a minute is enough.
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        key.last_used_at = now
        db.session.commit()
    return key


@use_case
def revoke_api_key(workspace: Workspace, key_id: int) -> ApiKey:
    key = db.session.scalar(in_workspace(ApiKey, workspace.id).where(ApiKey.id == key_id))
    if key is None:
        raise NotFound(f"No API key {key_id}.", "id")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        audit.record("api_key.revoked", workspace_id=workspace.id, target=_key_label(key))
    db.session.flush()
    return key


def list_api_keys(workspace: Workspace) -> list[ApiKey]:
    return list(db.session.scalars(in_workspace(ApiKey, workspace.id).order_by(ApiKey.id)))

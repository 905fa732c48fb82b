"""Setting up a workspace's provider: checked by discovery when saved."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select

from feedback.accounts.models import Workspace
from feedback.accounts.sso.discovery import clean_issuer, discover
from feedback.accounts.sso.models import SsoConnection
from feedback.accounts.sso.sealing import seal
from feedback.database import in_workspace, use_case
from feedback.errors import Invalid
from feedback.extensions import db

# Roles an account made at its first sign-in may get: an owner is always made by hand.
JIT_ROLES = ("viewer", "analyst", "admin")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


@dataclass(frozen=True)
class ConnectionSettings:
    """What an admin enters; a blank secret keeps the one saved before."""

    issuer: str
    client_id: str
    client_secret: str
    allowed_domains: list[str]
    default_role: str | None
    required: bool


def connection_of(workspace: Workspace) -> SsoConnection | None:
    return db.session.scalar(in_workspace(SsoConnection, workspace.id))


def clean_domains(domains: list[str]) -> list[str]:
    """Lower-case domain names, each once; Invalid names the first that is not one."""
    cleaned: list[str] = []
    for raw in domains:
        domain = raw.strip().lower().removeprefix("@")
        if not _DOMAIN.match(domain):
            raise Invalid(f"{raw[:100]!r} is not a domain name such as example.com.", "domains")
        if domain not in cleaned:
            cleaned.append(domain)
    if not cleaned:
        # Without it a shared issuer (Google's, Microsoft's) would let in any of its accounts.
        raise Invalid("List at least one email domain whose people may sign in.", "domains")
    if len(cleaned) > 50:
        raise Invalid("List at most 50 domains.", "domains")
    return cleaned


@use_case
def save_connection(workspace: Workspace, entered: ConnectionSettings) -> SsoConnection:
    """Create or change the workspace's provider after fetching and checking its discovery
    document; Invalid, naming the field, when anything is wrong."""
    issuer = clean_issuer(entered.issuer)
    client_id = entered.client_id.strip()
    if not client_id or len(client_id) > 255:
        raise Invalid(
            "Enter the client ID the provider gave (at most 255 characters).", "client_id"
        )
    domains = clean_domains(entered.allowed_domains)
    if entered.default_role is not None and entered.default_role not in JIT_ROLES:
        raise Invalid(f"Choose one of {', '.join(JIT_ROLES)}, or nobody.", "default_role")
    connection = connection_of(workspace)
    if connection is None and not entered.client_secret:
        raise Invalid("Enter the client secret the provider gave.", "client_secret")
    document = discover(issuer)
    if connection is None:
        connection = SsoConnection(workspace_id=workspace.id)
        db.session.add(connection)
    connection.issuer = str(document["issuer"])
    connection.client_id = client_id
    if entered.client_secret:
        connection.client_secret_sealed = seal(entered.client_secret)
    connection.allowed_domains = domains
    connection.default_role = entered.default_role
    connection.required = entered.required
    db.session.flush()
    return connection


@use_case
def remove_connection(workspace: Workspace) -> None:
    """Turn single sign-on off: members sign in with their passwords again."""
    connection = connection_of(workspace)
    if connection is not None:
        db.session.delete(connection)


def connection_for_email(email: str) -> SsoConnection | None:
    """The one workspace whose provider signs in addresses at this email's domain; None when
    no workspace, or several, do (then a person uses their workspace's own link)."""
    domain = email.rpartition("@")[2].strip().lower()
    # Few rows (one per workspace with a provider): matched here, the same on both databases.
    found = [c for c in db.session.scalars(select(SsoConnection)) if domain in c.allowed_domains]
    return found[0] if len(found) == 1 else None

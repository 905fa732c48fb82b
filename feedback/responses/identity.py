"""Who a public call says it is: a claim, unless the host's server signed the user id.

The public key is in every host page, so anybody can call the public API naming any user id
and any email. Such a call is a *claim*: it is kept on its own response and never changes
what a verified source stored, nor is it mailed. A call whose `respondent.user_hash` is the
HMAC-SHA256 of the user id under the workspace's identity secret (made on the host's server,
as Intercom's and Formbricks' identity verification do it) is a verified identity: its id,
email and traits are facts, and may update the respondent.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import replace
from typing import Any

from feedback.accounts.models import Workspace, new_identity_secret
from feedback.audit import log as audit
from feedback.errors import Forbidden, Invalid
from feedback.extensions import db, writing
from feedback.lookups import forget
from feedback.responses.respondents import RespondentInput, parse_respondent

DOCS = "see docs/widget.md, Identity verification"
MAX_HASH = 128


class IdentityInvalid(Forbidden):
    code = "identity_invalid"


class IdentityUnverified(Forbidden):
    code = "identity_unverified"


def user_hash(secret: str, user_id: str) -> str:
    """The hex HMAC-SHA256 of a user id under an identity secret: what a host's server makes."""
    return hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def _given_hash(raw: Any) -> str | None:
    value = raw.get("user_hash") if isinstance(raw, dict) else None
    if value is None:
        return None
    if not isinstance(value, str) or not 0 < len(value) <= MAX_HASH:
        raise Invalid("Must be the hex HMAC-SHA256 of the user id.", "respondent.user_hash")
    return value


def public_respondent(
    workspace: Workspace, raw: Any, max_value: int, anonymous_id: Any = None
) -> RespondentInput | None:
    """The respondent a public call names: verified when its user hash matches, else a claim.

    A wrong hash is refused, and so is an unsigned id or email when the workspace requires
    verified identities; an anonymous visitor (no id, no email) is always welcome.
    """
    given = _given_hash(raw)
    person = parse_respondent(raw, max_value, anonymous_id)
    named = isinstance(raw, dict) and (raw.get("id") is not None or raw.get("email") is not None)
    if given is None:
        if named and workspace.require_verified_identity:
            raise IdentityUnverified(
                "This workspace requires identify() with a user hash made on your server "
                f"(respondent.user_hash); {DOCS}.",
                "respondent.user_hash",
            )
        return person
    if person is None or not isinstance(raw, dict) or raw.get("id") is None:
        raise Invalid("A user hash signs the user id: send respondent.id with it.", "respondent.id")
    secret = workspace.identity_secret
    if not secret:
        raise IdentityInvalid(
            f"This workspace has no identity secret yet: rotate one in Settings; {DOCS}.",
            "respondent.user_hash",
        )
    expected = user_hash(secret, str(person.external_id)).encode()
    if not hmac.compare_digest(expected, given.lower().encode()):
        raise IdentityInvalid(
            "The user hash does not match this user id: make it on your server as the hex "
            "HMAC-SHA256 of the id under the workspace's current identity secret (it changes "
            f"when the secret is rotated); {DOCS}.",
            "respondent.user_hash",
        )
    return replace(person, verified=True)


def rotate_identity_secret(workspace: Workspace) -> str:
    """Issue a new identity secret; hashes made with the old one are refused from now on."""
    with writing():
        workspace.identity_secret = new_identity_secret()
        audit.record(
            "identity_secret.changed",
            workspace_id=workspace.id,
            target="identity secret",
            changes={"identity_secret": audit.CHANGED},
        )
        forget("workspace", workspace.public_key)
        db.session.commit()
    return workspace.identity_secret

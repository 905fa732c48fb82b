"""Erasing a person everywhere the survey mail kept them: their responses and cases (the
responses domain's erasure), and the invites addressed to them, whose address, name and context
go while the counts of mails sent stay."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, or_, update

from feedback.accounts.models import Workspace
from feedback.audit import log as audit
from feedback.database import owned_by, use_case
from feedback.email.models import EmailInvite
from feedback.extensions import db
from feedback.responses import respondents
from feedback.responses.models import Respondent

ERASED = "erased@invalid"  # an address that can receive nothing (RFC 6761's .invalid)


@use_case
def erase_person(workspace: Workspace, respondent: Respondent) -> dict[str, Any]:
    """Erase one respondent and scrub the invites to them: those not yet sent are held back."""
    # An invite is theirs by the respondent it made, by their id, or by their address.
    mine = [EmailInvite.respondent_id == respondent.id]
    if respondent.external_id:
        mine.append(EmailInvite.external_id == respondent.external_id)
    if respondent.email:
        mine.append(EmailInvite.email == respondent.email.lower())
    scrubbed = db.session.execute(
        update(EmailInvite)
        .where(owned_by(EmailInvite, workspace.id), or_(*mine))
        .values(
            email=ERASED,
            name=None,
            external_id=None,
            context={},
            status=_held_back(),
            suppressed_reason=_held_back_reason(),
        )
    )
    # The row id alone names them: their email or external id would outlive the erasure here.
    audit.record(
        "respondent.erased", workspace_id=workspace.id, target=f"respondent {respondent.id}"
    )
    erased = respondents.erase(workspace, respondent)
    return {**erased, "invites": scrubbed.rowcount or 0}


@use_case
def erase_respondent(workspace: Workspace, external_id: str) -> dict[str, Any]:
    """Erase the respondent known by `external_id` (DELETE /api/v1/respondents/...)."""
    return erase_person(workspace, respondents.get_respondent(workspace, external_id))


def _held_back() -> Any:
    return case((EmailInvite.status == "scheduled", "suppressed"), else_=EmailInvite.status)


def _held_back_reason() -> Any:
    return case(
        (EmailInvite.status == "scheduled", "the person was erased"),
        else_=EmailInvite.suppressed_reason,
    )

"""Working a case until it is closed: its status, owner, notes, replies and merges.

Every change goes through here, whoever makes it (the dashboard, the API, the helpdesk), so
each one is checked against the actor's role, written to the audit trail, and announced to
the outgoing webhooks, in one transaction. Opening and routing are in `opening.py`, finding
cases in `lists.py`, the routing rules in `routing.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from feedback.accounts.models import Membership, User, Workspace, at_least
from feedback.cases.models import (
    CASE_STATUSES,
    CLOSED_STATUSES,
    RESOLUTIONS,
    Case,
    CaseEvent,
    CaseNote,
)
from feedback.cases.rules import CaseFacts
from feedback.database import in_workspace, owned_by, use_case, utcnow
from feedback.errors import Conflict, Forbidden, Invalid, NotFound, row_id
from feedback.extensions import db, writing
from feedback.lookups import forget
from feedback.responses.models import Response
from feedback.surveys.definition import loop_settings
from feedback.surveys.models import Survey
from feedback.themes.models import Theme
from feedback.webhooks import service as webhooks

MAX_NOTE = 10_000
# Statuses a person may set; "merged" comes only from merging.
SETTABLE = tuple(s for s in CASE_STATUSES if s != "merged")


@dataclass(frozen=True)
class Actor:
    """Who is acting: a member (with their role), an API key, the helpdesk, the system."""

    label: str
    role: str
    user_id: int | None = None

    def at_least(self, role: str) -> bool:
        return at_least(self.role, role)


SYSTEM = Actor("system", "owner")
HELPDESK = Actor("helpdesk", "admin")


# -- reading --------------------------------------------------------------------------------


def get_case(workspace: Workspace, case_id: Any) -> Case:
    try:
        case_id = row_id(case_id, "case")
    except Invalid:
        raise NotFound("No such case in this workspace.", "case") from None
    case = db.session.scalar(
        in_workspace(Case, workspace.id)
        .where(Case.id == case_id)
        .options(selectinload(Case.response), selectinload(Case.owner))
    )
    if case is None:
        raise NotFound(f"No case {case_id} in this workspace.", "case")
    return case


# -- changing -------------------------------------------------------------------------------


def log_event(case: Case, action: str, actor: Actor, detail: dict[str, Any], **extra: Any) -> None:
    # Every change of a case moves the scorecard's closing-the-loop figures.
    forget("figures", case.workspace_id, "loop")
    db.session.add(
        CaseEvent(
            workspace_id=case.workspace_id,
            case_id=case.id,
            actor_id=actor.user_id,
            actor=actor.label,
            action=action,
            detail=detail,
            **extra,
        )
    )


def log_opened(case: Case, actor: Actor) -> None:
    log_event(
        case,
        "opened",
        actor,
        {"score": case.score, "kind": case.kind, "source": case.source},
        at=case.opened_at,
    )


def _owner_email(user_id: int | None) -> str | None:
    return db.session.scalar(select(User.email).where(User.id == user_id)) if user_id else None


def set_owner(case: Case, owner_id: int | None, assigned_by: str | None, actor: Actor) -> None:
    case.owner_id = owner_id
    case.assigned_by = assigned_by
    log_event(case, "assigned", actor, {"owner": _owner_email(owner_id), "by": assigned_by})


def _touched(case: Case, actor: Actor) -> None:
    # The first thing a person does is what "time to first action" measures.
    if case.first_action_at is None and actor.label not in ("system", "respondent"):
        case.first_action_at = utcnow()


def check_member(workspace: Workspace, user_id: Any) -> int | None:
    """The user id when they are a member of the workspace (None stays None)."""
    if user_id is None:
        return None
    user_id = row_id(user_id, "owner")
    found = db.session.scalar(
        in_workspace(Membership, workspace.id, Membership.user_id).where(
            Membership.user_id == user_id
        )
    )
    if found is None:
        raise Invalid(f"User {user_id} is not a member of this workspace.", "owner")
    return user_id


def _may_work(case: Case, actor: Actor) -> None:
    if actor.at_least("admin"):
        return
    if actor.role == "analyst" and actor.user_id is not None and case.owner_id == actor.user_id:
        return
    if actor.role == "analyst":
        raise Forbidden("Analysts work the cases assigned to them; ask an admin to assign it.")
    raise Forbidden("Viewers can read cases but not change them.")


def may_work(case: Case, actor: Actor) -> bool:
    """Whether `actor` may note, reply to and set the status of `case` (to show the forms)."""
    try:
        _may_work(case, actor)
    except Forbidden:
        return False
    return case.status != "merged"


def case_payload(
    case: Case, response: Response | None = None, facts: CaseFacts | None = None
) -> dict:
    body = case.to_dict()
    body["link"] = case_link(case.id)
    if response is not None:
        body["comment"] = response.comment
    if facts is not None:
        body["themes"] = facts.themes
    return body


def announce(case: Case, actor: Actor, changes: dict[str, Any]) -> None:
    webhooks.emit(
        case.workspace_id,
        "case.updated",
        {**case_payload(case), "changes": changes, "actor": actor.label},
    )


def _theme_id(workspace: Workspace, slug: Any) -> int | None:
    if slug is None:
        return None
    theme_id = (
        db.session.scalar(in_workspace(Theme, workspace.id, Theme.id).where(Theme.slug == slug))
        if isinstance(slug, str)
        else None
    )
    if theme_id is None:
        raise Invalid(f"No theme {slug!r} in this workspace.", "root_cause")
    return theme_id


UPDATABLE = ("status", "resolution", "root_cause", "owner", "external_id")


def _apply(workspace: Workspace, case: Case, payload: Any, actor: Actor) -> dict[str, Any]:
    """Check and apply a change; the changes made, as {field: [before, after]}."""
    if not isinstance(payload, dict) or not payload:
        raise Invalid(f"Send an object with any of: {', '.join(UPDATABLE)}.")
    unknown = set(payload) - set(UPDATABLE) - {"event_id", "note"}
    if unknown:
        raise Invalid(f"Unknown field; use any of: {', '.join(UPDATABLE)}.", sorted(unknown)[0])
    if case.status == "merged":
        raise Conflict(f"This case was merged into case {case.merged_into_id}.", "status")
    changes: dict[str, Any] = {}
    if "owner" in payload:
        if not actor.at_least("admin"):
            raise Forbidden("Only admins assign and reassign cases.", "owner")
        owner_id = check_member(workspace, payload["owner"])
        if owner_id != case.owner_id:
            changes["owner"] = [_owner_email(case.owner_id), _owner_email(owner_id)]
            set_owner(case, owner_id, "manual", actor)
    status = payload.get("status", case.status)
    if status not in SETTABLE:
        raise Invalid(f"Status is one of: {', '.join(SETTABLE)}.", "status")
    resolution = payload.get("resolution", case.resolution)
    if resolution is not None and resolution not in RESOLUTIONS:
        raise Invalid(f"Resolution is one of: {', '.join(RESOLUTIONS)}.", "resolution")
    if "root_cause" in payload:
        root = _theme_id(workspace, payload["root_cause"])
        if root != case.root_cause_theme_id:
            changes["root_cause"] = [case.root_cause_theme_id, root]
            case.root_cause_theme_id = root
    if "external_id" in payload:
        value = payload["external_id"]
        if value is not None and (not isinstance(value, str) or not 0 < len(value) <= 200):
            raise Invalid("Must be text of 1 to 200 characters.", "external_id")
        case.external_id = value
    if resolution != case.resolution:
        changes["resolution"] = [case.resolution, resolution]
        case.resolution = resolution
    if status != case.status:
        if status == "resolved" and case.resolution is None:
            raise Invalid("Say how it was resolved: choose a resolution.", "resolution")
        changes["status"] = [case.status, status]
        set_status(workspace, case, status)
    if changes:
        _touched(case, actor)
        for name, (before, after) in changes.items():
            if name != "owner":
                log_event(case, name, actor, {"from": before, "to": after})
    return changes


def set_status(workspace: Workspace, case: Case, status: str) -> None:
    now = utcnow()
    case.status = status
    if status in CLOSED_STATUSES:
        case.resolved_at = case.resolved_at or now
        days = loop_config(case.survey)["resurvey_days"] if case.survey else 0
        # "Did we fix it?" goes to those whose case was fixed, not to a won't-fix, nor to a
        # respondent who already told us so by changing their score.
        if (
            status == "resolved"
            and case.resolution != "recovered"
            and days
            and case.respondent_id is not None
        ):
            case.resurvey_at = now + timedelta(days=days)
        else:
            case.resurvey_at = None
    else:
        case.resolved_at = None
        case.resurvey_at = None


@use_case
def update_case(workspace: Workspace, case_id: Any, payload: Any, actor: Actor) -> Case:
    case = get_case(workspace, case_id)
    _may_work(case, actor)
    with writing():
        changes = _apply(workspace, case, payload, actor)
        if changes:
            announce(case, actor, changes)
        db.session.commit()
    return case


@use_case
def bulk_assign(workspace: Workspace, case_ids: list[int], owner_id: Any, actor: Actor) -> int:
    """Give many cases one owner (admins only); the number reassigned."""
    if not actor.at_least("admin"):
        raise Forbidden("Only admins assign and reassign cases.", "owner")
    owner = check_member(workspace, owner_id)
    if not case_ids:
        raise Invalid("Choose at least one case.", "cases")
    cases = list(db.session.scalars(in_workspace(Case, workspace.id).where(Case.id.in_(case_ids))))
    if len(cases) != len(set(case_ids)):
        raise NotFound("Some of these cases are not in this workspace.", "cases")
    changed = 0
    with writing():
        for case in cases:
            if case.owner_id != owner and case.status != "merged":
                changes = {"owner": [_owner_email(case.owner_id), _owner_email(owner)]}
                set_owner(case, owner, "manual", actor)
                announce(case, actor, changes)
                changed += 1
        db.session.commit()
    return changed


def _body(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid("Write something first.", "body")
    if len(value) > MAX_NOTE:
        raise Invalid(f"At most {MAX_NOTE:,} characters.", "body")
    return value.strip()


@use_case
def add_note(workspace: Workspace, case_id: Any, body: Any, actor: Actor) -> CaseNote:
    """An internal note: seen by the team, never by the respondent."""
    case = get_case(workspace, case_id)
    _may_work(case, actor)
    text = _body(body)
    with writing():
        note = _written(case, actor, "note", text, {})
        db.session.commit()
    return note


def _written(
    case: Case, actor: Actor, kind: str, text: str, detail: dict[str, Any], **mail: Any
) -> CaseNote:
    """A note or reply by a member on the case, with its trail entry."""
    note = CaseNote(
        workspace_id=case.workspace_id,
        case_id=case.id,
        author_id=actor.user_id,
        author=actor.label,
        kind=kind,
        body=text,
        **mail,
    )
    db.session.add(note)
    _touched(case, actor)
    log_event(case, kind, actor, detail)
    return note


NO_VERIFIED_ADDRESS = (
    "This respondent has no verified email address (an address given with an unsigned "
    "widget call is only a claim, never mailed); write a note instead."
)


def reply_address(case: Case) -> str | None:
    """The one address a reply or re-survey may go to: the respondent's verified email."""
    # Only a verified source writes Respondent.email; a claimed address stays on its response.
    respondent = case.respondent
    return respondent.email if respondent is not None and respondent.email else None


@use_case
def reply(workspace: Workspace, case_id: Any, body: Any, actor: Actor) -> CaseNote:
    """A reply mailed to the respondent (by the mail job, within seconds), the comment quoted.

    The case then waits on the customer, whose answer comes back into it by a link.
    """
    case = get_case(workspace, case_id)
    _may_work(case, actor)
    text = _body(body)
    address = reply_address(case)
    if address is None:
        raise Invalid(NO_VERIFIED_ADDRESS, "body", "no_verified_address")
    with writing():
        mail = {"mail_status": "pending", "mail_to": address, "mail_next_at": utcnow()}
        note = _written(case, actor, "reply", text, {"to": address}, **mail)
        changes: dict[str, Any] = {"reply": True}
        if case.status in ("open", "in_progress"):
            changes["status"] = [case.status, "waiting"]
            set_status(workspace, case, "waiting")
        announce(case, actor, changes)
        db.session.commit()
    return note


def respondent_answered(workspace: Workspace, case: Case, body: Any) -> CaseNote:
    """The respondent's answer to a reply, back into the case (which is theirs to act on)."""
    text = _body(body)
    who = Actor("respondent", "viewer")
    with writing():
        note = CaseNote(
            workspace_id=workspace.id, case_id=case.id, author=who.label, kind="answer", body=text
        )
        db.session.add(note)
        log_event(case, "answer", who, {})
        changes: dict[str, Any] = {"answer": True}
        if case.status in ("waiting", "resolved", "wont_fix"):
            changes["status"] = [case.status, "open"]
            set_status(workspace, case, "open")
        announce(case, who, changes)
        db.session.commit()
    return note


@use_case
def merge(workspace: Workspace, keep_id: Any, other_id: Any, actor: Actor) -> Case:
    """Fold a second case of the same respondent into the first: one person, one case."""
    if not actor.at_least("admin"):
        raise Forbidden("Only admins merge cases.")
    keep, other = get_case(workspace, keep_id), get_case(workspace, other_id)
    if keep.id == other.id:
        raise Invalid("A case cannot be merged into itself.", "case")
    if keep.respondent_id is None or keep.respondent_id != other.respondent_id:
        raise Invalid("Only cases of the same respondent can be merged.", "case")
    if "merged" in (keep.status, other.status):
        raise Conflict("One of these cases is already merged.", "case")
    with writing():
        other.status = "merged"
        other.merged_into_id = keep.id
        other.resolved_at = other.resolved_at or utcnow()
        other.resurvey_at = None
        log_event(other, "merged", actor, {"into": keep.id})
        log_event(keep, "merged", actor, {"from": other.id})
        announce(other, actor, {"status": ["open", "merged"], "merged_into": keep.id})
        db.session.commit()
    return keep


def apply_external(workspace: Workspace, case_id: Any, payload: Any) -> tuple[Case, bool]:
    """A status update from the helpdesk, applied once per `event_id`; (case, applied)."""
    case = get_case(workspace, case_id)
    if not isinstance(payload, dict):
        raise Invalid('Send {"status": "...", "event_id": "..."}.')
    event_id = payload.get("event_id")
    if event_id is not None and (not isinstance(event_id, str) or not 0 < len(event_id) <= 200):
        raise Invalid("Must be text of 1 to 200 characters.", "event_id")
    if event_id is not None:
        seen = db.session.scalar(
            in_workspace(CaseEvent, workspace.id, CaseEvent.id).where(
                CaseEvent.case_id == case.id, CaseEvent.external_id == event_id
            )
        )
        if seen is not None:
            return case, False
    note = payload.get("note")
    with writing():
        changes = _apply(
            workspace, case, {k: v for k, v in payload.items() if k != "note"}, HELPDESK
        )
        if note is not None:
            db.session.add(
                CaseNote(
                    workspace_id=workspace.id,
                    case_id=case.id,
                    author="helpdesk",
                    kind="note",
                    body=_body(note),
                )
            )
            changes["note"] = True
        if event_id is not None:
            log_event(
                case, "helpdesk", HELPDESK, {"changes": sorted(changes)}, external_id=event_id
            )
        if changes:
            announce(case, HELPDESK, changes)
        db.session.commit()
    return case, bool(changes)


def case_link(case_id: int) -> str:
    base = str(current_app.config["FEEDBACK_BASE_URL"]).rstrip("/")
    return f"{base}/app/cases/{case_id}"


def erase_respondent(workspace_id: int, respondent_id: int) -> list[int]:
    """Remove what an erased person wrote or received from their cases (the replies mailed to
    them, their answers, their address in the trail); the cases and their figures stay.
    Runs in the caller's transaction; the ids of the cases touched."""
    ids = list(
        db.session.scalars(
            select(Case.id).where(owned_by(Case, workspace_id), Case.respondent_id == respondent_id)
        )
    )
    if not ids:
        return ids
    db.session.execute(
        update(CaseNote)
        .where(CaseNote.case_id.in_(ids), CaseNote.kind.in_(("reply", "answer")))
        .values(body="[erased at the respondent's request]", mail_to=None)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(CaseEvent)
        .where(CaseEvent.case_id.in_(ids), CaseEvent.action == "reply")
        .values(detail={})
        .execution_options(synchronize_session=False)
    )
    webhooks.redact_cases(workspace_id, ids)
    return ids


def loop_config(survey: Survey) -> dict[str, Any]:
    """The survey's case settings with the defaults filled in."""
    return loop_settings(survey.kind, survey.scale, survey.loop)

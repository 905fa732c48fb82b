"""A case's file: everything its page shows, read in a fixed number of queries.

The response with its highlighted comment, the respondent's history and helpdesk tickets,
and one timeline of the audit trail and the notes, replies and answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func

from feedback.accounts.models import Membership
from feedback.cases import lists as case_lists
from feedback.cases import work as cases
from feedback.cases.models import OPEN_STATUSES, Case
from feedback.database import in_workspace
from feedback.extensions import db
from feedback.helpdesk.models import Ticket
from feedback.responses.models import Response
from feedback.themes import taxonomy as themes
from feedback.themes.models import Theme
from feedback.themes.verbatims import Verbatim, with_tags

# Events whose story the note itself tells on the timeline.
_TOLD_BY_NOTES = ("note", "reply", "answer")


@dataclass
class Entry:
    """One line of a case's timeline."""

    at: datetime
    who: str
    kind: str  # an event's action, or "note", "reply", "answer" for a written entry
    text: str = ""
    body: str | None = None
    mail_status: str | None = None


@dataclass
class CaseFile:
    case: Case
    verbatim: Verbatim | None
    analysis: dict[str, Any] | None
    history: list[Response]
    tickets: list[Ticket]
    timeline: list[Entry]
    merge_candidates: list[Case] = field(default_factory=list)
    reply_to: str | None = None


def _change(name: str, before: Any, after: Any) -> str:
    return f"{name} {before or 'none'} → {after or 'none'}".replace("_", " ")


def assignment(assigned_by: str | None) -> str:
    """How a case got its owner, in words: "by a rule", "round robin", "by hand"..."""
    by = assigned_by or ""
    if by.startswith("rule:"):
        return "by a rule"
    if by.startswith("theme:"):
        return f"owner of the theme {by.split(':', 1)[1]}"
    return {"manual": "by hand", "round_robin": "round robin"}.get(by, "")


def describe(action: str, detail: dict[str, Any], theme_names: dict[int, str]) -> str:
    """An audit event in words."""
    if action == "opened":
        how = "by hand" if detail.get("source") == "manual" else "from the score"
        return f"Opened {how} ({str(detail.get('kind', '')).upper()} {detail.get('score')})"
    if action == "assigned":
        owner = detail.get("owner") or "nobody"
        reason = assignment(detail.get("by"))
        return f"Assigned to {owner}" + (f" ({reason})" if reason else "")
    if action == "root_cause":
        names = [theme_names.get(v, v) if v else None for v in (detail["from"], detail["to"])]
        return _change("Root cause", *names)
    if action == "rescored":
        return f"Score changed {detail.get('from')} → {detail.get('to')}"
    if action in ("status", "resolution"):
        return _change(action.capitalize(), detail.get("from"), detail.get("to"))
    if action == "merged":
        if "into" in detail:
            return f"Merged into case #{detail['into']}"
        return f"Case #{detail.get('from')} merged into this one"
    if action == "mailed":
        return f"Reply mailed to {detail.get('to')}"
    if action == "mail_failed":
        return f"Reply to {detail.get('to')} not sent: {detail.get('error')}"
    if action == "resurvey":
        if detail.get("suppressed"):
            return f"No re-survey sent ({detail['suppressed']})"
        return f"Re-survey sent to {detail.get('to')}: did we fix it?"
    if action == "helpdesk":
        return "Helpdesk update: " + ", ".join(detail.get("changes") or ["nothing changed"])
    return action.replace("_", " ").capitalize()


def _timeline(workspace: Any, case: Case) -> list[Entry]:
    trail = [e for e in case_lists.events(workspace, case) if e.action not in _TOLD_BY_NOTES]
    root_ids = {
        v for e in trail if e.action == "root_cause" for v in (e.detail["from"], e.detail["to"])
    }
    names = dict(
        db.session.execute(
            in_workspace(Theme, workspace.id, Theme.id, Theme.name).where(
                Theme.id.in_([v for v in root_ids if v])
            )
        ).all()
    )
    # The respondent is named as everywhere else (their name, email or a short id).
    respondent = case.respondent.label if case.respondent is not None else "the respondent"
    who = {"respondent": respondent}
    entries = [
        Entry(e.at, who.get(e.actor, e.actor), e.action, describe(e.action, e.detail, names))
        for e in trail
    ]
    entries += [
        Entry(
            n.created_at,
            who.get(n.author, n.author),
            n.kind,
            body=n.body,
            mail_status=n.mail_status,
        )
        for n in case_lists.notes(workspace, case)
    ]
    return sorted(entries, key=lambda e: e.at)


def _tickets(workspace: Any, case: Case, history: list[Response]) -> list[Ticket]:
    """The tickets behind the respondent's responses (found by their ticket ids, indexed)."""
    ids = {r.ticket_id for r in history if r.ticket_id}
    if case.response is not None and case.response.ticket_id:
        ids.add(case.response.ticket_id)
    if not ids:
        return []
    return list(
        db.session.scalars(
            in_workspace(Ticket, workspace.id)
            .where(Ticket.external_id.in_(ids))
            .order_by(Ticket.opened_at.desc())
        )
    )


def _merge_candidates(workspace: Any, case: Case) -> list[Case]:
    if case.respondent_id is None or case.status == "merged":
        return []
    return list(
        db.session.scalars(
            in_workspace(Case, workspace.id)
            .where(
                Case.respondent_id == case.respondent_id,
                Case.id != case.id,
                Case.status != "merged",
            )
            .order_by(Case.id)
        )
    )


def case_file(workspace: Any, case: Case) -> CaseFile:
    """What a case's page shows."""
    response = case.response
    history = [
        r for r in case_lists.respondent_history(workspace, case) if r.id != case.response_id
    ]
    return CaseFile(
        case=case,
        verbatim=with_tags([response])[0] if response is not None else None,
        analysis=themes.response_analysis(workspace, response.id) if response else None,
        history=history,
        tickets=_tickets(workspace, case, history),
        timeline=_timeline(workspace, case),
        merge_candidates=_merge_candidates(workspace, case),
        reply_to=cases.reply_address(case),
    )


def open_count(workspace_id: int, user_id: int) -> int:
    """How many open cases a member owns (the number next to "Cases" in the menu)."""
    return db.session.scalar(
        in_workspace(Case, workspace_id, func.count()).where(
            Case.owner_id == user_id, Case.status.in_(OPEN_STATUSES)
        )
    )


def case_for_response(workspace_id: int, response_id: int) -> int | None:
    return db.session.scalar(
        in_workspace(Case, workspace_id, Case.id).where(Case.response_id == response_id)
    )


def handler_ids(workspace_id: int) -> set[int]:
    """The members who take cases in turn when no rule names an owner."""
    return set(
        db.session.scalars(
            in_workspace(Membership, workspace_id, Membership.user_id).where(
                Membership.handles_cases.is_(True)
            )
        )
    )

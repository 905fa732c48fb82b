"""Finding cases: the filtered queue, and a case's trail, notes and respondent history."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, func, select, union
from sqlalchemy.orm import aliased, selectinload

from feedback.accounts.models import Workspace
from feedback.cases.models import (
    CASE_STATUSES,
    CLOSED_STATUSES,
    OPEN_STATUSES,
    Case,
    CaseEvent,
    CaseNote,
)
from feedback.database import in_workspace, owned_by, utcnow
from feedback.errors import Invalid, row_id
from feedback.extensions import db
from feedback.responses.models import Response
from feedback.surveys.models import Survey
from feedback.themes.models import ResponseTheme, Theme


@dataclass
class CaseFilters:
    status: str | None = None  # a status, "active" (any open one) or "closed"
    owner_id: int | None = None
    unassigned: bool = False
    team: str | None = None
    theme: str | None = None
    overdue: bool = False
    survey: str | None = None


def parse_filters(args: Any, me: int | None = None) -> CaseFilters:
    """Filters from query arguments; an error names the argument that is wrong."""
    status = args.get("status") or None
    if status and status not in (*CASE_STATUSES, "active", "closed"):
        raise Invalid(f"Status is one of: active, closed, {', '.join(CASE_STATUSES)}.", "status")
    owner = args.get("owner") or None
    owner_id, unassigned = None, False
    if owner == "me":
        owner_id = me
    elif owner == "none":
        unassigned = True
    elif owner:
        try:
            owner_id = row_id(owner, "owner")
        except Invalid:
            raise Invalid('Owner is a user id, "me" or "none".', "owner") from None
    overdue = str(args.get("overdue", "")).lower() in ("1", "true", "yes", "on")
    return CaseFilters(
        status=status,
        owner_id=owner_id,
        unassigned=unassigned,
        team=(args.get("team") or None),
        theme=(args.get("theme") or None),
        overdue=overdue,
        survey=(args.get("survey") or None),
    )


def case_query(workspace: Workspace, filters: CaseFilters) -> Select[Any]:
    """The workspace's cases under `filters`: overdue first, then by due time."""
    now = utcnow()
    stmt = in_workspace(Case, workspace.id).options(
        selectinload(Case.owner),
        selectinload(Case.response),
        selectinload(Case.survey),
        selectinload(Case.respondent),
    )
    if filters.status == "active":
        stmt = stmt.where(Case.status.in_(OPEN_STATUSES))
    elif filters.status == "closed":
        stmt = stmt.where(Case.status.in_(CLOSED_STATUSES))
    elif filters.status:
        stmt = stmt.where(Case.status == filters.status)
    if filters.owner_id is not None:
        stmt = stmt.where(Case.owner_id == filters.owner_id)
    if filters.unassigned:
        stmt = stmt.where(Case.owner_id.is_(None))
    if filters.team:
        stmt = stmt.where(Case.team == filters.team)
    if filters.overdue:
        stmt = stmt.where(Case.status.in_(OPEN_STATUSES), Case.due_at < now)
    if filters.survey:
        stmt = stmt.join(Survey, Survey.id == Case.survey_id).where(
            Survey.public_id == filters.survey
        )
    if filters.theme:
        theme = select(Theme.id).where(owned_by(Theme, workspace.id), Theme.slug == filters.theme)
        # From the theme's mentions to their cases, not from every case to its mentions.
        other = aliased(Case)
        mentioned = (
            select(other.id)
            .join(ResponseTheme, ResponseTheme.response_id == other.response_id)
            .where(
                owned_by(ResponseTheme, workspace.id),
                ResponseTheme.removed.is_(False),
                ResponseTheme.theme_id.in_(theme),
            )
        )
        rooted = select(other.id).where(
            owned_by(other, workspace.id), other.root_cause_theme_id.in_(theme)
        )
        stmt = stmt.where(Case.id.in_(union(mentioned, rooted)))
    is_late = and_(Case.status.in_(OPEN_STATUSES), Case.due_at < now)
    open_first = func.coalesce(Case.status.in_(OPEN_STATUSES), False)
    return stmt.order_by(is_late.desc(), open_first.desc(), Case.due_at, Case.id)


def list_cases(workspace: Workspace, filters: CaseFilters, limit: int = 200) -> list[Case]:
    return list(db.session.scalars(case_query(workspace, filters).limit(limit)))


def events(workspace: Workspace, case: Case) -> list[CaseEvent]:
    return list(
        db.session.scalars(
            in_workspace(CaseEvent, workspace.id)
            .where(CaseEvent.case_id == case.id)
            .order_by(CaseEvent.at, CaseEvent.id)
        )
    )


def notes(workspace: Workspace, case: Case) -> list[CaseNote]:
    ids = [case.id, *merged_ids(workspace, case)]
    return list(
        db.session.scalars(
            in_workspace(CaseNote, workspace.id)
            .where(CaseNote.case_id.in_(ids))
            .order_by(CaseNote.created_at, CaseNote.id)
            .execution_options(populate_existing=True)
        )
    )


def merged_ids(workspace: Workspace, case: Case) -> list[int]:
    return list(
        db.session.scalars(
            in_workspace(Case, workspace.id, Case.id).where(Case.merged_into_id == case.id)
        )
    )


def respondent_history(workspace: Workspace, case: Case, limit: int = 20) -> list[Response]:
    """The respondent's responses, newest first, this case's own included."""
    if case.respondent_id is None:
        return [case.response] if case.response else []
    return list(
        db.session.scalars(
            in_workspace(Response, workspace.id)
            .where(Response.respondent_id == case.respondent_id)
            .order_by(Response.submitted_at.desc())
            .limit(limit)
        )
    )

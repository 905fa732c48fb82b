"""Opening cases: one per unhappy response (or by hand), and each new one given its owner by
the routing rules, the round-robin handlers or the theme owners."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.orm import selectinload

from feedback.accounts.models import Membership, User, Workspace
from feedback.cases.models import (
    Case,
    CaseRule,
)
from feedback.cases.rules import CaseFacts, Decision, Rule, decide
from feedback.cases.sla import DEFAULT_SETTINGS, due_at
from feedback.cases.work import (
    SYSTEM,
    Actor,
    announce,
    case_payload,
    log_event,
    log_opened,
    set_owner,
    set_status,
)
from feedback.database import in_workspace, owned_by, use_case, utcnow
from feedback.errors import Forbidden, NotFound
from feedback.extensions import db, upsert, writing
from feedback.lookups import cached
from feedback.responses.models import CONTEXT_COLUMNS, Response
from feedback.surveys import definition
from feedback.surveys.kinds import in_low_band
from feedback.surveys.models import Survey
from feedback.themes.models import ResponseTheme, Theme
from feedback.webhooks import service as webhooks


def opens_case(survey: Survey, score: int) -> bool:
    return definition.opens_case(survey.kind, survey.scale, survey.loop, score)


_OPEN_STATEMENTS: dict[str, Any] = {}


def _open_statement() -> Any:
    dialect = db.engine.dialect.name
    if dialect not in _OPEN_STATEMENTS:
        _OPEN_STATEMENTS[dialect] = upsert(Case.__table__).on_conflict_do_nothing(
            index_elements=["response_id"]
        )
    return _OPEN_STATEMENTS[dialect]


def response_scored(
    workspace: Workspace,
    survey: Survey,
    response_id: int,
    respondent_id: int | None,
    score: int,
    team: str | None,
    at: datetime | None = None,
) -> None:
    """Open a case for a low score stored `at` (now when not given); the caller commits.

    Idempotent: a retried or updated response finds its case and opens no second one. The
    owner is chosen a moment later by `route_new_cases`, once the comment is analysed.
    """
    if not opens_case(survey, score):
        return
    now = utcnow()
    opened = at or now
    db.session.execute(
        _open_statement(),
        {
            "workspace_id": workspace.id,
            "response_id": response_id,
            "respondent_id": respondent_id,
            "survey_id": survey.id,
            "kind": survey.kind,
            "score": score,
            "status": "open",
            "team": team,
            "source": "auto",
            "opened_at": opened,
            "created_at": now,
            "due_at": due_at(opened, workspace.timezone, workspace.case_settings),
            "updated_at": now,
        },
    )


def response_rescored(
    workspace: Workspace,
    survey: Survey,
    response_id: int,
    respondent_id: int | None,
    scores: tuple[int, int],
    team: str | None,
) -> None:
    """A respondent changed the score (before, after) of a stored response: a new fact on its
    case, in the response's own transaction (the caller commits).

    The case's score follows and its trail records the change. By the workspace's
    `resolve_on_recovery` setting (on by default), an active case whose respondent left the
    low band resolves as recovered, and one resolved so opens again if they fall back into
    it. A response without a case gets one when the new score opens one.
    """
    case = db.session.scalar(
        in_workspace(Case, workspace.id).where(Case.response_id == response_id)
    )
    before, after = scores
    if case is None:
        response_scored(workspace, survey, response_id, respondent_id, after, team)
        return
    who = Actor("respondent", "viewer")
    changes: dict[str, Any] = {"score": [before, after]}
    case.score = after
    case.score_changed_at = utcnow()
    log_event(case, "rescored", who, {"from": before, "to": after})
    settings = {**DEFAULT_SETTINGS, **(workspace.case_settings or {})}
    if settings["resolve_on_recovery"]:
        low = in_low_band(survey.kind, survey.scale, after)
        for name, (was, now) in _follow_recovery(workspace, case, low).items():
            changes[name] = [was, now]
            log_event(case, name, who, {"from": was, "to": now})
    if case.routed_at is not None:
        # A case not routed yet has not been announced: its "case.opened" will carry all this.
        announce(case, who, changes)


def _follow_recovery(workspace: Workspace, case: Case, low: bool) -> dict[str, tuple[Any, Any]]:
    """Resolve an active case as recovered when its score left the low band, or open again
    one resolved so when it fell back; the changes made."""
    if case.is_open and not low:
        changes = {
            "status": (case.status, "resolved"),
            "resolution": (case.resolution, "recovered"),
        }
        case.resolution = "recovered"
        set_status(workspace, case, "resolved")
        return changes
    if case.status == "resolved" and case.resolution == "recovered" and low:
        case.resolution = None
        set_status(workspace, case, "open")
        return {"status": ("resolved", "open"), "resolution": ("recovered", None)}
    return {}


@use_case
def open_manual(workspace: Workspace, response_id: int, actor: Actor) -> tuple[Case, bool]:
    """Open a case for any response by hand; the existing one when it has a case already."""
    if not actor.at_least("analyst"):
        raise Forbidden("Viewers cannot open cases.")
    response = db.session.scalar(
        in_workspace(Response, workspace.id).where(Response.id == response_id)
    )
    if response is None:
        raise NotFound(f"No response {response_id} in this workspace.", "response")
    existing = db.session.scalar(
        in_workspace(Case, workspace.id).where(Case.response_id == response.id)
    )
    if existing is not None:
        return existing, False
    now = utcnow()
    case = Case(
        workspace_id=workspace.id,
        response_id=response.id,
        respondent_id=response.respondent_id,
        survey_id=response.survey_id,
        kind=response.kind,
        score=response.score,
        status="open",
        team=response.team,
        source="manual",
        opened_at=now,
        due_at=due_at(now, workspace.timezone, workspace.case_settings),
    )
    with writing():
        db.session.add(case)
        db.session.flush()
        if actor.role == "analyst" and actor.user_id is not None:
            # An analyst opens a case to work it: it is theirs.
            log_opened(case, actor)
            set_owner(case, actor.user_id, "manual", actor)
            case.routed_at = now
        else:
            _route(workspace, case, response, actor)
        db.session.commit()
    return case, True


def _rules(workspace_id: int) -> tuple[Rule, ...]:
    def load() -> tuple[Rule, ...]:
        rows = db.session.execute(
            in_workspace(
                CaseRule, workspace_id, CaseRule.id, CaseRule.conditions, CaseRule.owner_id
            )
            .where(CaseRule.enabled.is_(True))
            .order_by(CaseRule.position)
        )
        return tuple(Rule(rule_id, conditions or {}, owner) for rule_id, conditions, owner in rows)

    return cached(("case_rules", workspace_id), load)


def _members(workspace_id: int) -> dict[str, int]:
    """Member emails (lower case) to user ids: theme owners are named by email."""
    rows = db.session.execute(
        select(User.email, User.id)
        .join(Membership, Membership.user_id == User.id)
        .where(owned_by(Membership, workspace_id))
    )
    return {email.lower(): user_id for email, user_id in rows}


def _handlers(workspace_id: int) -> list[int]:
    return list(
        db.session.scalars(
            in_workspace(Membership, workspace_id, Membership.user_id).where(
                Membership.handles_cases.is_(True)
            )
        )
    )


def _themes(response_id: int | None) -> dict[str, str | None]:
    """The response's themes and their sentiment, complaints first."""
    if response_id is None:
        return {}
    rows = db.session.execute(
        select(Theme.slug, ResponseTheme.sentiment)
        .join(Theme, Theme.id == ResponseTheme.theme_id)
        .where(ResponseTheme.response_id == response_id, ResponseTheme.removed.is_(False))
    )
    order = {"negative": 0, "mixed": 1, "neutral": 2, None: 3, "positive": 4}
    return dict(sorted(((slug, s) for slug, s in rows), key=lambda x: order.get(x[1], 3)))


def _theme_owners(workspace_id: int) -> dict[str, str]:
    rows = db.session.execute(
        in_workspace(Theme, workspace_id, Theme.slug, Theme.owner).where(Theme.owner.is_not(None))
    )
    return {slug: owner.lower() for slug, owner in rows if owner}


def _facts(case: Case, response: Response | None) -> CaseFacts:
    context: dict[str, str] = {}
    if response is not None:
        context.update({k: str(v) for k, v in (response.context or {}).items()})
        context.update({k: getattr(response, k) for k in CONTEXT_COLUMNS if getattr(response, k)})
    survey = db.session.get(Survey, case.survey_id) if case.survey_id else None
    return CaseFacts(
        kind=case.kind,
        survey=survey.public_id if survey else "",
        context=context,
        themes=_themes(case.response_id),
    )


def _route(workspace: Workspace, case: Case, response: Response | None, actor: Actor) -> None:
    """Choose the owner: the rules, then the owner of a theme the comment complains about,
    then round robin among the case handlers."""
    facts = _facts(case, response)
    members = _members(workspace.id)
    theme_owners = {
        slug: members[email]
        for slug, email in _theme_owners(workspace.id).items()
        if email in members
    }
    rotation = db.session.scalar(
        select(Workspace.case_rotation).where(Workspace.id == workspace.id)
    )
    # An owner given by hand before routing (reassigned within the settle wait) stays.
    decision = (
        decide(_rules(workspace.id), facts, _handlers(workspace.id), rotation or 0, theme_owners)
        if case.owner_id is None
        else Decision(None, None)
    )
    if decision.rotated:
        db.session.execute(
            update(Workspace)
            .where(Workspace.id == workspace.id)
            .values(case_rotation=Workspace.case_rotation + 1)
        )
    log_opened(case, actor)
    case.routed_at = utcnow()
    if decision.owner_id is not None:
        set_owner(case, decision.owner_id, decision.assigned_by, SYSTEM)
    webhooks.emit(workspace.id, "case.opened", case_payload(case, response, facts))


def route_new_cases(limit: int = 50) -> int:
    """Give the newly opened cases their owner, once their comment is analysed (or after a
    short wait, for a score whose comment never comes)."""
    settle = timedelta(seconds=int(current_app.config["FEEDBACK_CASE_SETTLE_SECONDS"]))
    now = utcnow()
    due = (
        select(Case.id)
        .outerjoin(Response, Response.id == Case.response_id)
        .where(
            Case.routed_at.is_(None),
            or_(
                Case.response_id.is_(None),
                Response.nlp_status.not_in(("none", "pending", "running")),
                Case.opened_at <= now - settle,
            ),
        )
        .order_by(Case.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=Case.__table__)
    )
    with writing():
        ids = list(db.session.scalars(due))
        cases = list(
            db.session.scalars(
                select(Case).where(Case.id.in_(ids)).options(selectinload(Case.response))
            )
        )
        workspaces: dict[int, Workspace] = {}
        for case in cases:
            if case.workspace_id not in workspaces:
                workspaces[case.workspace_id] = db.session.get(Workspace, case.workspace_id)
            _route(workspaces[case.workspace_id], case, case.response, SYSTEM)
        db.session.commit()
    return len(cases)

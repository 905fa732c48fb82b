"""Two months of worked demo cases: routed, followed up, most closed within their SLA."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, insert, select

from feedback.accounts.models import Workspace
from feedback.cases.models import Case, CaseEvent, CaseNote, CaseRule
from feedback.cases.opening import opens_case
from feedback.cases.sla import due_at
from feedback.database import owned_by, utcnow
from feedback.demo.content import content
from feedback.demo.members import case_handlers
from feedback.extensions import db
from feedback.responses.models import Response
from feedback.surveys.models import Survey
from feedback.themes.models import Theme

# Cases began four months ago: older low scores were never followed up.
CASE_DAYS = 120


def work_cases(
    workspace: Workspace, by_kind: dict[str, Survey], rng: random.Random, users: dict[str, int]
) -> None:
    """Two months of worked cases: routed by rules, theme owners and round robin among the
    members who handle cases (`users`: the members' ids by email), most closed within their
    SLA, a few overdue, with notes and the audit trail."""
    words = content("cases")
    for slug, owner in words["theme_owners"].items():
        db.session.execute(
            Theme.__table__.update()
            .where(owned_by(Theme, workspace.id), Theme.slug == slug)
            .values(owner=owner)
        )
    rules = _add_rules(workspace, words["rules"], users)
    handlers = [users[email] for email in case_handlers()]
    desk = CaseDesk(workspace, rng, utcnow(), {v: k for k, v in users.items()}, words["notes"])
    for turn, row in enumerate(_low_scores(workspace, by_kind, desk.now)):
        owner, by = _route(row, turn, rules, handlers)
        desk.work(row, owner, by)
    db.session.flush()


def _add_rules(
    workspace: Workspace, specs: list[dict[str, Any]], users: dict[str, int]
) -> list[CaseRule]:
    rules = []
    for position, spec in enumerate(specs, start=1):
        rule = CaseRule(
            workspace_id=workspace.id,
            position=position,
            name=spec["name"],
            conditions=spec["conditions"],
            owner_id=users[spec["owner"]],
        )
        db.session.add(rule)
        db.session.flush()
        rules.append(rule)
    return rules


def _low_scores(workspace: Workspace, by_kind: dict[str, Survey], now: datetime) -> list[Row]:
    """The responses of the last CASE_DAYS whose score opens a case, oldest first."""
    surveys_by_id = {s.id: s for s in by_kind.values()}
    rows = db.session.execute(
        select(
            Response.id,
            Response.survey_id,
            Response.respondent_id,
            Response.kind,
            Response.score,
            Response.plan,
            Response.team,
            Response.submitted_at,
        )
        .where(
            owned_by(Response, workspace.id),
            Response.submitted_at >= now - timedelta(days=CASE_DAYS),
        )
        .order_by(Response.submitted_at)
    )
    return [r for r in rows if opens_case(surveys_by_id[r.survey_id], r.score)]


def _route(row: Row, turn: int, rules: list[CaseRule], handlers: list[int]) -> tuple[int, str]:
    """The first rule whose conditions the response meets, else the handlers in turn."""
    for rule in rules:
        if all(getattr(row, key) == value for key, value in rule.conditions.items()):
            return rule.owner_id, f"rule:{rule.id}"
    return handlers[turn % len(handlers)], "round_robin"


class CaseDesk:
    """Works each case from one random stream: its status, its timing, a note, its trail."""

    def __init__(
        self,
        workspace: Workspace,
        rng: random.Random,
        now: datetime,
        email_of: dict[int, str],
        notes: list[str],
    ) -> None:
        self.workspace = workspace
        self.rng = rng
        self.now = now
        self.email_of = email_of
        self.notes = notes

    def work(self, row: Row, owner: int, by: str) -> None:
        opened = row.submitted_at
        due = due_at(opened, self.workspace.timezone, self.workspace.case_settings)
        status = self._status((self.now - opened).days)
        first_action, resolved = self._timing(status, opened, due)
        now = self.now
        case = Case(
            workspace_id=self.workspace.id,
            response_id=row.id,
            respondent_id=row.respondent_id,
            survey_id=row.survey_id,
            kind=row.kind,
            score=row.score,
            status=status,
            owner_id=owner,
            team=row.team,
            assigned_by=by,
            source="auto",
            opened_at=opened,
            due_at=due,
            routed_at=opened,
            first_action_at=first_action if first_action and first_action < now else None,
            resolved_at=resolved,
            resolution=self._resolution(status),
            updated_at=resolved or first_action or opened,
        )
        db.session.add(case)
        db.session.flush()
        self._record(case, row, by)

    def _status(self, age_days: int) -> str:
        """Older cases are mostly closed; a few slipped past their SLA, some still open."""
        rng = self.rng
        roll = rng.random()
        if age_days > 7 and roll < 0.78:
            return "resolved" if rng.random() < 0.88 else "wont_fix"
        if age_days > 3 and roll < 0.9:
            return rng.choice(("in_progress", "waiting"))
        return "open" if rng.random() < 0.6 else "in_progress"

    def _timing(
        self, status: str, opened: datetime, due: datetime
    ) -> tuple[datetime | None, datetime | None]:
        """When the owner first acted and when the case closed: about three in four within
        the SLA, the rest up to a few days past it."""
        rng = self.rng
        first_action: datetime | None = opened + timedelta(hours=rng.uniform(0.5, 30))
        resolved = None
        if status in ("resolved", "wont_fix"):
            on_time = rng.random() < 0.74
            spread = (due - opened) * rng.uniform(0.2, 0.95) if on_time else None
            resolved = opened + (spread or (due - opened) + timedelta(hours=rng.uniform(2, 60)))
            resolved = min(resolved, self.now - timedelta(minutes=5))
            first_action = min(first_action, resolved)
        elif status == "open":
            first_action = None
        return first_action, resolved

    def _resolution(self, status: str) -> str | None:
        if status == "resolved":
            return self.rng.choice(("fixed", "explained", "refunded", "feature_request"))
        return "other" if status == "wont_fix" else None

    def _record(self, case: Case, row: Row, by: str) -> None:
        """The audit trail: opened, assigned, the first action (a note or a status change),
        and the closing."""
        owner, owner_email = case.owner_id, self.email_of[case.owner_id]
        trail = [
            (case.opened_at, "system", None, "opened", {"score": row.score, "kind": row.kind}),
            (case.opened_at, "system", None, "assigned", {"owner": owner_email, "by": by}),
        ]
        if case.first_action_at is not None:
            trail.append(self._first_action(case, owner_email))
        if case.resolved_at is not None:
            change = {"from": "in_progress", "to": case.status}
            trail.append((case.resolved_at, owner_email, owner, "status", change))
        db.session.execute(
            insert(CaseEvent),
            [
                {
                    "workspace_id": self.workspace.id,
                    "case_id": case.id,
                    "at": at,
                    "actor": actor,
                    "actor_id": actor_id,
                    "action": action,
                    "detail": detail,
                }
                for at, actor, actor_id, action, detail in trail
            ],
        )

    def _first_action(self, case: Case, owner_email: str) -> tuple[Any, ...]:
        """Half the owners first write a note; the others move the case to in progress."""
        at, owner = case.first_action_at, case.owner_id
        if self.rng.random() < 0.5:
            db.session.add(
                CaseNote(
                    workspace_id=self.workspace.id,
                    case_id=case.id,
                    author_id=owner,
                    author=owner_email,
                    kind="note",
                    body=self.rng.choice(self.notes),
                    created_at=at,
                )
            )
            return (at, owner_email, owner, "note", {})
        return (at, owner_email, owner, "status", {"from": "open", "to": "in_progress"})

"""A realistic demo workspace: four surveys and six months of varied responses."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import insert, select

from feedback.accounts import workspaces
from feedback.accounts.models import Membership, Workspace
from feedback.cases import due_at
from feedback.cases.models import Case, CaseEvent, CaseNote, CaseRule
from feedback.cases.work import opens_case
from feedback.database import utcnow
from feedback.demo.content import content
from feedback.demo.responses import add_responses
from feedback.demo.scorecard import set_scorecard
from feedback.demo.tickets import add_tickets
from feedback.extensions import db
from feedback.responses.models import Response
from feedback.surveys import service as surveys
from feedback.surveys.models import Survey
from feedback.themes.models import Theme
from feedback.widget.origins import LOOPBACK_ANY_PORT

DEMO_SLUG = "demo"
DEMO_EMAIL = "admin@example.com"
DEMO_PASSWORD = "demo-password"

_CASES = content("cases")


@dataclass
class DemoResult:
    workspace: Workspace
    api_key: str
    created_note: str


def _create_surveys(workspace: Workspace) -> dict[str, Survey]:
    specs = content("workspace")["surveys"]
    return {kind: surveys.create_survey(workspace, spec) for kind, spec in specs.items()}


def seed_demo_workspace(responses: int = 3000, seed: int = 7) -> DemoResult:
    """Create the demo workspace once; later calls only issue a fresh API key."""
    workspace = db.session.scalar(select(Workspace).where(Workspace.slug == DEMO_SLUG))
    note = "already there"
    if workspace is None:
        # Under `make run`, a page on any port of this machine may show the widget, so the
        # printed snippet works wherever it is pasted first. Production lists none of them.
        development = current_app.config["FEEDBACK_ENV"] == "development"
        company = content("workspace")["workspace"]
        workspace = workspaces.create_workspace(
            company["name"],
            DEMO_SLUG,
            company["timezone"],
            list(LOOPBACK_ANY_PORT) if development else [],
        )
        _fill(workspace, responses, random.Random(seed))
        note = f"created with {responses} responses"
    workspaces.add_user(workspace, DEMO_EMAIL, DEMO_PASSWORD, "owner")
    issued = workspaces.create_api_key(workspace, content("workspace")["workspace"]["api_key"])
    db.session.commit()
    return DemoResult(workspace, issued.secret, note)


def _fill(workspace: Workspace, count: int, rng: random.Random) -> None:
    by_kind = _create_surveys(workspace)
    rows = add_responses(workspace, by_kind, count, rng)
    add_tickets(workspace, rows, rng)
    set_scorecard(workspace, rng)
    db.session.flush()
    _cases(workspace, by_kind, rng)


# The people who work the cases: (email, role, handles cases in turn).
CASE_TEAM = tuple(
    (member["email"], member["role"], member["handles_cases"]) for member in _CASES["team"]
)
# Cases began two months ago: older low scores were never followed up.
CASE_DAYS = 60
NOTES = tuple(_CASES["notes"])
REPLIES = tuple(_CASES["replies"])


def _cases(workspace: Workspace, by_kind: dict[str, Survey], rng: random.Random) -> None:
    """Two months of worked cases: routed by rules, theme owners and round robin, most closed
    within their SLA, a few overdue, with notes, replies and the audit trail."""
    users = {
        email: workspaces.add_user(workspace, email, DEMO_PASSWORD, role).id
        for email, role, _ in CASE_TEAM
    }
    for email, _role, handles in CASE_TEAM:
        db.session.execute(
            Membership.__table__.update()
            .where(Membership.workspace_id == workspace.id, Membership.user_id == users[email])
            .values(handles_cases=handles)
        )
    for slug, owner in _CASES["theme_owners"].items():
        db.session.execute(
            Theme.__table__.update()
            .where(Theme.workspace_id == workspace.id, Theme.slug == slug)
            .values(owner=owner)
        )
    rules = []
    for position, spec in enumerate(_CASES["rules"], start=1):
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
    now = utcnow()
    surveys_by_id = {s.id: s for s in by_kind.values()}
    low = [
        r
        for r in db.session.execute(
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
                Response.workspace_id == workspace.id,
                Response.submitted_at >= now - timedelta(days=CASE_DAYS),
            )
            .order_by(Response.submitted_at)
        )
        if opens_case(surveys_by_id[r.survey_id], r.score)
    ]
    handlers = [users[email] for email, _role, handles in CASE_TEAM if handles]
    email_of = {v: k for k, v in users.items()}
    for turn, row in enumerate(low):
        # The first rule whose conditions the response meets, else the handlers in turn.
        rule = next(
            (r for r in rules if all(getattr(row, k) == v for k, v in r.conditions.items())),
            None,
        )
        if rule is not None:
            owner, by = rule.owner_id, f"rule:{rule.id}"
        else:
            owner, by = handlers[turn % len(handlers)], "round_robin"
        opened = row.submitted_at
        due = due_at(opened, workspace.timezone, workspace.case_settings)
        age_days = (now - opened).days
        # Older cases are mostly closed; a few slipped past their SLA, some still open.
        roll = rng.random()
        if age_days > 7 and roll < 0.78:
            status = "resolved" if rng.random() < 0.88 else "wont_fix"
        elif age_days > 3 and roll < 0.9:
            status = rng.choice(("in_progress", "waiting"))
        else:
            status = "open" if rng.random() < 0.6 else "in_progress"
        first_action = opened + timedelta(hours=rng.uniform(0.5, 30))
        resolved = None
        if status in ("resolved", "wont_fix"):
            on_time = rng.random() < 0.74
            spread = (due - opened) * rng.uniform(0.2, 0.95) if on_time else None
            resolved = opened + (spread or (due - opened) + timedelta(hours=rng.uniform(2, 60)))
            resolved = min(resolved, now - timedelta(minutes=5))
            first_action = min(first_action, resolved)
        elif status == "open":
            first_action = None
        case = Case(
            workspace_id=workspace.id,
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
            resolution=(
                rng.choice(("fixed", "explained", "refunded", "feature_request"))
                if status == "resolved"
                else ("other" if status == "wont_fix" else None)
            ),
            updated_at=resolved or first_action or opened,
        )
        db.session.add(case)
        db.session.flush()
        owner_email = email_of[owner]
        trail = [
            (opened, "system", None, "opened", {"score": row.score, "kind": row.kind}),
            (opened, "system", None, "assigned", {"owner": owner_email, "by": by}),
        ]
        if case.first_action_at is not None:
            if rng.random() < 0.5:
                db.session.add(
                    CaseNote(
                        workspace_id=workspace.id,
                        case_id=case.id,
                        author_id=owner,
                        author=owner_email,
                        kind="note",
                        body=rng.choice(NOTES),
                        created_at=case.first_action_at,
                    )
                )
                trail.append((case.first_action_at, owner_email, owner, "note", {}))
            else:
                trail.append(
                    (
                        case.first_action_at,
                        owner_email,
                        owner,
                        "status",
                        {"from": "open", "to": "in_progress"},
                    )
                )
        if resolved is not None:
            trail.append(
                (resolved, owner_email, owner, "status", {"from": "in_progress", "to": status})
            )
        db.session.execute(
            insert(CaseEvent),
            [
                {
                    "workspace_id": workspace.id,
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
    db.session.flush()

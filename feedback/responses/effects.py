"""What a stored response causes, applied after it is acknowledged: its case and its webhook
events.

Recording a response writes one `ResponseEffect` row beside it, in the same transaction, and
answers at once. The job runner applies the effects in id order, in batches; each batch's
cases, webhook events and the deletion of its effect rows commit together, so a worker killed
mid-batch leaves the batch to the next run whole, and nothing is applied twice.
"""

from __future__ import annotations

from sqlalchemy import delete, select, text

from feedback.accounts.models import Workspace
from feedback.cases import opening as cases
from feedback.extensions import db, writing
from feedback.responses.models import Response, ResponseEffect
from feedback.surveys.models import Survey
from feedback.webhooks import service as webhooks

# One applier at a time on PostgreSQL: effects of one response must apply in their order.
# The lock is named by an arbitrary constant and the schema, so databases that hold several
# schemas (one per tenant or test run) do not wait on each other. SQLite's write lock already
# serialises appliers.
_LOCK_KEY = 7_240_311
_TRY_LOCK = text("SELECT pg_try_advisory_xact_lock(:k, hashtext(current_schema()))")


def _one_applier() -> bool:
    if db.engine.dialect.name != "postgresql":
        return True
    return bool(db.session.scalar(_TRY_LOCK, {"k": _LOCK_KEY}))


def apply_pending(limit: int = 200) -> int:
    """Apply up to `limit` waiting effects, oldest first, in one transaction; how many."""
    with writing():
        if not _one_applier():
            db.session.rollback()
            return 0
        rows = db.session.execute(
            select(ResponseEffect, Response)
            .join(Response, Response.id == ResponseEffect.response_id)
            .order_by(ResponseEffect.id)
            .limit(limit)
        ).all()
        if not rows:
            db.session.rollback()
            return 0
        workspaces: dict[int, Workspace] = {}
        surveys: dict[int, Survey] = {}
        for effect, response in rows:
            if response.workspace_id not in workspaces:
                workspaces[response.workspace_id] = db.session.get(Workspace, response.workspace_id)
            if response.survey_id not in surveys:
                surveys[response.survey_id] = db.session.get(Survey, response.survey_id)
            _apply(workspaces[response.workspace_id], surveys[response.survey_id], effect, response)
        db.session.execute(
            delete(ResponseEffect).where(ResponseEffect.id.in_([e.id for e, _ in rows]))
        )
        db.session.commit()
    return len(rows)


def _apply(workspace: Workspace, survey: Survey, effect: ResponseEffect, row: Response) -> None:
    score, previous = effect.score, effect.previous_score
    webhooks.response_recorded(workspace.id, survey, row, score, previous)
    if previous is None:
        cases.response_scored(
            workspace, survey, row.id, row.respondent_id, score, row.team, effect.stored_at
        )
    elif previous != score:
        cases.response_rescored(
            workspace, survey, row.id, row.respondent_id, (previous, score), row.team
        )

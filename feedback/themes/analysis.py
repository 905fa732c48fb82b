"""Analysing comments in the background: the queue is the response table itself.

A batch is claimed with a token (FOR UPDATE SKIP LOCKED on PostgreSQL, so workers never share
a response), analysed outside any transaction, and stored only where the claim still holds: a
response answered again meanwhile is simply analysed again. A crashed worker's claim expires.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, insert, or_, select, text, update

from feedback.accounts.models import Workspace
from feedback.claims import abandoned, claim
from feedback.database import owned_by, utcnow
from feedback.extensions import db, writing
from feedback.responses.models import ANALYSIS_OPEN, Response
from feedback.themes.analyzer import analyzer_for, scaled
from feedback.themes.figures import commented
from feedback.themes.models import AnalysisRun, ResponseTheme, Theme
from feedback.webhooks import service as webhooks

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


@dataclass
class _Claimed:
    id: int
    workspace_id: int
    comment: str
    score: int
    kind: str
    attempts: int


def _due() -> Any:
    now = utcnow()
    pending = and_(
        Response.nlp_status == "pending",
        or_(Response.nlp_retry_at.is_(None), Response.nlp_retry_at <= now),
    )
    taken = and_(
        Response.nlp_status == "running",
        abandoned(Response.nlp_claimed_at, "FEEDBACK_ANALYSIS_CLAIM_SECONDS", now),
    )
    # Every row either can match is in the open comments' index; said here, the planner
    # may read that index instead of the table.
    return and_(text(ANALYSIS_OPEN), or_(pending, taken))


def claim_batch(limit: int) -> tuple[str, list[_Claimed]]:
    """Mark up to `limit` due responses as ours; newest first, so fresh comments go ahead of a
    re-analysis backlog."""
    # By id + 0, not id: ordered by the column itself, SQLite (without statistics) walks every
    # response newest first, under the write lock, to find the few open ones; by an expression
    # it reads the open comments' index and sorts what it found there.
    token, ids = claim(
        Response,
        _due(),
        [(Response.id + 0).desc()],
        limit,
        "nlp_claim",
        {"nlp_status": "running", "nlp_claimed_at": utcnow()},
    )
    if not ids:
        return token, []
    rows = db.session.execute(
        select(
            Response.id,
            Response.workspace_id,
            Response.comment,
            Response.score,
            Response.kind,
            Response.nlp_attempts,
        ).where(Response.nlp_claim == token, Response.nlp_status == "running")
    ).all()
    return token, [_Claimed(*row) for row in rows]


def _analyse(analyzer: Any, items: list[_Claimed]) -> tuple[dict[int, Any], dict[int, str]]:
    """Results by response id, and errors for the comments that could not be analysed."""
    texts = [i.comment or "" for i in items]
    scores = [scaled(i.kind, i.score) for i in items]
    try:
        return dict(
            zip([i.id for i in items], analyzer.analyse_batch(texts, scores), strict=True)
        ), {}
    except Exception:
        # Find the comment at fault: one bad text must not hold back the others.
        results, errors = {}, {}
        for item, text, score in zip(items, texts, scores, strict=True):
            try:
                results[item.id] = analyzer.analyse_batch([text], [score])[0]
            except Exception as exc:  # noqa: BLE001 - recorded on the response, retried later
                errors[item.id] = f"{type(exc).__name__}: {exc}"[:500]
        return results, errors


def analyse_pending(limit: int = 64) -> int:
    """Claim, analyse and store one batch; the number of responses it handled."""
    token, claimed = claim_batch(limit)
    if not claimed:
        return 0
    by_workspace: dict[int, list[_Claimed]] = defaultdict(list)
    for item in claimed:
        by_workspace[item.workspace_id].append(item)
    results: dict[int, Any] = {}
    errors: dict[int, str] = {}
    for workspace_id, items in by_workspace.items():
        workspace = db.session.get(Workspace, workspace_id)
        try:
            analyzer = analyzer_for(workspace)
        except Exception as exc:  # noqa: BLE001 - a broken model fails its batch, visibly
            errors.update({i.id: f"{type(exc).__name__}: {exc}"[:500] for i in items})
            continue
        done, failed = _analyse(analyzer, items)
        results.update(done)
        errors.update(failed)
    _store(token, claimed, results, errors, _phrases(claimed, results))
    return len(claimed)


def _phrases(claimed: list[_Claimed], results: dict[int, Any]) -> dict[int, list[str] | None]:
    """The candidate phrases of each English comment no theme but "other" covers: what theme
    discovery counts (themes.uncovered_comments)."""
    from nlp.discover import phrase_sets

    english = [
        c
        for c in claimed
        if c.id in results
        and results[c.id].is_english
        and all(m.slug == "other" for m in results[c.id].themes)
    ]
    found: dict[int, list[str] | None] = dict.fromkeys(results)
    for item, phrases in zip(english, phrase_sets([c.comment for c in english]), strict=True):
        found[item.id] = phrases[:200]  # a 100,000-character comment keeps a sample
    return found


def _store(
    token: str,
    claimed: list[_Claimed],
    results: dict[int, Any],
    errors: dict[int, str],
    phrases: dict[int, list[str] | None] | None = None,
) -> None:
    now = utcnow()
    with writing():
        # Only responses still claimed by us: one answered again meanwhile is pending anew.
        ours = set(
            db.session.scalars(
                select(Response.id).where(
                    Response.id.in_([c.id for c in claimed]), Response.nlp_claim == token
                )
            )
        )
        done_ids = [i for i in results if i in ours]
        if done_ids:
            known = _known(claimed, done_ids)
            _replace_auto_tags(known, done_ids, results)
            db.session.execute(
                update(Response.__table__)
                .where(Response.__table__.c.id == bindparam("rid"))
                .values(
                    nlp_status="done",
                    nlp_claim=None,
                    nlp_error=None,
                    sentiment=bindparam("b_sentiment"),
                    sentiment_score=bindparam("b_score"),
                    language=bindparam("b_language"),
                    model_version=bindparam("b_version"),
                    phrases=bindparam("b_phrases"),
                    uncertain_themes=bindparam("b_uncertain"),
                    analysed_at=now,
                ),
                [
                    {
                        "rid": rid,
                        "b_sentiment": results[rid].sentiment,
                        "b_score": results[rid].compound,
                        "b_language": results[rid].text_language[:8],
                        "b_version": results[rid].model_version[:64],
                        "b_phrases": (phrases or {}).get(rid),
                        "b_uncertain": _uncertain(known, rid, results[rid]),
                    }
                    for rid in done_ids
                ],
            )
            _emit_completed(claimed, done_ids, results)
        attempts = {c.id: c.attempts + 1 for c in claimed}
        failed = [
            {
                "rid": rid,
                "b_attempts": attempts[rid],
                "b_status": "failed" if attempts[rid] >= MAX_ATTEMPTS else "pending",
                "b_retry": now + timedelta(minutes=2 ** attempts[rid]),
                "b_error": error,
            }
            for rid, error in errors.items()
            if rid in ours
        ]
        if failed:
            db.session.execute(
                update(Response.__table__)
                .where(Response.__table__.c.id == bindparam("rid"))
                .values(
                    nlp_status=bindparam("b_status"),
                    nlp_attempts=bindparam("b_attempts"),
                    nlp_retry_at=bindparam("b_retry"),
                    nlp_error=bindparam("b_error"),
                    nlp_claim=None,
                ),
                failed,
            )
        db.session.commit()


def _emit_completed(claimed: list[_Claimed], done_ids: list[int], results: dict[int, Any]) -> None:
    """An analysis.completed event per response, in the transaction that stores the results."""
    workspace_of = {c.id: c.workspace_id for c in claimed}
    for rid in done_ids:
        analysis = results[rid]
        payload = {
            "id": rid,
            "sentiment": analysis.sentiment,
            "language": analysis.text_language,
            "themes": [{"theme": m.slug, "sentiment": m.sentiment} for m in analysis.themes],
        }
        webhooks.emit(workspace_of[rid], "analysis.completed", payload)


@dataclass(frozen=True)
class _Known:
    """What storing a batch checks each theme against: the workspace of each response, the
    themes of those workspaces, and the (response, theme) pairs an analyst has decided."""

    workspace_of: dict[int, int]
    theme_ids: dict[tuple[int, str], int]
    manual: set[tuple[int, int]]


def _known(claimed: list[_Claimed], done_ids: list[int]) -> _Known:
    workspace_of = {c.id: c.workspace_id for c in claimed}
    workspaces = {workspace_of[i] for i in done_ids}
    theme_ids = {
        (ws, slug): tid
        for ws, slug, tid in db.session.execute(
            select(Theme.workspace_id, Theme.slug, Theme.id).where(
                Theme.workspace_id.in_(workspaces)
            )
        )
    }
    manual = {
        (rid, tid)
        for rid, tid in db.session.execute(
            select(ResponseTheme.response_id, ResponseTheme.theme_id).where(
                ResponseTheme.response_id.in_(done_ids), ResponseTheme.source == "manual"
            )
        )
    }
    return _Known(workspace_of, theme_ids, manual)


def _uncertain(known: _Known, rid: int, analysis: Any) -> list[str] | None:
    """The themes to offer an analyst: those of the workspace they have not decided on yet;
    None (stored as NULL) when there are none."""
    tagged = {m.slug for m in analysis.themes}
    offered = []
    for slug in analysis.uncertain:
        tid = known.theme_ids.get((known.workspace_of[rid], slug))
        if tid is None or slug in tagged or (rid, tid) in known.manual or slug in offered:
            continue
        offered.append(slug)
    return offered or None


def _replace_auto_tags(known: _Known, done_ids: list[int], results: dict[int, Any]) -> None:
    workspace_of, theme_ids, manual = known.workspace_of, known.theme_ids, known.manual
    db.session.execute(
        delete(ResponseTheme).where(
            ResponseTheme.response_id.in_(done_ids), ResponseTheme.source == "auto"
        )
    )
    rows = []
    for rid in done_ids:
        analysis = results[rid]
        for mention in analysis.themes:
            tid = theme_ids.get((workspace_of[rid], mention.slug))
            if tid is None or (rid, tid) in manual:
                continue  # an analyst's word on this theme stands
            rows.append(
                {
                    "workspace_id": workspace_of[rid],
                    "response_id": rid,
                    "theme_id": tid,
                    "sentiment": mention.sentiment,
                    "confidence": float(mention.confidence),
                    "evidence": [
                        {"start": e.start, "end": e.end, "text": e.text} for e in mention.evidence
                    ],
                    "source": "auto",
                    "removed": False,
                    "model_version": analysis.model_version[:64],
                    "created_at": utcnow(),
                }
            )
    if rows:
        db.session.execute(insert(ResponseTheme.__table__), rows)


def start_reanalysis(workspace: Workspace, reason: str) -> AnalysisRun:
    """Queue every comment of the workspace for analysis again, and track the run."""
    last_id = db.session.scalar(
        select(func.coalesce(func.max(Response.id), 0)).where(owned_by(Response, workspace.id))
    )
    result = db.session.execute(
        update(Response)
        .where(owned_by(Response, workspace.id), Response.comment.is_not(None))
        .values(nlp_status="pending", nlp_attempts=0, nlp_retry_at=None, nlp_error=None)
        .execution_options(synchronize_session=False)
    )
    run = AnalysisRun(
        workspace_id=workspace.id, reason=reason[:200], total=result.rowcount or 0, last_id=last_id
    )
    db.session.add(run)
    db.session.flush()
    return run


def progress(workspace: Workspace) -> dict[str, Any]:
    """How far the latest re-analysis got, and what waits or failed right now."""
    # The few comments not done are counted; the done ones are the rest of all comments,
    # which the daily sums count (counting them here would read every comment).
    counts = dict(
        db.session.execute(
            select(Response.nlp_status, func.count())
            .where(owned_by(Response, workspace.id), text(ANALYSIS_OPEN))
            .group_by(Response.nlp_status)
        ).all()
    )
    counts["done"] = commented(workspace.id, (None, None)) - sum(counts.values())
    waiting = counts.get("pending", 0) + counts.get("running", 0)
    run = db.session.scalar(
        select(AnalysisRun)
        .where(owned_by(AnalysisRun, workspace.id))
        .order_by(AnalysisRun.id.desc())
        .limit(1)
    )
    out: dict[str, Any] = {
        "pending": waiting,
        "failed": counts.get("failed", 0),
        "done": counts.get("done", 0),
        "run": None,
    }
    if run is not None:
        left = db.session.scalar(
            select(func.count()).where(
                owned_by(Response, workspace.id),
                text(ANALYSIS_OPEN),
                Response.id <= run.last_id,
                Response.nlp_status.in_(("pending", "running")),
            )
        )
        out["run"] = {
            "reason": run.reason,
            "total": run.total,
            "done": max(0, run.total - left),
            "percent": round(100 * (run.total - left) / run.total, 1) if run.total else 100.0,
            "started_at": run.started_at.isoformat() + "Z",
            "finished": left == 0,
        }
    return out

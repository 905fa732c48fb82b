"""What the analysis left undecided: comments it did not read because of their language, and
themes it leaned towards without tagging them (taxonomy.confirm_uncertain and
dismiss_uncertain settle those)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, func, select

from feedback.accounts.models import Workspace
from feedback.database import owned_by
from feedback.extensions import db
from feedback.periods import Period
from feedback.responses.models import Response
from nlp.language import READ_AS_ENGLISH, language_name


def skipped_language(response: Response) -> str | None:
    """The name of the language an analysed comment was left unread for; None if it was read."""
    if response.nlp_status != "done" or not response.language:
        return None
    if response.language in READ_AS_ENGLISH:
        return None
    return language_name(response.language)


def _skipped() -> ColumnElement[bool]:
    """skipped_language in SQL: analysed, and in a language the analysis does not read."""
    return and_(
        Response.comment.is_not(None),
        Response.nlp_status == "done",
        Response.language.is_not(None),
        Response.language.not_in(READ_AS_ENGLISH),
    )


def analysis_state(response: Response) -> dict[str, Any]:
    """Whether the comment was analysed, and why not: what the API gives with a response."""
    reason = None
    if not response.comment:
        reason = "no_comment"
    elif response.nlp_status in ("pending", "running"):
        reason = "pending"
    elif response.nlp_status == "failed":
        reason = "failed"
    elif skipped_language(response) is not None:
        reason = "language"
    return {
        "language": response.language,
        "analysed": reason is None,
        "not_analysed_reason": reason,
    }


def undecided(workspace: Workspace, period: Period) -> dict[str, Any]:
    """The period's comments with an uncertain theme, and those not analysed by language
    (most first): what the themes page says it left out of its figures."""
    in_period = [owned_by(Response, workspace.id)]
    if period.start is not None:
        in_period.append(Response.submitted_at >= period.start)
    if period.end is not None:
        in_period.append(Response.submitted_at < period.end)
    uncertain = db.session.scalar(
        select(func.count()).where(*in_period, Response.uncertain_themes.is_not(None))
    )
    rows = db.session.execute(
        select(Response.language, func.count())
        .where(*in_period, _skipped())
        .group_by(Response.language)
    ).all()
    by_language = sorted(
        ((language_name(code) or code, n) for code, n in rows), key=lambda row: (-row[1], row[0])
    )
    return {
        "uncertain": int(uncertain or 0),
        "not_analysed": sum(n for _, n in by_language),
        "languages": by_language,
    }

"""The sums behind the money figures, in SQL: each respondent's latest NPS band in a period with
the monthly value of their account, the detractors with an open case, the churn or renewal
that followed each respondent's latest score, and each month's churns and renewals by the band
of the score before them. No statement runs per row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Float, Subquery, and_, case, cast, func, select

from feedback.cases.models import CLOSED_STATUSES, Case
from feedback.database import owned_by
from feedback.extensions import db
from feedback.responses.models import Respondent, RespondentEvent, Response
from feedback.surveys.kinds import LOW_BAND

# The traits a respondent's account value is read from: monthly, else annual recurring revenue.
VALUE_TRAITS = ("mrr", "arr")
# A value is a plain decimal number ("1200", "99.5") of at most 19 characters: anything else
# (a sign, an exponent, a currency symbol, a word) counts as no value.
_DECIMAL = r"^[0-9]+(\.[0-9]+)?$"


def _number(trait: str) -> ColumnElement[Any]:
    """A respondent's trait as a number, or NULL when it holds anything but a plain decimal."""
    text = Respondent.traits[trait].as_string()
    short = func.length(text).between(1, 19)
    if db.engine.dialect.name == "postgresql":
        plain = and_(short, text.op("~")(_DECIMAL))
    else:  # the same shape in GLOB patterns: digits, then at most one dot with digits after it
        plain = and_(
            short,
            text.op("GLOB")("[0-9]*"),
            text.op("NOT GLOB")("*[^0-9.]*"),
            text.op("NOT GLOB")("*.*.*"),
            text.op("NOT GLOB")("*."),
        )
    return case((plain, cast(text, Float)), else_=None)


def monthly_value() -> ColumnElement[Any]:
    """A respondent's monthly value: their `mrr` trait, else their `arr` trait divided by 12."""
    return func.coalesce(_number("mrr"), _number("arr") / 12.0)


def latest_scores(workspace_id: int, start: datetime | None, end: datetime | None) -> Subquery:
    """Each known respondent's latest NPS score in [start, end): respondent_id, band, scored_at."""
    conds = [
        owned_by(Response, workspace_id),
        Response.kind == "nps",
        Response.respondent_id.is_not(None),
    ]
    if start is not None:
        conds.append(Response.submitted_at >= start)
    if end is not None:
        conds.append(Response.submitted_at < end)
    order = (Response.submitted_at.desc(), Response.id.desc())
    ranked = (
        select(
            Response.respondent_id.label("respondent_id"),
            Response.band.label("band"),
            Response.submitted_at.label("scored_at"),
            func.row_number().over(partition_by=Response.respondent_id, order_by=order).label("n"),
        )
        .where(*conds)
        .subquery()
    )
    return (
        select(ranked.c.respondent_id, ranked.c.band, ranked.c.scored_at)
        .where(ranked.c.n == 1)
        .subquery("latest")
    )


@dataclass(frozen=True)
class BandSums:
    """The respondents of one band: how many, how many carry a value, and its monthly total."""

    respondents: int = 0
    valued: int = 0
    monthly: float = 0.0


def band_sums(workspace_id: int, latest: Subquery) -> dict[str, BandSums]:
    """Respondents and their monthly value by their latest NPS band, each counted once."""
    value = monthly_value()
    rows = db.session.execute(
        select(latest.c.band, func.count(), func.count(value), func.sum(value))
        .join(Respondent, Respondent.id == latest.c.respondent_id)
        .where(owned_by(Respondent, workspace_id))
        .group_by(latest.c.band)
    )
    return {band: BandSums(int(n), int(k), float(total or 0)) for band, n, k, total in rows}


def open_case_sums(
    workspace_id: int, start: datetime | None, end: datetime | None
) -> tuple[int, BandSums]:
    """The open cases opened in [start, end) on a detractor's score, and their respondents
    (each counted once) with the monthly value of their accounts."""
    conds = [
        owned_by(Case, workspace_id),
        Case.status.not_in(CLOSED_STATUSES),
        Case.kind == "nps",
        Response.band == LOW_BAND["nps"],
    ]
    if start is not None:
        conds.append(Case.opened_at >= start)
    if end is not None:
        conds.append(Case.opened_at < end)
    cases = select(Case.id, Case.respondent_id).join(Response, Response.id == Case.response_id)
    count = db.session.scalar(select(func.count()).select_from(cases.where(*conds).subquery()))
    people = (
        select(Case.respondent_id)
        .join(Response, Response.id == Case.response_id)
        .where(*conds, Case.respondent_id.is_not(None))
        .distinct()
        .subquery()
    )
    value = monthly_value()
    n, valued, total = db.session.execute(
        select(func.count(), func.count(value), func.sum(value))
        .select_from(people)
        .join(Respondent, Respondent.id == people.c.respondent_id)
        .where(owned_by(Respondent, workspace_id))
    ).one()
    return int(count or 0), BandSums(int(n), int(valued), float(total or 0))


def has_events(workspace_id: int) -> bool:
    """Whether any churn or renewal event was ever reported in the workspace."""
    found = db.session.scalar(
        select(RespondentEvent.id).where(owned_by(RespondentEvent, workspace_id)).limit(1)
    )
    return found is not None


def outcome_sums(workspace_id: int, latest: Subquery) -> dict[str, dict[str, int]]:
    """By latest NPS band, how many respondents' last event at or after that score was a churn
    and how many a renewal; respondents with no event since are not counted."""
    order = (RespondentEvent.at.desc(), RespondentEvent.id.desc())
    ranked = (
        select(
            latest.c.band.label("band"),
            RespondentEvent.event.label("event"),
            func.row_number()
            .over(partition_by=RespondentEvent.respondent_id, order_by=order)
            .label("n"),
        )
        .join(latest, latest.c.respondent_id == RespondentEvent.respondent_id)
        .where(owned_by(RespondentEvent, workspace_id), RespondentEvent.at >= latest.c.scored_at)
        .subquery()
    )
    rows = db.session.execute(
        select(ranked.c.band, ranked.c.event, func.count())
        .where(ranked.c.n == 1)
        .group_by(ranked.c.band, ranked.c.event)
    )
    out: dict[str, dict[str, int]] = {}
    for band, event, n in rows:
        out.setdefault(band, {})[event] = int(n)
    return out


@dataclass(frozen=True)
class MonthOutcome:
    """The respondents whose last event in month `month` (an index into the months asked for)
    was `event`, with `band` the band of their latest NPS score at or before it (None: they had
    not scored yet): how many, how many carry a value, and its monthly total."""

    month: int
    band: str | None
    event: str
    respondents: int
    valued: int = 0
    monthly: float = 0.0


def monthly_outcome_sums(
    workspace_id: int, months: list[tuple[datetime, datetime]]
) -> list[MonthOutcome]:
    """Churns and renewals in each of `months` (consecutive [start, end) spans in naive UTC):
    each respondent counts once a month, by their last event in it, in the band of their latest
    NPS score at or before that event; a score given after it moves nothing.

    It reads the events of those months only and, for each respondent-month, the one response
    that is the latest NPS score before the event, found through the respondent's index."""
    if not months:
        return []
    at = RespondentEvent.at
    month = case(*((at < end, i) for i, (_start, end) in enumerate(months)))
    # Computed beside the window function, so each event's score is looked up once (a
    # subquery that is flattened into the outer one would run it again for its GROUP BY).
    band = (
        select(Response.band)
        .where(
            Response.respondent_id == RespondentEvent.respondent_id,
            Response.kind == "nps",
            Response.submitted_at <= at,
            owned_by(Response, workspace_id),
        )
        .order_by(Response.submitted_at.desc(), Response.id.desc())
        .limit(1)
        .correlate(RespondentEvent)
        .scalar_subquery()
    )
    ranked = (
        select(
            RespondentEvent.respondent_id.label("respondent_id"),
            RespondentEvent.event.label("event"),
            month.label("month"),
            band.label("band"),
            func.row_number()
            .over(
                partition_by=(RespondentEvent.respondent_id, month),
                order_by=(at.desc(), RespondentEvent.id.desc()),
            )
            .label("k"),
        )
        .where(owned_by(RespondentEvent, workspace_id), at >= months[0][0], at < months[-1][1])
        .subquery("ranked")
    )
    value = monthly_value()
    rows = db.session.execute(
        select(ranked.c.month, ranked.c.band, ranked.c.event)
        .add_columns(func.count(), func.count(value), func.sum(value))
        .join(Respondent, Respondent.id == ranked.c.respondent_id)
        .where(owned_by(Respondent, workspace_id), ranked.c.k == 1)
        .group_by(ranked.c.month, ranked.c.band, ranked.c.event)
    )
    return [
        MonthOutcome(int(m), band, event, int(n), int(k), float(total or 0))
        for m, band, event, n, k, total in rows
    ]

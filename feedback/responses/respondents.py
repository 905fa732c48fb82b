"""Who answered: identify, export and erase a respondent."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, bindparam, cast, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import JSONB

from feedback.accounts.models import Workspace
from feedback.audit import log as audit
from feedback.cases import work as cases
from feedback.database import in_workspace, owned_by, use_case, utcnow
from feedback.errors import Invalid, NotFound
from feedback.extensions import db, upsert
from feedback.responses.models import (
    Display,
    Respondent,
    RespondentEvent,
    Response,
    ResponseEffect,
)
from feedback.webhooks.service import redact_responses

MAX_TRAITS = 50


def clean_traits(raw: Any, field: str, max_value: int) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise Invalid("Must be an object of names to values.", field)
    if len(raw) > MAX_TRAITS:
        raise Invalid(f"At most {MAX_TRAITS} traits.", field)
    traits = {}
    for key, value in raw.items():
        if not isinstance(key, str) or not 0 < len(key) <= 100:
            raise Invalid("Trait names are strings of 1 to 100 characters.", field)
        if value is None:
            continue
        if isinstance(value, bool | int | float):
            value = str(value).lower() if isinstance(value, bool) else str(value)
        if not isinstance(value, str):
            raise Invalid("Trait values are strings, numbers or booleans.", f"{field}.{key}")
        if len(value) > max_value:
            raise Invalid(f"Longer than the limit of {max_value} characters.", f"{field}.{key}")
        traits[key] = value
    return traits


_TABLE = Respondent.__table__
_UPSERTS: dict[tuple[str, str, str], Any] = {}


def _upsert_statement(stamp: str, shape: str) -> Any:
    """Built once per dialect and shape: constructing it costs more than running it.

    `shape` is "traits" or "plain" for a verified person (their email and traits are facts),
    "claim" for an unverified one: found or created by id, with only the time moved.
    """
    key = (db.engine.dialect.name, stamp, shape)
    if key not in _UPSERTS:
        columns = ("workspace_id", "external_id", "email", "traits", "created_at", stamp)
        stmt = upsert(_TABLE).values({c: bindparam(c, type_=_TABLE.c[c].type) for c in columns})
        traits = _TABLE.c.traits
        if shape == "traits" and key[0] == "postgresql":
            traits = cast(cast(traits, JSONB).op("||")(cast(stmt.excluded.traits, JSONB)), JSON)
        elif shape == "traits":
            traits = func.json_patch(traits, stmt.excluded.traits)
        changes: dict[str, Any] = {stamp: stmt.excluded[stamp]}
        if shape != "claim":
            changes.update(email=func.coalesce(stmt.excluded.email, _TABLE.c.email), traits=traits)
        _UPSERTS[key] = stmt.on_conflict_do_update(
            index_elements=["workspace_id", "external_id"], set_=changes
        ).returning(_TABLE.c.id)
    return _UPSERTS[key]


def upsert_sql(shape: str, stamp: str = "last_responded_at") -> str:
    """The same upsert as SQL with `:name` placeholders, for a write made with the driver
    outside the session (feedback.responses.storing): one rule, whichever way it runs."""
    dialect = db.engine.dialect
    return str(_upsert_statement(stamp, shape).compile(dialect=type(dialect)(paramstyle="named")))


@dataclass(frozen=True)
class RespondentInput:
    """Who answered, as the client described them, already checked.

    `verified` when a verified source gave them (an API key, the helpdesk, an email invite, a
    signed identify); otherwise their email and traits are only a claim.
    """

    external_id: str | None
    email: str | None
    traits: dict[str, str]
    verified: bool = False


_ANONYMOUS = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")


def parse_respondent(
    raw: Any, max_value: int = 500, anonymous_id: Any = None
) -> RespondentInput | None:
    """Check {id, email, traits}; None for a respondent nobody can recognise.

    A browser's anonymous id (kept in its storage by the widget) stands in for a missing id,
    so throttling holds for visitors who never log in.
    """
    if anonymous_id is not None and not (
        isinstance(anonymous_id, str) and _ANONYMOUS.fullmatch(anonymous_id)
    ):
        raise Invalid("Must be 8 to 64 letters, digits, '_', '.', ':' or '-'.", "anonymous_id")
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise Invalid("Must be an object with id, email and traits.", "respondent")
    external_id = raw.get("id")
    email = raw.get("email")
    if external_id is not None:
        if isinstance(external_id, int) and not isinstance(external_id, bool):
            external_id = str(external_id)
        if not isinstance(external_id, str) or not 0 < len(external_id) <= 200:
            raise Invalid("Must be a string of 1 to 200 characters.", "respondent.id")
    if email is not None and (not isinstance(email, str) or "@" not in email or len(email) > 320):
        raise Invalid("Must be an email address.", "respondent.email")
    traits = clean_traits(raw.get("traits"), "respondent.traits", max_value)
    if external_id is None and anonymous_id is not None:
        external_id = "anon:" + anonymous_id
    if external_id is None and email is None:
        return None
    return RespondentInput(external_id, email.lower() if email else None, traits)


def identify(
    workspace: Workspace, person: RespondentInput | None, seen: str = "responded"
) -> int | None:
    """The respondent's id, created or updated (one statement when they have an id).

    `seen` is "responded" or "shown": which of their last-contact times to move to now. A
    claim finds or creates the respondent by id (so throttling holds) but never writes their
    email or traits; a claimed email without an id names nobody.
    """
    if person is None:
        return None
    now = utcnow()
    stamp = "last_responded_at" if seen == "responded" else "last_shown_at"
    if person.external_id is None:
        if not person.verified:
            return None
        return _identify_by_email(workspace, person.email or "", person.traits, stamp, now)
    params, shape = respondent_row(workspace, person, now, stamp)
    return db.session.execute(_upsert_statement(stamp, shape), params).scalar_one()


def respondent_row(
    workspace: Workspace, person: RespondentInput, now: datetime, stamp: str = "last_responded_at"
) -> tuple[dict[str, Any], str]:
    """What the upsert of a person with an id writes, and its shape (see `_upsert_statement`):
    a claim finds or creates them by id and moves `stamp`, never writing email or traits."""
    params = {
        "workspace_id": workspace.id,
        "external_id": person.external_id,
        "email": person.email if person.verified else None,
        "traits": person.traits if person.verified else {},
        "created_at": now,
        stamp: now,
    }
    return params, "claim" if not person.verified else "traits" if person.traits else "plain"


def _identify_by_email(
    workspace: Workspace, email: str, traits: dict[str, str], stamp: str, now: Any
) -> int:
    respondent = db.session.scalar(
        in_workspace(Respondent, workspace.id).where(Respondent.email == email).limit(1)
    )
    if respondent is None:
        respondent = Respondent(workspace_id=workspace.id, email=email, traits=traits)
        db.session.add(respondent)
    elif traits:
        respondent.traits = {**(respondent.traits or {}), **traits}
    setattr(respondent, stamp, now)
    db.session.flush()
    return respondent.id


@dataclass(frozen=True)
class Contacts:
    """When each of some people last saw or answered a survey, by workspace, id and address."""

    by_key: dict[tuple[int, str, str], datetime]

    def last(self, workspace_id: int, external_id: str | None, email: str) -> datetime | None:
        """A person's last contact: by their id when it is on record, else by their address."""
        found = self.by_key.get((workspace_id, "id", external_id)) if external_id else None
        return found or self.by_key.get((workspace_id, "email", email))


def last_contacts(people: Iterable[tuple[int, str | None, str]]) -> Contacts:
    """The last contacts of these people (workspace id, external id, address), in one query."""
    people = list(people)
    ids = {external_id for _ws, external_id, _email in people if external_id}
    rows = db.session.execute(
        select(
            Respondent.workspace_id,
            Respondent.external_id,
            Respondent.email,
            Respondent.last_shown_at,
            Respondent.last_responded_at,
        ).where(
            Respondent.workspace_id.in_({ws for ws, _id, _email in people}),
            or_(
                Respondent.external_id.in_(ids),
                Respondent.email.in_({email for _ws, _id, email in people}),
            ),
        )
    )
    last: dict[tuple[int, str, str], datetime] = {}
    for ws, external_id, email, shown, answered in rows:
        stamp = max((t for t in (shown, answered) if t is not None), default=None)
        if stamp is None:
            continue
        # A respondent with no id is found by address alone: keyed under "no id", they would
        # stand for everyone else without one.
        keys = [(ws, "email", email)] + ([(ws, "id", external_id)] if external_id else [])
        for key in keys:
            if key not in last or last[key] < stamp:
                last[key] = stamp
    return Contacts(last)


def get_respondent(workspace: Workspace, external_id: str) -> Respondent:
    respondent = db.session.scalar(
        in_workspace(Respondent, workspace.id).where(Respondent.external_id == external_id)
    )
    if respondent is None:
        raise NotFound(f"No respondent {external_id!r}.", "respondent")
    return respondent


@use_case
def export_respondent(workspace: Workspace, external_id: str) -> dict[str, Any]:
    """Everything stored about one person (a data-subject access request); the download is
    logged."""
    respondent = get_respondent(workspace, external_id)
    # By row id: their external id in the log would outlive an erasure.
    audit.downloaded(workspace.id, f"respondent {respondent.id}")
    responses = db.session.scalars(
        in_workspace(Response, workspace.id)
        .where(Response.respondent_id == respondent.id)
        .order_by(Response.submitted_at)
    )
    displays = db.session.scalars(
        in_workspace(Display, workspace.id).where(Display.respondent_id == respondent.id)
    )
    events = db.session.scalars(
        in_workspace(RespondentEvent, workspace.id)
        .where(RespondentEvent.respondent_id == respondent.id)
        .order_by(RespondentEvent.at, RespondentEvent.id)
    )
    return {
        "respondent": {
            "id": respondent.external_id,
            "email": respondent.email,
            "traits": respondent.traits,
            "created_at": respondent.created_at.isoformat() + "Z",
        },
        "responses": [r.to_dict() for r in responses],
        "displays": [
            {
                "shown_at": d.shown_at.isoformat() + "Z",
                "dismissed_at": d.dismissed_at.isoformat() + "Z" if d.dismissed_at else None,
                "page_url": d.page_url,
            }
            for d in displays
        ],
        "events": [e.to_dict(respondent.external_id) for e in events],
    }


@use_case
def respondents_by_email(workspace: Workspace, email: str) -> list[Respondent]:
    """Everyone on record at this address (a person known by an id and by address alone)."""
    return list(
        db.session.scalars(
            in_workspace(Respondent, workspace.id)
            .where(Respondent.email == email.lower())
            .order_by(Respondent.id)
        )
    )


def respondent_by_id(workspace: Workspace, respondent_id: int) -> Respondent | None:
    """A respondent by the row id this product gives them (the id Delighted's calls use)."""
    return db.session.scalar(
        in_workspace(Respondent, workspace.id).where(Respondent.id == respondent_id)
    )


@use_case
def erase(workspace: Workspace, respondent: Respondent) -> dict[str, int]:
    """Remove a person's data and words; scores stay, unlinked, so past counts do not move.
    What the survey mail kept of them goes with `email.erasure.erase_person`, the erasure every
    entry point calls."""
    responses = list(
        db.session.scalars(
            in_workspace(Response, workspace.id).where(Response.respondent_id == respondent.id)
        )
    )
    for response in responses:
        # Choice answers are not personal; open text may be, so it goes.
        survey_followups = {f["id"]: f for f in response.survey.followups}
        response.answers = {
            fid: value
            for fid, value in (response.answers or {}).items()
            if survey_followups.get(fid, {}).get("type") in ("single", "multiple")
        }
        response.comment = None
        response.claimed_email = None
        response.context = {}
        response.page_url = None
        response.ticket_id = None
        response.respondent_id = None
        response.nlp_status = "none"
        response.updated_at = utcnow()
    displays = db.session.execute(
        update(Display)
        .where(owned_by(Display, workspace.id), Display.respondent_id == respondent.id)
        .values(respondent_id=None, page_url=None)
    )
    # The webhook log holds copies of what they wrote; what their answers would still have
    # caused (a case, events quoting them) is dropped with them.
    redact_responses(workspace.id, [r.id for r in responses])
    db.session.execute(
        delete(ResponseEffect).where(ResponseEffect.response_id.in_([r.id for r in responses]))
    )
    erased_cases = cases.erase_respondent(workspace.id, respondent.id)
    # Their churn and renewal events say what their account did: personal, so they go.
    events = db.session.execute(
        delete(RespondentEvent).where(
            owned_by(RespondentEvent, workspace.id),
            RespondentEvent.respondent_id == respondent.id,
        )
    )
    db.session.delete(respondent)
    db.session.flush()
    return {
        "responses": len(responses),
        "displays": displays.rowcount or 0,
        "cases": len(erased_cases),
        "events": events.rowcount or 0,
    }

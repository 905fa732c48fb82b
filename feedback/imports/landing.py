"""Writing checked rows in bulk: their surveys and themes once, then each batch's respondents,
responses, theme labels and the cases that carry their notes, a few statements a batch."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select

from feedback.accounts.models import Workspace
from feedback.cases import sla
from feedback.cases.models import Case, CaseNote
from feedback.database import in_workspace, owned_by, utcnow
from feedback.extensions import db, upsert
from feedback.imports.rows import Person, Row
from feedback.responses.models import CONTEXT_COLUMNS, Respondent, Response
from feedback.surveys import definition
from feedback.surveys import service as surveys
from feedback.surveys.followups import followups_for
from feedback.surveys.kinds import HIGH_BAND, LOW_BAND, band_for
from feedback.surveys.models import Survey
from feedback.themes import taxonomy
from feedback.themes.models import ResponseTheme, Theme

CHANNEL = "api"
COLUMN_LIMIT = 200


@dataclass
class Landed:
    imported: int = 0
    already: int = 0
    tags: int = 0
    cases: int = 0
    notes: int = 0
    # Notes on a score that opens no case: nowhere to keep them.
    notes_not_kept: int = 0
    respondents: list[int] = field(default_factory=list)


def ensure_surveys(workspace: Workspace, rows: list[Row]) -> tuple[dict[str, Survey], list[int]]:
    """One survey per source and kind ("Imported from Delighted (NPS)"), made when missing;
    archived, so it counts in every figure but is never shown to anyone."""
    wanted = {row.survey_name: row.kind for row in rows}
    found = {
        s.name: s
        for s in db.session.scalars(
            in_workspace(Survey, workspace.id).where(Survey.name.in_(wanted))
        )
        if s.kind == wanted[s.name]
    }
    created = []
    for name, kind in sorted(wanted.items()):
        if name not in found:
            payload = {"kind": kind, "name": name, "status": "archived", "channels": ["link"]}
            found[name] = surveys.create_survey(workspace, payload)
            created.append(found[name].id)
    return found, created


def slug_of(tag: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "-", tag.strip().lower()).strip("-_")[:64] or "tag"


def ensure_themes(workspace: Workspace, rows: list[Row]) -> tuple[dict[str, int], list[int]]:
    """A theme for every tag (by its slug), made when missing: the tags become its labels."""
    slugs = {slug_of(tag): tag for row in rows for tag in row.tags}
    found = {
        t.slug: t.id
        for t in db.session.scalars(in_workspace(Theme, workspace.id).where(Theme.slug.in_(slugs)))
    }
    created = []
    for slug, tag in sorted(slugs.items()):
        if slug not in found:
            theme = taxonomy.create_theme(workspace, {"slug": slug, "name": tag.strip()[:100]})
            found[slug] = theme.id
            created.append(theme.id)
    return found, created


def _person_key(person: Person) -> tuple[str, str]:
    return ("id", person.external_id) if person.external_id else ("email", person.email or "")


def _respondents(
    workspace: Workspace, rows: list[Row]
) -> tuple[dict[tuple[str, str], int], list[int]]:
    """Each row's respondent: the one with its id, else the one with its email address, else a
    new one; the ids of those made here."""
    people = {_person_key(row.person): row.person for row in rows}

    def lookup() -> dict[tuple[str, str], int]:
        ids = {p.external_id for p in people.values() if p.external_id}
        emails = {p.email for p in people.values() if p.email}
        found: dict[tuple[str, str], int] = {}
        stmt = in_workspace(
            Respondent, workspace.id, Respondent.id, Respondent.external_id, Respondent.email
        ).where(or_(Respondent.external_id.in_(ids), Respondent.email.in_(emails)))
        for rid, ext, email in db.session.execute(stmt.order_by(Respondent.id)):
            if ext:
                found.setdefault(("id", ext), rid)
            if email:
                found.setdefault(("email", email), rid)
        return found

    found = lookup()
    resolved: dict[tuple[str, str], int] = {}
    missing = []
    for person_key, person in people.items():
        rid = found.get(person_key)
        if rid is None and person.email:
            rid = found.get(("email", person.email))
        if rid is None:
            missing.append(person)
        else:
            resolved[person_key] = rid
    if not missing:
        return resolved, []
    latest: dict[tuple[str, str], Any] = {}
    for row in rows:
        k = _person_key(row.person)
        latest[k] = max(latest.get(k, row.submitted_at), row.submitted_at)
    now = utcnow()
    new = [
        {
            "workspace_id": workspace.id,
            "external_id": p.external_id,
            "email": p.email,
            "traits": {"name": p.name} if p.name else {},
            "created_at": now,
            "last_responded_at": latest[_person_key(p)],
        }
        for p in missing
    ]
    table = Respondent.__table__
    with_id = [r for r in new if r["external_id"]]
    if with_id:
        stmt = upsert(table).on_conflict_do_nothing(index_elements=["workspace_id", "external_id"])
        db.session.execute(stmt, with_id)
    if len(with_id) < len(new):
        db.session.execute(table.insert(), [r for r in new if not r["external_id"]])
    found = lookup()
    created = []
    for person in missing:
        rid = found[_person_key(person)]
        resolved[_person_key(person)] = rid
        created.append(rid)
    return resolved, created


def _comment_answers(survey: Survey, score: int, comment: str | None) -> dict[str, Any]:
    """The comment as the answer to the follow-up this survey asks at that score."""
    if not comment:
        return {}
    asked = [f for f in followups_for(survey.definition, score) if f.get("type") == "text"]
    return {asked[0]["id"]: comment} if asked else {"comment": comment}


def _response_values(workspace: Workspace, row: Row, survey: Survey, rid: int) -> dict[str, Any]:
    columns = dict.fromkeys(CONTEXT_COLUMNS)
    extra: dict[str, str] = {}
    for name, value in row.context.items():
        column = name.strip().lower()
        if column in columns and columns[column] is None:
            columns[column] = value[:COLUMN_LIMIT]
        else:
            extra[name] = value
    return {
        "workspace_id": workspace.id,
        "survey_id": survey.id,
        "respondent_id": rid,
        "client_id": row.client_id,
        "channel": CHANNEL,
        "kind": survey.kind,
        "question": survey.question,
        "score": row.score,
        "band": band_for(survey.kind, survey.scale, row.score),
        "answers": _comment_answers(survey, row.score, row.comment),
        "comment": row.comment,
        # Queued for analysis once the whole import has landed (see running.finish).
        "nlp_status": "none",
        "context": extra,
        "identity": "verified",
        "submitted_at": row.submitted_at,
        "updated_at": row.updated_at or row.submitted_at,
        **columns,
    }


def _sentiment(kind: str, band: str) -> str:
    """An analyst's tag carries a sentiment; the score's band is the best one an import has."""
    if band == LOW_BAND[kind]:
        return "negative"
    return "positive" if band == HIGH_BAND[kind] else "neutral"


def land(
    workspace: Workspace,
    rows: list[Row],
    surveys_by_name: dict[str, Survey],
    themes: dict[str, int],
    tagged_by: str,
) -> Landed:
    """Write one batch (the caller commits); rows imported before are left as they are."""
    landed = Landed()
    respondents, landed.respondents = _respondents(workspace, rows)
    values = [
        _response_values(
            workspace,
            row,
            surveys_by_name[row.survey_name],
            respondents[_person_key(row.person)],
        )
        for row in rows
    ]
    table = Response.__table__
    stmt = (
        upsert(table)
        .on_conflict_do_nothing(index_elements=["workspace_id", "client_id"])
        .returning(table.c.id, table.c.client_id)
    )
    inserted = dict((cid, rid) for rid, cid in db.session.execute(stmt, values).all())
    landed.imported = len(inserted)
    landed.already = len(rows) - len(inserted)
    new_rows = [(row, inserted[row.client_id]) for row in rows if row.client_id in inserted]
    landed.tags = _tags(workspace, new_rows, surveys_by_name, themes, tagged_by)
    landed.cases, landed.notes = _cases(workspace, new_rows, surveys_by_name, respondents)
    landed.notes_not_kept = sum(len(row.notes) for row, _ in new_rows) - landed.notes
    return landed


def _tags(
    workspace: Workspace,
    rows: list[tuple[Row, int]],
    surveys_by_name: dict[str, Survey],
    themes: dict[str, int],
    tagged_by: str,
) -> int:
    now = utcnow()
    labels = []
    for row, response_id in rows:
        survey = surveys_by_name[row.survey_name]
        band = band_for(survey.kind, survey.scale, row.score)
        for theme_id in dict.fromkeys(themes[slug_of(tag)] for tag in row.tags):
            labels.append(
                {
                    "workspace_id": workspace.id,
                    "response_id": response_id,
                    "theme_id": theme_id,
                    "sentiment": _sentiment(survey.kind, band),
                    "confidence": 1.0,
                    "evidence": [],
                    # Manual: an analyst's label, which analysis never overwrites and
                    # training learns from.
                    "source": "manual",
                    "removed": False,
                    "tagged_by": tagged_by,
                    "created_at": now,
                }
            )
    if labels:
        db.session.execute(ResponseTheme.__table__.insert(), labels)
    return len(labels)


def _cases(
    workspace: Workspace,
    rows: list[tuple[Row, int]],
    surveys_by_name: dict[str, Survey],
    respondents: dict[tuple[str, str], int],
) -> tuple[int, int]:
    """A case for each low score that came with notes, closed (its history was worked
    elsewhere), the notes on it as they were written; the cases and notes made."""
    now = utcnow()
    cases = []
    notes_of: dict[int, list[Any]] = defaultdict(list)
    for row, response_id in rows:
        survey = surveys_by_name[row.survey_name]
        if not row.notes or not definition.opens_case(
            survey.kind, survey.scale, survey.loop, row.score
        ):
            continue
        first = min(note.at for note in row.notes)
        last = max(max(note.at for note in row.notes), row.submitted_at)
        notes_of[response_id] = row.notes
        cases.append(
            {
                "workspace_id": workspace.id,
                "response_id": response_id,
                "respondent_id": respondents[_person_key(row.person)],
                "survey_id": survey.id,
                "kind": survey.kind,
                "score": row.score,
                "status": "resolved",
                "resolution": "other",
                "team": (row.context.get("team") or None),
                "assigned_by": "import",
                "source": "import",
                "opened_at": row.submitted_at,
                "due_at": sla.due_at(row.submitted_at, workspace.timezone, workspace.case_settings),
                "routed_at": now,
                "first_action_at": max(first, row.submitted_at),
                "resolved_at": last,
                "updated_at": now,
            }
        )
    if not cases:
        return 0, 0
    table = Case.__table__
    made = db.session.execute(
        table.insert().returning(table.c.id, table.c.response_id), cases
    ).all()
    notes = [
        {
            "workspace_id": workspace.id,
            "case_id": case_id,
            "author": note.author,
            "kind": "note",
            "body": note.text,
            "mail_attempts": 0,
            "created_at": note.at,
        }
        for case_id, response_id in made
        for note in notes_of[response_id]
    ]
    db.session.execute(CaseNote.__table__.insert(), notes)
    return len(made), len(notes)


def existing_client_ids(workspace: Workspace, client_ids: list[str]) -> set[str]:
    """Which of these response ids are stored already (a dry run's "already imported")."""
    found: set[str] = set()
    for start in range(0, len(client_ids), 1000):
        chunk = client_ids[start : start + 1000]
        found.update(
            db.session.scalars(
                select(Response.client_id).where(
                    owned_by(Response, workspace.id), Response.client_id.in_(chunk)
                )
            )
        )
    return found

"""Zendesk's satisfaction ratings as a CSV: each rated ticket as a CSAT answer, with the agent
it was assigned to and the group (team) that handled it."""

from __future__ import annotations

import json

from feedback.errors import Invalid
from feedback.imports.delighted import columns_of
from feedback.imports.rows import (
    Parsed,
    Refusal,
    Refused,
    Row,
    client_id,
    context_of,
    csv_records,
    excerpt,
    parse_person,
    parse_score,
    parse_time,
    text_or_none,
)

COLUMNS = {
    "id": ("id", "rating_id", "satisfaction_rating_id"),
    "ticket": ("ticket_id", "ticket", "ticket_number"),
    "score": ("score", "rating", "satisfaction", "satisfaction_score", "satisfaction_rating"),
    "comment": ("comment", "satisfaction_comment"),
    "reason": ("reason", "satisfaction_reason"),
    "agent": ("assignee", "assignee_name", "agent"),
    "team": ("group", "group_name", "team"),
    "email": ("requester_email", "requester", "email"),
    "requester_id": ("requester_id",),
    "name": ("requester_name", "name"),
    "time": ("created_at", "created", "rated_at", "date"),
    "updated": ("updated_at", "updated"),
}
SURVEY = "Imported from Zendesk (CSAT)"
# Zendesk's two-point rating goes to the ends of the 1-5 CSAT scale, so a good rating counts
# in the top two boxes (satisfied) and a bad one in the bottom two, as it meant there.
GOOD_BAD = {"good": 5, "bad": 1}


def _score(value: str) -> int:
    word = value.strip().lower()
    if word in GOOD_BAD:
        return GOOD_BAD[word]
    if word in ("offered", "unoffered"):
        raise Refused(f"not rated: the survey was {word} but not answered")
    return parse_score(value, "csat")


def parse_csv(text: str, mapping: dict[str, str]) -> Parsed:
    parsed = Parsed()
    columns: dict[str, str] | None = None
    for line, record in csv_records(text):
        if columns is None:
            columns = columns_of(list(record), COLUMNS)
            if "score" not in columns or not {"id", "ticket"} & set(columns):
                raise Invalid("A Zendesk ratings CSV has a Score and a Ticket ID column.", "file")
        try:
            parsed.rows.append(_row(line, record, columns))
        except Refused as refusal:
            parsed.refused.append(Refusal(line, str(refusal), excerpt(json.dumps(record))))
    return parsed


def _row(line: int, record: dict[str, str], columns: dict[str, str]) -> Row:
    def cell(field: str) -> str:
        return record.get(columns[field], "").strip() if field in columns else ""

    # One rating per ticket in Zendesk: the ticket names it when the rating's id is missing.
    source = cell("id") or (f"ticket-{cell('ticket')}" if cell("ticket") else "")
    requester = f"zendesk:{cell('requester_id')}" if cell("requester_id") else None
    person = parse_person(requester, cell("email"), cell("name"))
    context = {"agent": cell("agent"), "team": cell("team"), "ticket_id": cell("ticket")}
    if cell("reason"):
        context["reason"] = cell("reason")
    used = set(columns.values())
    extra = {name: value for name, value in record.items() if name not in used}
    return Row(
        line=line,
        client_id=client_id("zendesk", source),
        survey_name=SURVEY,
        kind="csat",
        score=_score(cell("score")),
        submitted_at=parse_time(cell("time"), columns.get("time", "the created column")),
        updated_at=parse_time(cell("updated"), "updated") if cell("updated") else None,
        person=person,
        comment=text_or_none(cell("comment")),
        context=context_of({**extra, **context}),
    )

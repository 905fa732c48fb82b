"""Delighted's exports: the survey responses of its API as JSON (`GET /v1/survey_responses.json
?expand[]=person`, an array of objects) and its CSV of responses (a row each, a column per
person property)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from feedback.errors import Invalid
from feedback.imports.rows import (
    Note,
    Parsed,
    Person,
    Refusal,
    Refused,
    Row,
    client_id,
    context_of,
    csv_records,
    excerpt,
    key,
    parse_person,
    parse_score,
    parse_time,
    text_or_none,
)

# Delighted's survey types, as the kind here and the name of the survey they go to. eNPS is
# NPS asked of employees; 5-star and smileys are 1-5 satisfaction scales, as CSAT is.
TYPES = {
    "nps": ("nps", "NPS"),
    "enps": ("nps", "eNPS"),
    "csat": ("csat", "CSAT"),
    "5star": ("csat", "5-star"),
    "smileys": ("csat", "Smileys"),
    "ces": ("ces", "CES"),
}
# Thumbs (up or down) and PMF (1-3, "how disappointed") have no scale here.
UNSUPPORTED = ("thumbs", "pmf")
SOURCE = "Delighted"


def survey_type(value: Any) -> tuple[str, str]:
    name = value.strip().lower() if isinstance(value, str) else ""
    if name in TYPES:
        return TYPES[name]
    if name in UNSUPPORTED:
        raise Refused(f"wrong survey type {value!r}: {name} surveys have no scale here")
    raise Refused(f"wrong survey type {value!r}: one of {', '.join(TYPES)}")


def survey_name(label: str) -> str:
    return f"Imported from {SOURCE} ({label})"


def json_items(text: str) -> Iterator[tuple[int, Any]]:
    """Each element of a JSON array with the line it starts on."""
    decoder = json.JSONDecoder()
    position = _skip(text, 0)
    if position >= len(text) or text[position] != "[":
        raise Invalid("A Delighted JSON export is an array of survey responses.", "file")
    position = _skip(text, position + 1)
    line, counted = 1, 0
    if position < len(text) and text[position] == "]":
        return
    while position < len(text):
        line += text.count("\n", counted, position)
        counted = position
        try:
            item, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            raise Invalid(f"Not valid JSON at line {exc.lineno}: {exc.msg}.", "file") from None
        yield line, item
        position = _skip(text, end)
        if position < len(text) and text[position] == ",":
            position = _skip(text, position + 1)
        elif position < len(text) and text[position] == "]":
            return
        else:
            raise Invalid("The JSON array is not closed.", "file")
    raise Invalid("The JSON array is not closed.", "file")


def _skip(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def _person(raw: Any) -> Person:
    if isinstance(raw, dict):
        email, name, person_id = raw.get("email"), raw.get("name"), raw.get("id")
    else:
        email, name, person_id = None, None, raw
    # An email address merges with the respondent who has it; a person known only by
    # Delighted's id (an SMS respondent) is kept under that id.
    external = None if email else (f"delighted:{person_id}" if person_id else None)
    return parse_person(external, email, name)


def _notes(raw: Any) -> list[Note]:
    notes = []
    for note in raw or []:
        if not isinstance(note, dict) or not text_or_none(note.get("text")):
            continue
        at = parse_time(note.get("created_at"), "note created_at")
        author = note.get("user_email") if isinstance(note.get("user_email"), str) else SOURCE
        notes.append(Note(text_or_none(note["text"]) or "", author[:320], at))
    return notes


def _answer_text(value: Any) -> str | None:
    if not isinstance(value, dict):
        return None
    if value.get("free_response"):
        return str(value["free_response"])
    if value.get("scale") is not None:
        return str(value["scale"])
    chosen = value.get("select_one")
    if isinstance(chosen, dict):
        return str(chosen.get("text", ""))
    many = value.get("select_many")
    if isinstance(many, list):
        return ", ".join(str(c.get("text", "")) for c in many if isinstance(c, dict))
    return None


def _additional(raw: Any) -> dict[str, str]:
    """Additional questions' answers as context, keyed by the question's text."""
    out = {}
    for answer in raw or []:
        if not isinstance(answer, dict) or not isinstance(answer.get("question"), dict):
            continue
        question = answer["question"].get("text") or answer["question"].get("id")
        text = _answer_text(answer.get("value"))
        if question and text:
            out[str(question)] = text
    return out


def _row(line: int, item: Any) -> Row:
    if not isinstance(item, dict):
        raise Refused("not a survey response object")
    kind, label = survey_type(item.get("survey_type", "nps"))
    properties = item.get("person_properties") or {}
    if not isinstance(properties, dict):
        raise Refused("person_properties is not an object")
    tags = item.get("tags") or []
    if not isinstance(tags, list):
        raise Refused("tags is not a list")
    submitted = parse_time(item.get("created_at"), "created_at")
    updated = item.get("updated_at")
    return Row(
        line=line,
        client_id=client_id("delighted", item.get("id", "")),
        survey_name=survey_name(label),
        kind=kind,
        score=parse_score(item.get("score"), kind),
        submitted_at=submitted,
        updated_at=parse_time(updated, "updated_at") if updated else None,
        person=_person(item.get("person")),
        comment=text_or_none(item.get("comment")),
        context=context_of({**_additional(item.get("additional_answers")), **properties}),
        notes=_notes(item.get("notes")),
        tags=[str(tag).strip() for tag in tags if str(tag).strip()],
    )


def parse_json(text: str, mapping: dict[str, str]) -> Parsed:
    """Delighted's survey responses as its API lists them, with the person expanded."""
    parsed = Parsed()
    for line, item in json_items(text):
        try:
            parsed.rows.append(_row(line, item))
        except Refused as refusal:
            parsed.refused.append(Refusal(line, str(refusal), excerpt(json.dumps(item))))
    return parsed


# Delighted's CSV columns by what they hold; any other column is a person property.
CSV_COLUMNS = {
    "id": ("response_id", "id"),
    "score": ("score", "rating"),
    "comment": ("comment", "comments"),
    "time": ("response_timestamp", "created_at", "responded_at", "date", "timestamp"),
    "updated": ("updated_timestamp", "updated_at"),
    "email": ("email", "person_email"),
    "name": ("name", "person_name"),
    "person": ("person_id", "person"),
    "type": ("survey_type",),
    "tags": ("tags",),
    "notes": ("notes",),
    "permalink": ("permalink",),
}


def columns_of(header: list[str], known: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """The header's column for each field it holds, by the field's aliases."""
    found: dict[str, str] = {}
    by_key = {key(name): name for name in header}
    for field, aliases in known.items():
        for alias in aliases:
            if alias in by_key:
                found[field] = by_key[alias]
                break
    return found


def parse_csv(text: str, mapping: dict[str, str]) -> Parsed:
    """Delighted's CSV export of responses: one row per response."""
    parsed = Parsed()
    columns: dict[str, str] | None = None
    default_type = mapping.get("kind", "nps")
    for line, record in csv_records(text):
        if columns is None:
            columns = columns_of(list(record), CSV_COLUMNS)
            if "score" not in columns or "id" not in columns:
                raise Invalid("A Delighted CSV has a Response ID and a Score column.", "file")
        try:
            parsed.rows.append(_csv_row(line, record, columns, default_type))
        except Refused as refusal:
            parsed.refused.append(Refusal(line, str(refusal), excerpt(json.dumps(record))))
    return parsed


def _csv_row(line: int, record: dict[str, str], columns: dict[str, str], default: str) -> Row:
    def cell(field: str) -> str:
        return record.get(columns[field], "") if field in columns else ""

    kind, label = survey_type(cell("type") or default)
    person_id = cell("person")
    external = None if cell("email") else (f"delighted:{person_id}" if person_id else None)
    used = set(columns.values())
    properties = {name: value for name, value in record.items() if name not in used}
    submitted = parse_time(cell("time"), columns.get("time", "the time column"))
    notes_text = text_or_none(cell("notes"))
    return Row(
        line=line,
        client_id=client_id("delighted", cell("id")),
        survey_name=survey_name(label),
        kind=kind,
        score=parse_score(cell("score"), kind),
        submitted_at=submitted,
        updated_at=parse_time(cell("updated"), "updated") if cell("updated") else None,
        person=parse_person(external, cell("email"), cell("name")),
        comment=text_or_none(cell("comment")),
        context=context_of(properties),
        notes=[Note(notes_text, SOURCE, submitted)] if notes_text else [],
        tags=[tag.strip() for tag in cell("tags").split(",") if tag.strip()],
    )

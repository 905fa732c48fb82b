"""Any CSV, with a mapping of fields to its columns given by whoever imports it."""

from __future__ import annotations

import hashlib
import json

from feedback.errors import Invalid
from feedback.imports.rows import (
    Parsed,
    Refusal,
    Refused,
    Row,
    client_id,
    context_of,
    csv_records,
    excerpt,
    parse_kind,
    parse_person,
    parse_score,
    parse_time,
    text_or_none,
)
from feedback.surveys.kinds import KINDS

FIELDS = ("score", "kind", "email", "external_id", "name", "comment", "time", "id")
REQUIRED = ("score", "time")


def check_mapping(mapping: dict[str, str]) -> None:
    unknown = sorted(set(mapping) - set(FIELDS))
    if unknown:
        raise Invalid(f"Unknown field {unknown[0]!r}: map {', '.join(FIELDS)}.", "map")
    missing = [name for name in REQUIRED if name not in mapping]
    if missing:
        raise Invalid(f"Map the {missing[0]} field to a column ({missing[0]}=COLUMN).", "map")
    if "email" not in mapping and "external_id" not in mapping:
        raise Invalid("Map email or external_id to a column: each row names a person.", "map")


def parse_csv(text: str, mapping: dict[str, str]) -> Parsed:
    check_mapping(mapping)
    parsed = Parsed()
    header_checked = False
    for line, record in csv_records(text):
        if not header_checked:
            absent = [c for f, c in mapping.items() if c not in record and not _constant(f, c)]
            if absent:
                raise Invalid(f"No column {absent[0]!r} in the file.", "map")
            header_checked = True
        try:
            parsed.rows.append(_row(line, record, mapping))
        except Refused as refusal:
            parsed.refused.append(Refusal(line, str(refusal), excerpt(json.dumps(record))))
    return parsed


def _constant(field: str, column: str) -> bool:
    """`--map kind=nps` names the kind of every row when no column is called "nps"."""
    return field == "kind" and column in KINDS


def _row(line: int, record: dict[str, str], mapping: dict[str, str]) -> Row:
    def cell(field: str) -> str:
        column = mapping.get(field)
        if column is None:
            return ""
        if column not in record and _constant(field, column):
            return column
        return record.get(column, "").strip()

    kind = parse_kind(cell("kind") or "nps")
    source = cell("id")
    if not source:
        # No id column: the row's own content names it, so the same row imported twice is one.
        fields = [cell(name) for name in ("time", "email", "external_id", "score", "comment")]
        source = hashlib.sha256("\x1f".join(fields).encode()).hexdigest()[:40]
    used = set(mapping.values())
    return Row(
        line=line,
        client_id=client_id("csv", source),
        survey_name=f"Imported from CSV ({kind.upper()})",
        kind=kind,
        score=parse_score(cell("score"), kind),
        submitted_at=parse_time(cell("time"), mapping["time"]),
        person=parse_person(cell("external_id") or None, cell("email"), cell("name")),
        comment=text_or_none(cell("comment")),
        context=context_of({k: v for k, v in record.items() if k not in used}),
    )

"""The formats a history can come in, each a parser from a file's text to checked rows."""

from __future__ import annotations

from collections.abc import Callable

from feedback.errors import Invalid
from feedback.imports import delighted, mapped, zendesk
from feedback.imports.rows import Parsed, Refusal, decode

Parser = Callable[[str, dict[str, str]], Parsed]
FORMATS: dict[str, Parser] = {
    "delighted-json": delighted.parse_json,
    "delighted-csv": delighted.parse_csv,
    "zendesk-csv": zendesk.parse_csv,
    "csv": mapped.parse_csv,
}


def check_format(name: str, mapping: dict[str, str]) -> None:
    """Refuse an unknown format, or a CSV mapping that cannot work, before any file is read."""
    if name not in FORMATS:
        raise Invalid(f"Must be one of: {', '.join(FORMATS)}.", "format")
    if name == "csv":
        mapped.check_mapping(mapping)


def parse_mapping(text: str) -> dict[str, str]:
    """`field=column` lines, as the Settings page takes a CSV mapping."""
    mapping = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        field, sep, column = line.partition("=")
        if not sep or not field.strip() or not column.strip():
            raise Invalid(f"{line.strip()!r} is not field=column.", "mapping")
        mapping[field.strip()] = column.strip()
    return mapping


def parse(name: str, data: bytes, mapping: dict[str, str] | None = None) -> Parsed:
    """Every row of the file checked: the ones to import and the refused ones, in file order.
    A response id seen twice in the file is imported once; the later row is refused."""
    check_format(name, mapping or {})
    parsed = FORMATS[name](decode(data), mapping or {})
    first_line: dict[str, int] = {}
    rows = []
    for row in parsed.rows:
        if row.client_id in first_line:
            reason = f"duplicate of line {first_line[row.client_id]} (same response id)"
            parsed.refused.append(Refusal(row.line, reason, row.client_id))
            continue
        first_line[row.client_id] = row.line
        rows.append(row)
    parsed.rows = rows
    parsed.refused.sort(key=lambda refusal: refusal.line)
    return parsed

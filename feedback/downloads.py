"""Files the app hands out: a streamed CSV as an attachment, its cells safe to open in a
spreadsheet."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from flask import stream_with_context
from werkzeug.wrappers import Response


def csv_attachment(rows: Iterable[str], filename: str) -> Response:
    """Stream `rows` as a CSV download named `filename`, within the request's context."""
    return Response(
        stream_with_context(rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """A cell a spreadsheet shows as text: a leading = + - @ cannot start a formula."""
    if value is None:
        return ""
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False)
    text = str(value)
    if text.startswith(_FORMULA_START) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def csv_lines(columns: list[str], batches: Iterable[Iterable[Iterable[Any]]]) -> Iterator[str]:
    """CSV text to stream: the header, then one chunk per batch of rows, every cell made safe
    by `csv_cell`, so memory holds one batch at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    yield buffer.getvalue()
    for rows in batches:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows((csv_cell(value) for value in row) for row in rows)
        yield buffer.getvalue()

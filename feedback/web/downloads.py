"""Files the app hands out: a streamed CSV as an attachment."""

from __future__ import annotations

from collections.abc import Iterable

from flask import stream_with_context
from werkzeug.wrappers import Response


def csv_attachment(rows: Iterable[str], filename: str) -> Response:
    """Stream `rows` as a CSV download named `filename`, within the request's context."""
    return Response(
        stream_with_context(rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )

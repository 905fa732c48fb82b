"""The cases of a filter as CSV, for a spreadsheet or a meeting."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from sqlalchemy.orm import selectinload

from feedback.accounts.models import Workspace
from feedback.cases.lists import CaseFilters, case_query
from feedback.cases.models import Case
from feedback.database import utcnow
from feedback.downloads import csv_cell
from feedback.extensions import db

CSV_COLUMNS = [
    "id",
    "status",
    "overdue",
    "kind",
    "score",
    "survey",
    "respondent",
    "owner",
    "team",
    "opened_at",
    "due_at",
    "resolved_at",
    "resolution",
    "root_cause",
    "comment",
]


def export_csv(workspace: Workspace, filters: CaseFilters, batch: int = 500) -> Iterator[str]:
    """The filtered cases in the order of the list, streamed (cells cannot start a formula)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    yield buffer.getvalue()
    now = utcnow()
    stmt = case_query(workspace, filters).options(
        selectinload(Case.respondent), selectinload(Case.root_cause)
    )
    rows = db.session.scalars(stmt.execution_options(yield_per=batch))
    for part in rows.partitions():
        buffer.seek(0)
        buffer.truncate()
        for case in part:
            record = case.to_dict()
            record["overdue"] = "yes" if case.overdue(now) else ""
            record["comment"] = case.response.comment if case.response else None
            writer.writerow(csv_cell(record[name]) for name in CSV_COLUMNS)
        yield buffer.getvalue()

"""The cases of a filter as CSV, for a spreadsheet or a meeting."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy.orm import selectinload

from feedback.accounts.models import Workspace
from feedback.cases.lists import CaseFilters, case_query
from feedback.cases.models import Case
from feedback.database import utcnow
from feedback.downloads import csv_lines
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
    now = utcnow()
    stmt = case_query(workspace, filters).options(
        selectinload(Case.respondent), selectinload(Case.root_cause)
    )
    parts = db.session.scalars(stmt.execution_options(yield_per=batch)).partitions()
    return csv_lines(CSV_COLUMNS, ([_row(case, now) for case in part] for part in parts))


def _row(case: Case, now: datetime) -> list[Any]:
    record = case.to_dict()
    record["overdue"] = "yes" if case.overdue(now) else ""
    record["comment"] = case.response.comment if case.response else None
    return [record[name] for name in CSV_COLUMNS]

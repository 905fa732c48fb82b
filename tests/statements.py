"""The SQL a block of test code runs, and the plans the database would give it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from feedback.extensions import db


@contextmanager
def statements(wanted: Callable[[str], bool]) -> Iterator[list[tuple[str, Any]]]:
    """The statements run inside the block for which `wanted(sql)` holds, with their
    parameters, in the order they ran."""
    seen: list[tuple[str, Any]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many) -> None:
        if wanted(statement):
            seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)


def plan(statement: str, parameters: Any) -> str:
    """The database's plan for a captured statement, as text. On PostgreSQL sequential scans
    are off, so the plan is the one a table too large to read whole would get; only for this
    transaction, which is rolled back, so the pooled connection goes back as it came."""
    engine = db.engine
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
            return str(connection.exec_driver_sql(f"EXPLAIN {statement}", parameters).all())
        return str(connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all())

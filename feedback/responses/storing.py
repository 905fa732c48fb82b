"""Storing a new response: what every answered survey costs, in the fewest statements.

A new response needs, before it is acknowledged, its respondent (found or created, last
answer moved), its row, and the effect row its case and webhook events will follow from
(feedback.responses.effects); the daily sums stay exact by the table's own triggers. These
are written with the driver, outside the session: on PostgreSQL as one statement (one round
trip, its own transaction), on SQLite as three statements in one write transaction.

The statements are plain SQL built once from the tables' column names. A response whose id
is already stored is left alone here and handled by the general path in `recording`.
"""

from __future__ import annotations

import functools
import json
import re
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime

from feedback.extensions import StaleConnection, db, driver_transaction
from feedback.responses.models import Respondent, Response
from feedback.responses.respondents import upsert_sql

_EFFECT = (
    "INSERT INTO response_effect (workspace_id, response_id, score, previous_score, stored_at)"
)
_COLUMNS = [c for table in (Response.__table__, Respondent.__table__) for c in table.c]
_JSON_COLUMNS = frozenset(c.name for c in _COLUMNS if isinstance(c.type, JSON))
_TIME_COLUMNS = frozenset(c.name for c in _COLUMNS if isinstance(c.type, DateTime))

# What SQLAlchemy would fill in for columns a row leaves out (a count starting at 0).
_DEFAULTS = {
    name: column.default.arg
    for name, column in Response.__table__.c.items()
    if column.default is not None and column.default.is_scalar
}

_BUILT: dict[tuple[str, str], str] = {}


def _named(sql: str, dialect: str) -> str:
    """`:name` placeholders as the driver wants them (sqlite3 takes them as they are)."""
    if dialect == "sqlite":
        return sql
    return re.sub(r":([a-z_]+)", r"%(\1)s", sql.replace("::", "\0")).replace("\0", "::")


def _respondent_sql(dialect: str, shape: str) -> str:
    key = (dialect, f"respondent:{shape}")
    if key not in _BUILT:
        _BUILT[key] = upsert_sql(shape)
    return _BUILT[key]


def _statement(dialect: str, columns: tuple[str, ...], shape: str | None) -> str:
    """The SQL for one dialect, set of response columns and respondent shape (None: nobody)."""
    key = (dialect, f"{shape}:{','.join(columns)}")
    if key in _BUILT:
        return _BUILT[key]
    names = ", ".join(columns)
    marks = ", ".join(f":{c}" for c in columns)
    conflict = "ON CONFLICT (workspace_id, client_id) DO NOTHING RETURNING id"
    if dialect == "sqlite":
        sql = f"INSERT INTO response ({names}) VALUES ({marks}) {conflict}"
    else:
        # Data-modifying CTEs: the respondent, the response and its effect in one statement.
        who = f"who AS ({_respondent_sql(dialect, shape)}), " if shape else ""
        respondent = "(SELECT id FROM who)" if shape else "NULL"
        sql = (
            f"WITH {who}made AS (INSERT INTO response ({names}, respondent_id) "
            f"SELECT {marks}, {respondent} {conflict}), "
            f"effect AS ({_EFFECT} SELECT :workspace_id, id, :score, NULL, :now FROM made) "
            "SELECT id FROM made"
        )
    _BUILT[key] = _named(sql, dialect)
    return _BUILT[key]


@functools.lru_cache(maxsize=4)
def _sqlite_time(value: datetime) -> str:
    """The text form SQLAlchemy reads back from SQLite; a response's times are mostly one."""
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


def _bound(row: dict[str, Any], sqlite: bool) -> dict[str, Any]:
    """The row's values as the driver takes them: JSON columns as text, and on SQLite times
    as text too; only the columns of those types are looked at."""
    out = dict(row)
    for name in _JSON_COLUMNS.intersection(row):
        if out[name] is not None:
            out[name] = json.dumps(out[name])
    if sqlite:
        for name in _TIME_COLUMNS.intersection(row):
            if isinstance(out[name], datetime):
                out[name] = _sqlite_time(out[name])
    return out


def insert_new(row: dict[str, Any], person: dict[str, Any] | None, shape: str | None) -> int | None:
    """Store a response that is not there yet, with its respondent and its effect row; the
    new row's id, or None when a response with its id is already stored (nothing written).

    `row` holds the response's columns (without respondent_id); `person` the respondent's
    row as `respondents.respondent_row` makes it, stored by its `shape`, or None when the
    response names nobody.
    """
    try:
        return _insert(row, person, shape)
    except StaleConnection:
        return _insert(row, person, shape)  # once more, on a new connection


def _insert(row: dict[str, Any], person: dict[str, Any] | None, shape: str | None) -> int | None:
    dialect = db.engine.dialect.name
    row = {**{k: v for k, v in _DEFAULTS.items() if k not in row}, **row}
    columns = tuple(name for name in row if name != "respondent_id")
    if db.session.registry.has() and db.session().in_transaction():
        # Reads this request made stay in their own transaction, as `writing` ends them.
        db.session.commit()
    if dialect != "sqlite":
        sql = _statement(dialect, columns, shape)
        params = _bound(
            {**{c: row[c] for c in columns}, **(person or {}), "now": row["submitted_at"]}, False
        )
        with driver_transaction() as connection:
            found = connection.execute(sql, params).fetchone()
        return found[0] if found else None
    # Everything but the statements themselves is done before the write lock is taken: the
    # other writers wait for as long as it is held.
    values = _bound({c: row[c] for c in columns}, sqlite=True)
    who = None if person is None else (_respondent_sql(dialect, shape), _bound(person, True))
    insert = _statement(dialect, columns if who is None else (*columns, "respondent_id"), None)
    effect = {
        "workspace_id": row["workspace_id"],
        "score": row["score"],
        "now": values["submitted_at"],
    }
    with driver_transaction() as connection:
        if who is not None:
            values["respondent_id"] = connection.execute(*who).fetchone()[0]
        found = connection.execute(insert, values).fetchone()
        if found is None:
            return None
        connection.execute(
            f"{_EFFECT} VALUES (:workspace_id, :id, :score, NULL, :now)", {**effect, "id": found[0]}
        )
        return found[0]

"""Taking rows of a work queue (analysis, email, webhooks) so no two workers take the same.

A worker killed mid-batch leaves its rows claimed; each queue takes them over once they are
`abandoned`, so no work stays stranded for longer than its claim time.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, select, update

from feedback.extensions import db, writing


def claim_timeout(setting: str) -> timedelta:
    """How long a claim holds before another worker may take the rows (a worker that died)."""
    return timedelta(seconds=int(current_app.config[setting]))


def abandoned(claimed_at: Any, setting: str, now: datetime) -> ColumnElement[bool]:
    """Claimed longer ago than the `setting` allows: the worker died, another takes the rows.

    The claim time must outlast the slowest batch, or a live worker's rows are taken too.
    """
    return claimed_at < now - claim_timeout(setting)


def claim(
    model: Any,
    condition: ColumnElement[bool],
    order_by: Sequence[Any],
    limit: int,
    claim_column: str,
    values: dict[str, Any],
) -> tuple[str, list[int]]:
    """Mark up to `limit` due rows with a fresh token (and `values`); return it and their ids.

    FOR UPDATE SKIP LOCKED on PostgreSQL lets workers claim side by side; SQLite has one
    writer at a time anyway.
    """
    token = secrets.token_hex(8)
    due = (
        select(model.id)
        .where(condition)
        .order_by(*order_by)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    with writing():
        # Two statements, not UPDATE ... WHERE id IN (SELECT ... SKIP LOCKED): PostgreSQL may
        # run such a subquery again for each row and so claim far more than `limit`.
        ids = list(db.session.scalars(due))
        if ids:
            db.session.execute(
                update(model)
                .where(model.id.in_(ids))
                .values({claim_column: token, **values})
                .execution_options(synchronize_session=False)
            )
        db.session.commit()
    return token, ids

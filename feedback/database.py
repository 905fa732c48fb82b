"""Shared column helpers, the one workspace-scoping helper every query goes through, and the
one transaction policy: a use case commits its own work."""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Mapped, mapped_column

from feedback.extensions import db

T = TypeVar("T")
P = ParamSpec("P")


def utcnow() -> datetime:
    """Naive UTC: both SQLite and PostgreSQL store it the same way."""
    return datetime.now(UTC).replace(tzinfo=None)


def new_token(nbytes: int = 9) -> str:
    return secrets.token_urlsafe(nbytes)


class WorkspaceOwned:
    """Mixin for every row that belongs to one workspace."""

    workspace_id: Mapped[int] = mapped_column(
        db.ForeignKey("workspace.id", ondelete="CASCADE"), index=True
    )


def owned_by(model: Any, workspace_id: int, *, seek: bool = True) -> ColumnElement[bool]:
    """The condition that keeps a query, an aggregate, an update or a delete to one workspace's
    rows of `model` (a model or an alias of one).

    `seek=False` where the query finds its few rows by a narrower key of its own (one
    respondent's): the condition still holds, but no index is sought by it. SQLite keeps no
    statistics, so it would otherwise rank the workspace's indexes level with the narrower one
    and could walk every row the workspace has.
    """
    if not seek:
        return model.workspace_id + 0 == workspace_id
    return model.workspace_id == workspace_id


def in_workspace(model: type[T], workspace_id: int, *columns: Any) -> Select[Any]:
    """A select of `model` (or of `columns`) limited to one workspace."""
    stmt = select(*columns) if columns else select(model)
    return stmt.where(owned_by(model, workspace_id))


# How many use cases are running in the current session: only the outermost one ends the
# transaction. Kept in the session's own `info`, so a new session (a new request) starts at 0.
_DEPTH = "feedback.use_case_depth"


def use_case(func: Callable[P, T]) -> Callable[P, T]:
    """Make `func` a unit of work: its changes are committed when it returns and rolled back
    when it raises, so a refused or failed use case stores nothing.

    Safe to nest: a use case called from another one joins the caller's transaction, and only
    the outermost commits (or rolls back). An inner refusal is the outer use case's refusal:
    let it propagate. A function that commits by itself (a job's batch, or a write in
    `writing()`, which on SQLite also commits the reads before it) still ends the transaction
    where it commits, so it belongs at the top, not inside another use case.
    """

    @functools.wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        info = db.session.info
        depth = info.get(_DEPTH, 0)
        info[_DEPTH] = depth + 1
        try:
            result = func(*args, **kwargs)
            if depth == 0:
                db.session.commit()
            return result
        except BaseException:
            if depth == 0:
                db.session.rollback()
            raise
        finally:
            info[_DEPTH] = depth

    return run

"""Shared column helpers and the one workspace-scoping helper every query goes through."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Mapped, mapped_column

from feedback.extensions import db

T = TypeVar("T")


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


def owned_by(model: Any, workspace_id: int) -> ColumnElement[bool]:
    """The condition that keeps a query, an aggregate, an update or a delete to one workspace's
    rows of `model` (a model or an alias of one)."""
    return model.workspace_id == workspace_id


def in_workspace(model: type[T], workspace_id: int, *columns: Any) -> Select[Any]:
    """A select of `model` (or of `columns`) limited to one workspace."""
    stmt = select(*columns) if columns else select(model)
    return stmt.where(owned_by(model, workspace_id))

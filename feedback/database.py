"""Shared column helpers and the one workspace-scoping helper every query goes through."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Select, select
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


def in_workspace(model: type[T], workspace_id: int, *columns: Any) -> Select[Any]:
    """A select of `model` (or of `columns`) limited to one workspace."""
    stmt = select(*columns) if columns else select(model)
    return stmt.where(model.workspace_id == workspace_id)  # type: ignore[attr-defined]

"""An import of a history file: its progress, its counts and the rows it refused."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from feedback.database import WorkspaceOwned, utcnow
from feedback.extensions import db

# queued -> running -> done | cancelled | failed; "cancelling" is asked for while it runs.
STATUSES = ("queued", "running", "cancelling", "done", "cancelled", "failed")
FINISHED = ("done", "cancelled", "failed")


class ImportJob(WorkspaceOwned, db.Model):
    __tablename__ = "import_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    format: Mapped[str] = mapped_column(String(20))
    # Where the file waits for the worker, and the name it was given.
    path: Mapped[str] = mapped_column(Text)
    filename: Mapped[str] = mapped_column(String(300))
    mapping: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    dry_run: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(12), default="queued")
    # rows, imported, already (imported before), refused, notes, tags, cases
    counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    # [{"line": 12, "reason": "...", "source": "..."}], the first MAX_REFUSED of them
    refused: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # What this import made, so a cancel takes exactly that away: the responses from
    # `first_response_id` on in its surveys, and the surveys, themes and respondents it created.
    first_response_id: Mapped[int | None]
    created: Mapped[dict[str, list[int]]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    # Moves with every batch: an unfinished import that stopped moving lost its worker.
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    finished_at: Mapped[datetime | None]

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "format": self.format,
            "filename": self.filename,
            "dry_run": self.dry_run,
            "status": self.status,
            "counts": self.counts or {},
            "refused": len(self.refused or []),
            "error": self.error,
            "created_at": self.created_at.isoformat() + "Z",
            "finished_at": self.finished_at.isoformat() + "Z" if self.finished_at else None,
        }

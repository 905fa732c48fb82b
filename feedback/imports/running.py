"""An import as one job: started, run by the worker (or the command line) batch by batch,
watched through its counts, and until it finishes cancelled and rolled back."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import delete, exists, func, select, update

from feedback.accounts.models import Workspace
from feedback.audit import log as audit
from feedback.cases.models import Case, CaseNote
from feedback.database import in_workspace, owned_by, use_case, utcnow
from feedback.downloads import csv_lines
from feedback.errors import Conflict, FeedbackError, Invalid, NotFound
from feedback.extensions import db, writing
from feedback.imports import formats, landing
from feedback.imports.models import ImportJob
from feedback.imports.rows import Row
from feedback.metrics import refresh
from feedback.responses.models import Display, Respondent, Response
from feedback.surveys.models import Survey
from feedback.themes.models import ResponseTheme, Theme

log = logging.getLogger(__name__)
BATCH = 2000
# The report keeps this many refused rows; the count says how many there were in all.
MAX_REFUSED = 10000
# An unfinished import whose counts have not moved for this long lost its worker.
STALLED = timedelta(minutes=15)
SOURCES = {"delighted-json": "delighted", "delighted-csv": "delighted", "zendesk-csv": "zendesk"}


@use_case
def start_import(
    workspace: Workspace,
    path: str,
    filename: str,
    format_name: str,
    mapping: dict[str, str] | None = None,
    dry_run: bool = False,
    who: str | None = None,
) -> ImportJob:
    """Queue an import of the file at `path`; one at a time per workspace."""
    formats.check_format(format_name, mapping or {})
    busy = in_workspace(ImportJob, workspace.id, ImportJob.id).where(
        ImportJob.status.in_(("queued", "running", "cancelling"))
    )
    with writing():
        if db.session.scalar(busy.limit(1)) is not None:
            raise Conflict("Another import of this workspace has not finished yet.", "file")
        job = ImportJob(
            workspace_id=workspace.id,
            format=format_name,
            path=path,
            filename=filename[:300],
            mapping=mapping or {},
            dry_run=dry_run,
            status="queued",
            counts={},
            refused=[],
            created={},
            created_by=who,
        )
        db.session.add(job)
        db.session.flush()
        audit.record(
            "import.run",
            workspace_id=workspace.id,
            target=f"import {job.id}: {job.filename}",
            changes={"format": [None, format_name], "dry_run": [None, dry_run]},
        )
        db.session.commit()
    return job


_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def preview_upload(
    workspace: Workspace, format_name: str, data: bytes, mapping_text: str, limit: int
) -> dict[str, Any]:
    """Keep an uploaded file for the import, and read it as the import will: its first `limit`
    rows and refusals, the counts of both, and the token that names the kept file."""
    mapping = formats.parse_mapping(mapping_text)
    parsed = formats.parse(format_name, data, mapping)
    return {
        "token": keep_upload(workspace, data),
        "mapping": mapping,
        "rows": parsed.rows[:limit],
        "refused": parsed.refused[:limit],
        "counts": {"rows": len(parsed.rows), "refused": len(parsed.refused)},
    }


def keep_upload(workspace: Workspace, data: bytes) -> str:
    """Keep an uploaded file for the worker; the token that names it for this workspace."""
    if not data.strip():
        raise Invalid("The file is empty.", "file")
    token = secrets.token_urlsafe(18)
    path = _upload_path(workspace, token)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return token


def upload(workspace: Workspace, token: str) -> Path:
    """The file an upload token names, in this workspace only."""
    path = _upload_path(workspace, token) if _TOKEN.fullmatch(token or "") else None
    if path is None or not path.is_file():
        raise NotFound("That upload is gone; upload the file again.", "file")
    return path


def _upload_path(workspace: Workspace, token: str) -> Path:
    return Path(current_app.config["FEEDBACK_IMPORT_DIR"]) / f"upload-{workspace.id}-{token}"


def get_job(workspace: Workspace, job_id: int) -> ImportJob:
    job = db.session.scalar(in_workspace(ImportJob, workspace.id).where(ImportJob.id == job_id))
    if job is None:
        raise NotFound(f"No import {job_id}.", "import")
    return job


@use_case
def cancel_import(workspace: Workspace, job_id: int) -> ImportJob:
    """Stop an import: one still queued never starts; a running one stops at its next batch
    and takes back all it wrote. A finished import cannot be cancelled."""
    with writing():
        job = get_job(workspace, job_id)
        if job.finished:
            raise Conflict(f"The import is {job.status} already.", "import")
        if job.status == "queued":
            job.status, job.finished_at = "cancelled", utcnow()
        else:
            job.status = "cancelling"
        db.session.commit()
    return job


def run_queued() -> int:
    """Run the oldest queued import, if any (the worker's job); how many ran. An import whose
    worker died is taken back first, so it does not hold the workspace's imports forever."""
    recover_stalled()
    job_id = db.session.scalar(
        select(ImportJob.id).where(ImportJob.status == "queued").order_by(ImportJob.id).limit(1)
    )
    if job_id is None:
        return 0
    run_import(job_id)
    return 1


def recover_stalled(now: datetime | None = None) -> int:
    """Take back the imports that stopped moving (their worker was killed); how many."""
    since = (now or utcnow()) - STALLED
    stalled = db.session.scalars(
        select(ImportJob).where(
            ImportJob.status.in_(("running", "cancelling")), ImportJob.updated_at < since
        )
    ).all()
    for job in stalled:
        workspace = db.session.get(Workspace, job.workspace_id)
        assert workspace is not None
        _undo(job, workspace)
        _fail(
            job, "The import stopped with its worker; what it wrote was taken back. Start it again."
        )
    return len(stalled)


def _status(job: ImportJob) -> str | None:
    return db.session.scalar(select(ImportJob.status).where(ImportJob.id == job.id))


def run_import(job_id: int) -> ImportJob:
    """Read, check and write the job's file, committing batch by batch; the job when done."""
    job = db.session.get(ImportJob, job_id)
    if job is None:
        raise NotFound(f"No import {job_id}.", "import")
    with writing():
        claimed = db.session.execute(
            update(ImportJob)
            .where(ImportJob.id == job_id, ImportJob.status == "queued")
            .values(status="running", started_at=utcnow())
        ).rowcount
        db.session.commit()
    if not claimed:
        return job
    workspace = db.session.get(Workspace, job.workspace_id)
    assert workspace is not None
    try:
        parsed = formats.parse(job.format, Path(job.path).read_bytes(), job.mapping)
    except FeedbackError as exc:
        return _fail(job, exc.message)
    except OSError as exc:
        return _fail(job, f"The file cannot be read: {exc.strerror}.")
    counts = {"rows": len(parsed.rows) + len(parsed.refused), "refused": len(parsed.refused)}
    job.refused = [refusal.to_dict() for refusal in parsed.refused[:MAX_REFUSED]]
    try:
        if job.dry_run:
            return _dry_run(job, workspace, parsed.rows, counts)
        return _land_all(job, workspace, parsed.rows, counts)
    except Exception as exc:
        db.session.rollback()
        log.exception("import %s failed", job_id)
        _undo(job, workspace)
        return _fail(job, f"The import stopped on an error and was rolled back: {exc}")


def _dry_run(
    job: ImportJob, workspace: Workspace, rows: list[Row], counts: dict[str, int]
) -> ImportJob:
    already = landing.existing_client_ids(workspace, [row.client_id for row in rows])
    counts.update(imported=0, would_import=len(rows) - len(already), already=len(already))
    return _finish(job, counts, "done")


def _land_all(
    job: ImportJob, workspace: Workspace, rows: list[Row], counts: dict[str, int]
) -> ImportJob:
    job.first_response_id = (db.session.scalar(select(func.max(Response.id))) or 0) + 1
    with writing():
        found, new_surveys = landing.ensure_surveys(workspace, rows)
        themes, new_themes = landing.ensure_themes(workspace, rows)
    created: dict[str, list[int]] = {
        "used_surveys": sorted(s.id for s in found.values()),
        "surveys": new_surveys,
        "themes": new_themes,
        "respondents": [],
    }
    job.created = dict(created)
    job.counts = {**counts, "imported": 0, "already": 0}
    db.session.commit()
    tagged_by = f"import:{SOURCES.get(job.format, 'csv')}"
    totals = dict.fromkeys(("imported", "already", "tags", "cases", "notes", "notes_not_kept"), 0)
    for start in range(0, len(rows), BATCH):
        if _status(job) == "cancelling":
            return _cancel(job, workspace, counts | totals)
        with writing():
            landed = landing.land(workspace, rows[start : start + BATCH], found, themes, tagged_by)
            for name in totals:
                totals[name] += getattr(landed, name)
            created["respondents"] = created["respondents"] + landed.respondents
            job.created = dict(created)
            job.counts = counts | totals
            db.session.commit()
    if _status(job) == "cancelling":
        return _cancel(job, workspace, counts | totals)
    with writing():
        # The comments go to the analysis queue only now, behind the whole import.
        db.session.execute(
            update(Response)
            .where(*_job_responses(job), Response.comment.is_not(None))
            .values(nlp_status="pending")
        )
        db.session.commit()
    _rebuild_sums(workspace)
    job = _finish(job, counts | totals, "done")
    if job.status == "cancelling":
        return _cancel(job, workspace, counts | totals)
    return job


def _job_responses(job: ImportJob) -> list[Any]:
    """The responses this import wrote: in its surveys (archived, so they take no other
    answers), from the first id it could have given."""
    return [
        owned_by(Response, job.workspace_id),
        Response.survey_id.in_((job.created or {}).get("used_surveys", [])),
        Response.id >= (job.first_response_id or 0),
    ]


def _rebuild_sums(workspace: Workspace) -> None:
    """The daily sums from scratch, once: an import touches days all over its history."""
    with writing():
        refresh.reset(workspace)
        db.session.commit()
        refresh.refresh(workspace, grace=timedelta(0))


def _finish(job: ImportJob, counts: dict[str, int], status: str) -> ImportJob:
    with writing():
        job.counts = dict(counts)
        # A cancel asked for meanwhile wins: the import is taken back instead.
        done = db.session.execute(
            update(ImportJob)
            .where(ImportJob.id == job.id, ImportJob.status.in_(("running",)))
            .values(status=status, finished_at=utcnow(), counts=dict(counts))
        ).rowcount
        db.session.commit()
    if done:
        write_report(job)
    db.session.refresh(job)
    return job


def _fail(job: ImportJob, message: str) -> ImportJob:
    with writing():
        job.status, job.error, job.finished_at = "failed", message[:2000], utcnow()
        db.session.commit()
    return job


def _cancel(job: ImportJob, workspace: Workspace, counts: dict[str, int]) -> ImportJob:
    _undo(job, workspace)
    with writing():
        # Nothing it wrote stays: only what it read and what was there before is left to say.
        job.counts = {**counts, **dict.fromkeys(("imported", "tags", "cases", "notes"), 0)}
        job.status, job.finished_at = "cancelled", utcnow()
        db.session.commit()
    return job


def _undo(job: ImportJob, workspace: Workspace) -> None:
    """Take back everything the import wrote, then sum the days again."""
    if job.first_response_id is None:
        return
    ws = workspace.id
    created = job.created or {}
    with writing():
        responses = select(Response.id).where(*_job_responses(job))
        cases = select(Case.id).where(owned_by(Case, ws), Case.response_id.in_(responses))
        db.session.execute(
            delete(CaseNote).where(owned_by(CaseNote, ws), CaseNote.case_id.in_(cases))
        )
        db.session.execute(delete(Case).where(owned_by(Case, ws), Case.id.in_(cases)))
        db.session.execute(
            delete(ResponseTheme).where(
                owned_by(ResponseTheme, ws), ResponseTheme.response_id.in_(responses)
            )
        )
        db.session.execute(delete(Response).where(*_job_responses(job)))
        ids = created.get("respondents", [])
        for start in range(0, len(ids), 1000):
            chunk = ids[start : start + 1000]
            db.session.execute(
                delete(Respondent).where(
                    owned_by(Respondent, ws),
                    Respondent.id.in_(chunk),
                    ~exists().where(Response.respondent_id == Respondent.id),
                    ~exists().where(Display.respondent_id == Respondent.id),
                )
            )
        db.session.execute(
            delete(Theme).where(
                owned_by(Theme, ws),
                Theme.id.in_(created.get("themes", [])),
                ~exists().where(ResponseTheme.theme_id == Theme.id),
            )
        )
        db.session.execute(
            delete(Survey).where(
                owned_by(Survey, ws),
                Survey.id.in_(created.get("surveys", [])),
                ~exists().where(Response.survey_id == Survey.id),
            )
        )
        db.session.commit()
    _rebuild_sums(workspace)


def recent_jobs(workspace: Workspace, limit: int = 10) -> list[ImportJob]:
    return list(
        db.session.scalars(
            in_workspace(ImportJob, workspace.id).order_by(ImportJob.id.desc()).limit(limit)
        )
    )


def progress(job: ImportJob) -> dict[str, Any]:
    """The job as its page polls it: status, counts, and how far through its rows it is."""
    counts = job.counts or {}
    to_write = counts.get("rows", 0) - counts.get("refused", 0)
    done = counts.get("imported", 0) + counts.get("already", 0)
    share = 1.0 if job.finished else (done / to_write if to_write else 0.0)
    return {**job.to_dict(), "progress": round(min(share, 1.0), 3)}


REPORT_COLUMNS = ["line", "reason", "row"]


def report_rows(job: ImportJob) -> Iterator[list[Any]]:
    for refusal in job.refused or []:
        yield [refusal["line"], refusal["reason"], refusal["source"]]


def report_path(job: ImportJob) -> Path:
    return Path(current_app.config["FEEDBACK_IMPORT_DIR"]) / f"import-{job.id}-refused.csv"


def write_report(job: ImportJob) -> Path | None:
    """The refused rows as a CSV beside the imports; None when no row was refused."""
    if not job.refused:
        return None
    path = report_path(job)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(csv_lines(REPORT_COLUMNS, [report_rows(job)])), encoding="utf-8")
    return path

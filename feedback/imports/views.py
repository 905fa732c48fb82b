"""Settings → Import: upload a history file, look at its first rows as they will be read, try
it as a dry run, import it with a progress bar, cancel it."""

from __future__ import annotations

from typing import Any

from flask import g, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from feedback.audit import log as audit
from feedback.downloads import csv_attachment, csv_lines
from feedback.imports import formats, running
from feedback.imports.forms import StartForm, UploadForm
from feedback.web.auth import requires
from feedback.web.forms import ActionForm, attempt, flashed
from feedback.web.pages import page_blueprint

bp = page_blueprint("imports", __name__)
PREVIEW_ROWS = 10


def _page(status: int = 200, **parts: Any) -> tuple[str, int]:
    shown = request.args.get("job", type=int)
    page = render_template(
        "imports/imports.html",
        form=parts.get("form") or UploadForm(formdata=None),
        start=parts.get("start"),
        preview=parts.get("preview"),
        jobs=running.recent_jobs(g.workspace),
        shown=shown,
        action=ActionForm(),
    )
    return page, status


@bp.get("/settings/imports")
@requires("admin")
def imports() -> Any:
    return _page()


@bp.post("/settings/imports/upload")
@requires("admin")
def upload() -> Any:
    form = UploadForm()
    if not form.validate_on_submit():
        return _page(422, form=form)
    # A refused mapping ("map" on the command line) is told on the mapping's field.
    mapping = {"map": form.mapping, "mapping": form.mapping}
    preview = attempt(
        form,
        lambda: running.preview_upload(
            g.workspace,
            form.format.data,
            form.file.data.read(),
            form.mapping.data or "",
            PREVIEW_ROWS,
        ),
        "file",
        where=mapping.get,
    )
    if preview is None:
        return _page(422, form=form)
    start = StartForm(
        formdata=None,
        data={
            "token": preview["token"],
            "filename": form.file.data.filename or "upload",
            "format": form.format.data,
            "mapping": form.mapping.data or "",
        },
    )
    return _page(form=form, start=start, preview=preview)


@bp.post("/settings/imports")
@requires("admin")
def start() -> Any:
    form = StartForm()
    if not form.validate_on_submit():
        return redirect(url_for("imports.imports"))

    def begin() -> Any:
        path = running.upload(g.workspace, form.token.data)
        mapping = formats.parse_mapping(form.mapping.data or "")
        return running.start_import(
            g.workspace,
            str(path),
            form.filename.data or "upload",
            form.format.data,
            mapping,
            form.dry_run.data == "1",
            current_user.email,
        )

    job = flashed(begin, with_field=True)
    return redirect(url_for("imports.imports", job=job.id if job else None))


@bp.get("/settings/imports/<int:job_id>.json")
@requires("admin")
def status(job_id: int) -> Any:
    return jsonify(running.progress(running.get_job(g.workspace, job_id)))


@bp.post("/settings/imports/<int:job_id>/cancel")
@requires("admin")
def cancel(job_id: int) -> Any:
    if ActionForm().validate_on_submit():
        flashed(
            lambda: running.cancel_import(g.workspace, job_id),
            "Cancelling: everything the import wrote is taken back.",
            abort_missing=True,
        )
    return redirect(url_for("imports.imports", job=job_id))


@bp.get("/settings/imports/<int:job_id>/refused.csv")
@requires("admin")
def report(job_id: int) -> Any:
    job = running.get_job(g.workspace, job_id)
    lines = csv_lines(running.REPORT_COLUMNS, [running.report_rows(job)])
    audit.downloaded(g.workspace.id, f"import-{job.id}-refused.csv")
    return csv_attachment(lines, f"import-{job.id}-refused.csv")

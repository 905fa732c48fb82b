"""Settings → Audit log: an admin reads who did what, filtered, a page at a time, and takes
the filtered entries away as CSV (a download the log itself records)."""

from __future__ import annotations

import json
from typing import Any

from flask import g, redirect, render_template, request, url_for

from feedback.audit import log as audit
from feedback.audit import queries
from feedback.audit.models import ACTIONS, CHANGED
from feedback.downloads import csv_attachment
from feedback.web.auth import requires
from feedback.web.forms import flashed
from feedback.web.pages import page_blueprint

bp = page_blueprint("audit", __name__)
PAGE_SIZE = 50


def _args() -> dict[str, str]:
    return {k: v for k in queries.FILTERS if (v := request.args.get(k, "").strip())}


def _value(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def changed(changes: dict[str, Any] | None) -> list[tuple[str, str]]:
    """Each changed field as a line to read: "before → after", or only that a secret changed."""
    lines = []
    for field, change in (changes or {}).items():
        if change == CHANGED or not isinstance(change, list) or len(change) != 2:
            lines.append((field, "changed"))
        else:
            lines.append((field, f"{_value(change[0])} → {_value(change[1])}"))
    return lines


@bp.get("/settings/audit")
@requires("admin")
def audit_log() -> Any:
    args = _args()
    query = flashed(lambda: queries.parse_query(args, g.workspace.timezone), with_field=True)
    if query is None:
        return redirect(url_for("audit.audit_log"))
    found = flashed(
        lambda: queries.list_events(g.workspace.id, query, request.args.get("cursor"), PAGE_SIZE),
        with_field=True,
    )
    if found is None:
        return redirect(url_for("audit.audit_log", **args))
    entries, cursor = found
    return render_template(
        "audit/audit_log.html",
        entries=entries,
        cursor=cursor,
        args=args,
        paged=bool(request.args.get("cursor")),
        actions=ACTIONS,
        actors=queries.actors(g.workspace.id),
        changed=changed,
    )


@bp.get("/settings/audit.csv")
@requires("admin")
def audit_csv() -> Any:
    args = _args()
    query = flashed(lambda: queries.parse_query(args, g.workspace.timezone), with_field=True)
    if query is None:
        return redirect(url_for("audit.audit_log"))
    audit.downloaded(g.workspace.id, "audit-log.csv", args)
    return csv_attachment(queries.export_csv(g.workspace.id, query), "audit-log.csv")

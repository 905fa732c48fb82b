"""The audit log over the management API: `GET /api/v1/audit-events`."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g, jsonify, request

from feedback.audit import queries
from feedback.errors import whole_number
from feedback.web.api import require_key

bp = Blueprint("audit_api", __name__, url_prefix="/api/v1")


# The write scope: a key that can administer the workspace (make keys, change settings) may
# read who did so; a read-only key, often handed to a data warehouse, may not.
@bp.get("/audit-events")
@require_key("write")
def audit_events() -> Any:
    query = queries.parse_query(request.args, g.workspace.timezone)
    maximum = current_app.config["FEEDBACK_PAGE_SIZE_MAX"]
    limit = whole_number(request.args.get("limit", "50"), "limit", 1, maximum)
    rows, cursor = queries.list_events(g.workspace.id, query, request.args.get("cursor"), limit)
    return jsonify({"data": [row.to_dict() for row in rows], "next_cursor": cursor})

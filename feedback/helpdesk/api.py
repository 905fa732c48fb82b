"""The helpdesk webhook: a ticket created, updated or solved, sent by the helpdesk.

Authenticated by a `write` API key, or by an `X-Feedback-Signature: sha256=<hex>` header (the
HMAC-SHA256 of the raw body under the workspace's helpdesk secret) with the workspace named by
its public key in `?workspace=`: many helpdesks can sign a body but not send a bearer key.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify, request

from feedback.accounts.workspaces import by_public_key
from feedback.cases import work as cases
from feedback.errors import Unauthorized
from feedback.helpdesk import tickets as helpdesk
from feedback.web.api import json_body, require_key

bp = Blueprint("helpdesk_api", __name__, url_prefix="/api/v1/helpdesk")
SIGNATURE_HEADER = "X-Feedback-Signature"


def _signed_workspace() -> Any:
    workspace = by_public_key(request.args.get("workspace", ""))
    raw = request.get_data(cache=True)
    secret = workspace.helpdesk_secret if workspace is not None else None
    if not helpdesk.signature_valid(secret, raw, request.headers[SIGNATURE_HEADER]):
        # One answer for an unknown workspace and a bad signature: neither is revealed.
        raise Unauthorized("The signature does not match the body and the workspace's secret.")
    return workspace


@require_key("write")
def _keyed_workspace() -> Any:
    return g.workspace


def _workspace() -> Any:
    if SIGNATURE_HEADER in request.headers and "Authorization" not in request.headers:
        return _signed_workspace()
    return _keyed_workspace()


@bp.post("/tickets")
def ticket_received() -> Any:
    workspace = _workspace()
    ticket, created = helpdesk.record_ticket(workspace, json_body())
    return jsonify(ticket.to_dict()), 201 if created else 200


@bp.post("/cases/<case_id>")
def case_update(case_id: str) -> Any:
    """The helpdesk sets a case's status (and resolution, note, its own id) back here.

    Applied once per `event_id`: a retried call answers 200 with `"applied": false`.
    """
    workspace = _workspace()
    case, applied = cases.apply_external(workspace, case_id, json_body())
    return jsonify({**case.to_dict(), "applied": applied})

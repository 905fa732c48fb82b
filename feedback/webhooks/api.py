"""Outgoing webhooks by API: create, list, delete, and each one's delivery log."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify, request

from feedback.errors import whole_number
from feedback.web.api import json_body, require_key
from feedback.webhooks import service as webhooks

bp = Blueprint("webhooks_api", __name__, url_prefix="/api/v1")


@bp.get("/webhooks")
@require_key("read")
def webhook_list() -> Any:
    return jsonify({"data": [h.to_dict() for h in webhooks.list_webhooks(g.workspace)]})


@bp.post("/webhooks")
@require_key("write")
def webhook_create() -> Any:
    hook = webhooks.create_webhook(g.workspace, json_body())
    # The secret is shown once, here: receivers need it to check signatures.
    return jsonify(hook.to_dict(with_secret=True)), 201


@bp.delete("/webhooks/<int:webhook_id>")
@require_key("write")
def webhook_delete(webhook_id: int) -> Any:
    webhooks.delete_webhook(g.workspace, webhook_id)
    return "", 204


@bp.get("/webhooks/<int:webhook_id>/deliveries")
@require_key("read")
def webhook_deliveries(webhook_id: int) -> Any:
    limit = whole_number(request.args.get("limit", "50"), "limit", 1, webhooks.MAX_LOG)
    log = webhooks.deliveries(g.workspace, webhook_id, limit)
    return jsonify({"data": [d.to_dict() for d in log]})

"""The workspace, its identity secret and its API keys over the management API."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify

from feedback.accounts import workspaces
from feedback.accounts.settings import update_workspace
from feedback.errors import object_of
from feedback.responses import identity
from feedback.web.api import json_body, require_key

bp = Blueprint("accounts_api", __name__, url_prefix="/api/v1")


@bp.get("/workspace")
@require_key("read")
def workspace_info() -> Any:
    return jsonify(g.workspace.to_dict())


@bp.patch("/workspace")
@require_key("write")
def workspace_update() -> Any:
    update_workspace(g.workspace, json_body())
    return jsonify(g.workspace.to_dict())


@bp.post("/workspace/identity-secret")
@require_key("write")
def identity_secret_rotate() -> Any:
    """A new identity secret, shown this once; user hashes made with the old one stop working."""
    secret = identity.rotate_identity_secret(g.workspace)
    return jsonify({"identity_secret": secret})


@bp.get("/api-keys")
@require_key("read")
def key_list() -> Any:
    return jsonify({"data": [k.to_dict() for k in workspaces.list_api_keys(g.workspace)]})


@bp.post("/api-keys")
@require_key("write")
def key_create() -> Any:
    payload = object_of(json_body(), ("name", "scopes"))
    issued = workspaces.create_api_key(g.workspace, payload.get("name"), payload.get("scopes"))
    return jsonify({**issued.key.to_dict(), "secret": issued.secret}), 201


@bp.delete("/api-keys/<int:key_id>")
@require_key("write")
def key_revoke(key_id: int) -> Any:
    workspaces.revoke_api_key(g.workspace, key_id)
    return "", 204

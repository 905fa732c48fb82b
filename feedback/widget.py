"""Serving the widget script and the demo host page that embeds it."""

from __future__ import annotations

import hashlib
import os
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request
from sqlalchemy import select

from feedback.extensions import db
from feedback.models import Survey, Workspace
from feedback.services.identity import user_hash

bp = Blueprint("widget", __name__)

STATIC = os.path.join(os.path.dirname(__file__), "static")


def _widget_source() -> tuple[bytes, str]:
    with open(os.path.join(STATIC, "widget.js"), "rb") as f:
        body = f.read()
    return body, hashlib.sha256(body).hexdigest()[:16]


def embed_snippet(base_url: str, public_key: str) -> str:
    """The tag a product team pastes into its pages: a queue stub and the async loader."""
    loader = (
        "!function(w,d,u,k){w.feedback=w.feedback||function(){(w.feedback.q=w.feedback.q||[])"
        '.push(arguments)};var s=d.createElement("script");s.async=1;s.src=u;'
        'd.head.appendChild(s);w.feedback("init",{key:k,host:u.replace(/\\/widget\\.js.*$/,"")})}'
        f'(window,document,"{base_url}/widget.js","{public_key}");'
    )
    # USER_HASH is made on the host's server (docs/widget.md): without it, a claim.
    identify = (
        'feedback("identify", "USER_ID", '
        '{email: "EMAIL", traits: {plan: "PLAN"}, userHash: "USER_HASH"});'
    )
    return f"<script>\n{loader}\n{identify}\n</script>"


@bp.get("/widget.js")
def widget_js() -> Response:
    """The widget: cached for five minutes, revalidated by ETag, readable from any origin."""
    body, etag = _widget_source()
    response = Response(body, mimetype="text/javascript")
    response.set_etag(etag)
    response.headers["Cache-Control"] = "public, max-age=300, stale-while-revalidate=86400"
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response.make_conditional(request)


@bp.get("/demo")
def demo_host() -> Any:
    """A page that embeds the widget like a customer's app would (for `make run`)."""
    # A development aid: in production it would show the demo workspace's surveys to anyone.
    if current_app.config["FEEDBACK_ENV"] != "development":
        abort(404)
    workspace = db.session.scalar(select(Workspace).where(Workspace.slug == "demo"))
    if workspace is None:
        abort(404)
    surveys = db.session.scalars(
        select(Survey).where(Survey.workspace_id == workspace.id, Survey.status == "active")
    ).all()
    return render_template(
        "demo/host.html",
        workspace=workspace,
        surveys=surveys,
        base_url=current_app.config["FEEDBACK_BASE_URL"],
        # Made on the server, as a customer's app makes it: the page gets the hash, never the
        # secret.
        ann_hash=user_hash(workspace.identity_secret or "", "demo-ann"),
    )

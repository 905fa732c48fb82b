"""Serving the widget script and the demo host page that embeds it."""

from __future__ import annotations

import functools
import hashlib
import os
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request
from sqlalchemy import select

from feedback.accounts.models import Workspace
from feedback.database import owned_by
from feedback.extensions import db
from feedback.responses.identity import user_hash
from feedback.surveys.models import Survey
from feedback.web import compression

bp = Blueprint("widget", __name__)

WIDGET = os.path.join(os.path.dirname(os.path.dirname(__file__)), "static", "widget.js")
# The URL that names the version never changes content, so browsers and CDNs keep it a year.
PINNED = "public, max-age=31536000, immutable"
# The bare /widget.js (snippets from before versions, or a version since replaced): a new
# release reaches pages within minutes, and meanwhile the cached copy is used.
SHORT = "public, max-age=300, stale-while-revalidate=86400"


@dataclass(frozen=True)
class Script:
    """widget.js as it goes out: its version and its bytes in each coding (None: identity)."""

    version: str
    bodies: dict[str | None, bytes]


def widget_script() -> Script:
    """The script, compressed once per process and again only when the file changes."""
    stat = os.stat(WIDGET)
    return _compressed(stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=1)
def _compressed(_mtime_ns: int, _size: int) -> Script:
    with open(WIDGET, "rb") as f:
        body = f.read()
    bodies: dict[str | None, bytes] = {None: body}
    for coding in compression.CODINGS:
        bodies[coding] = compression.compress(body, coding, best=True)
    return Script(hashlib.sha256(body).hexdigest()[:16], bodies)


def script_url(base_url: str) -> str:
    """The versioned address of the script, for snippets and our own pages."""
    # A query, not /widget.<hash>.js: the snippet and the widget find the Feedback address by
    # cutting "/widget.js..." off the script's URL, in pages pasted long ago too.
    return f"{base_url.rstrip('/')}/widget.js?v={widget_script().version}"


def embed_snippet(base_url: str, public_key: str) -> str:
    """The tag a product team pastes into its pages: a queue stub and the async loader.

    It works as pasted. Naming the signed-in user is an optional line, left commented out:
    placeholders sent as they are would be refused ("EMAIL" is no address, "USER_HASH" no
    hash), so no card would show.
    """
    loader = (
        "!function(w,d,u,k){w.feedback=w.feedback||function(){(w.feedback.q=w.feedback.q||[])"
        '.push(arguments)};var s=d.createElement("script");s.async=1;s.src=u;'
        'd.head.appendChild(s);w.feedback("init",{key:k,host:u.replace(/\\/widget\\.js.*$/,"")})}'
        f'(window,document,"{script_url(base_url)}","{public_key}");'
    )
    identify = (
        "// Optional: for a signed-in visitor, remove the // below and fill in, from your app,\n"
        "// their id, email and any traits (for targeting). USER_HASH is the HMAC-SHA256 of the\n"
        "// id under the identity secret in Settings, made on your server (docs/widget.md,\n"
        '// "Identity verification"). Without this line each browser is an anonymous visitor,\n'
        "// and surveys still show.\n"
        '// feedback("identify", "USER_ID", '
        '{email: "EMAIL", traits: {plan: "PLAN"}, userHash: "USER_HASH"});'
    )
    return f"<script>\n{loader}\n{identify}\n</script>"


@bp.get("/widget.js")
def widget_js() -> Response:
    """The widget, in the smallest coding the browser takes; readable from any origin."""
    script = widget_script()
    coding = compression.chosen_coding(request.accept_encodings)
    response = Response(script.bodies[coding], mimetype="text/javascript")
    if coding:
        response.headers["Content-Encoding"] = coding
    response.vary.add("Accept-Encoding")
    # Each coding is a representation of its own, so each has its own tag.
    response.set_etag(f"{script.version}-{coding}" if coding else script.version)
    pinned = request.args.get("v") == script.version
    response.headers["Cache-Control"] = PINNED if pinned else SHORT
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
        select(Survey).where(owned_by(Survey, workspace.id), Survey.status == "active")
    ).all()
    return render_template(
        "widget/demo_host.html",
        workspace=workspace,
        surveys=surveys,
        script_url=script_url(current_app.config["FEEDBACK_BASE_URL"]),
        # Made on the server, as a customer's app makes it: the page gets the hash, never the
        # secret.
        ann_hash=user_hash(workspace.identity_secret or "", "demo-ann"),
    )

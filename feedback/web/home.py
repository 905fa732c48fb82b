"""The front page: where a new user lands after `make run`."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template
from sqlalchemy import text

from feedback.extensions import db

bp = Blueprint("home", __name__)


@bp.get("/")
def index() -> str:
    # The demo page exists only under `make run`; elsewhere its link would lead to a 404.
    return render_template(
        "web/index.html", demo=current_app.config["FEEDBACK_ENV"] == "development"
    )


@bp.get("/healthz")
def health() -> tuple[object, int]:
    db.session.execute(text("SELECT 1"))
    return jsonify({"status": "ok"}), 200

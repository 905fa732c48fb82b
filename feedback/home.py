"""The front page: where a new user lands after `make run`."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from sqlalchemy import text

from feedback.extensions import db

bp = Blueprint("home", __name__)


@bp.get("/")
def index() -> str:
    return render_template("index.html")


@bp.get("/healthz")
def health() -> tuple[object, int]:
    db.session.execute(text("SELECT 1"))
    return jsonify({"status": "ok"}), 200

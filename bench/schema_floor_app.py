"""A third reference for bench/ingest.py: the product's own writes, with none of its code.

The floor (bench/floor_app.py) stores a body with one INSERT into a plain table. This endpoint
stores it as the product must: the respondent found or created, the response row with every
index and trigger the product's schema gives it, and the effect row its case follows from, in
the product's statements (built once, at start, by feedback.responses.storing) sent straight
through the driver, as the floor sends its one. No validation, no rate limit, no look-ups:
what it costs over the floor is what the schema's writes cost, and the product's share of it
is what everything else in the product costs.

Environment: FEEDBACK_DATABASE_URL (a migrated database), FLOOR_PUBLIC_KEY and FLOOR_SURVEY
(the workspace's public key and the survey's public id, looked up once).
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import threading
from typing import Any

from flask import Flask, Response, request

from feedback import create_app
from feedback.accounts.models import Workspace
from feedback.database import utcnow
from feedback.extensions import db
from feedback.responses import recording, respondents, storing
from feedback.surveys.kinds import band_for
from feedback.surveys.models import Survey

app = Flask(__name__)
URL = os.environ.get("FEEDBACK_DATABASE_URL", "")
SQLITE = URL.startswith("sqlite")
_local = threading.local()

# Every column the product writes for a new response, in one order (respondent_id last).
COLUMNS = tuple(
    dict.fromkeys(
        c for c in (*storing._DEFAULTS, *recording._INSERT_COLUMNS) if c != "respondent_id"
    )
)


def _prepare() -> tuple[dict[str, Any], dict[str, str]]:
    """The survey's fixed values and the statements, built by the product's own code."""
    product = create_app()
    with product.app_context():
        workspace = (
            db.session.query(Workspace).filter_by(public_key=os.environ["FLOOR_PUBLIC_KEY"]).one()
        )
        survey = (
            db.session.query(Survey)
            .filter_by(workspace_id=workspace.id, public_id=os.environ["FLOOR_SURVEY"])
            .one()
        )
        fixed = {
            "workspace_id": workspace.id,
            "survey_id": survey.id,
            "kind": survey.kind,
            "question": survey.question,
            "scale": survey.scale,
        }
        dialect = db.engine.dialect.name
        if dialect == "sqlite":
            sql = {
                "respondent": respondents.upsert_sql("claim"),
                "response": storing._statement(dialect, (*COLUMNS, "respondent_id"), None),
                "effect": f"{storing._EFFECT} VALUES (:workspace_id, :id, :score, NULL, :now)",
            }
        else:
            sql = {"response": storing._statement(dialect, COLUMNS, "claim")}
    return fixed, sql


FIXED, SQL = _prepare()


def _connection() -> Any:
    if getattr(_local, "connection", None) is None:
        if SQLITE:
            # The product's settings, as the floor has them: WAL, NORMAL sync, a busy timeout.
            connection = sqlite3.connect(
                URL.removeprefix("sqlite:///"), timeout=10, isolation_level=None
            )
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute("PRAGMA foreign_keys=ON")
            # Writers take turns on a file lock, as the product's do: SQLite's own busy wait
            # sleeps a millisecond or more, and this transaction is long enough to meet it.
            _local.lock = os.open(URL.removeprefix("sqlite:///") + ".lock", os.O_CREAT | os.O_RDWR)
        else:
            import psycopg

            connection = psycopg.connect(
                URL.replace("postgresql+psycopg", "postgresql"), autocommit=True
            )
        _local.connection = connection
    return _local.connection


@app.put("/api/public/<key>/responses/<client_id>")
def put_response(key: str, client_id: str) -> Response:
    payload = json.loads(request.get_data())
    now = utcnow()
    stamp: Any = now.strftime("%Y-%m-%d %H:%M:%S.%f") if SQLITE else now
    score = payload["score"]
    comment = " ".join(str(v) for v in (payload.get("answers") or {}).values()) or None
    plan = (payload.get("context") or {}).get("plan")
    row = {name: None for name in COLUMNS}
    row.update(storing._DEFAULTS)
    row.update(
        workspace_id=FIXED["workspace_id"],
        survey_id=FIXED["survey_id"],
        client_id=client_id,
        channel="widget",
        kind=FIXED["kind"],
        question=FIXED["question"],
        submitted_at=stamp,
        updated_at=stamp,
        score=score,
        band=band_for(FIXED["kind"], FIXED["scale"], score),
        answers=json.dumps(payload.get("answers") or {}),
        comment=comment,
        nlp_status="pending" if comment else "none",
        context="{}",
        identity="claimed",
        plan=plan,
    )
    person = {
        "workspace_id": FIXED["workspace_id"],
        "external_id": (payload.get("respondent") or {}).get("id"),
        "email": None,
        "traits": "{}",
        "created_at": stamp,
        "last_responded_at": stamp,
    }
    connection = _connection()
    if SQLITE:
        fcntl.flock(_local.lock, fcntl.LOCK_EX)
        try:
            connection.execute("BEGIN IMMEDIATE")
            row["respondent_id"] = connection.execute(SQL["respondent"], person).fetchone()[0]
            made = connection.execute(SQL["response"], row).fetchone()
            if made is not None:
                effect = {"workspace_id": row["workspace_id"], "id": made[0], "score": score}
                connection.execute(SQL["effect"], {**effect, "now": stamp})
            connection.execute("COMMIT")
        finally:
            fcntl.flock(_local.lock, fcntl.LOCK_UN)
    else:
        made = connection.execute(SQL["response"], {**row, **person, "now": now}).fetchone()
    body = json.dumps({"id": client_id, "score": score, "created": made is not None})
    return Response(body, status=201 if made is not None else 200, mimetype="application/json")

"""A second reference for bench/ingest.py: the least a durable write can cost.

A Flask endpoint that parses the body and stores it with one INSERT through the database
driver and a COMMIT: no validation, no ORM, no respondent, no webhook or case. No ingest path
that acknowledges only what is committed can be faster on the same server, so the ratio of
this endpoint to the bare one is the ceiling for the product's own ratio.

With FLOOR_NO_WAIT set (PostgreSQL), commits do not wait for the disk (synchronous_commit off):
not durable, but the ceiling of any scheme that shares one disk flush among many requests.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from typing import Any

from flask import Flask, Response, request

app = Flask(__name__)
URL = os.environ.get("FLOOR_DATABASE_URL", "")
_local = threading.local()
TABLE = (
    "CREATE TABLE IF NOT EXISTS floor_response (id {serial} PRIMARY KEY, client_id TEXT UNIQUE, "
    "survey TEXT, score INTEGER, answers TEXT, context TEXT)"
)
INSERT = (
    "INSERT INTO floor_response (client_id, survey, score, answers, context) "
    "VALUES ({p}, {p}, {p}, {p}, {p}) ON CONFLICT DO NOTHING"
)


def create_table() -> None:
    """Made once, before the server starts, so its workers never race to make it."""
    connection, _ = _connect()
    serial = "INTEGER" if URL.startswith("sqlite") else "BIGSERIAL"
    connection.execute(TABLE.format(serial=serial))
    connection.commit()
    connection.close()


def _connect() -> tuple[Any, str]:
    if URL.startswith("sqlite"):
        # The product's settings: WAL, NORMAL sync, a busy timeout.
        connection = sqlite3.connect(URL.removeprefix("sqlite:///"), timeout=10)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        return connection, "?"
    import psycopg

    connection = psycopg.connect(URL.replace("postgresql+psycopg", "postgresql"))
    if os.environ.get("FLOOR_NO_WAIT"):
        connection.execute("SET synchronous_commit TO off")
        connection.commit()
    return connection, "%s"


def _connection() -> tuple[Any, str]:
    if getattr(_local, "connection", None) is None:
        _local.connection, _local.mark = _connect()
    return _local.connection, _local.mark


@app.put("/api/public/<key>/responses/<client_id>")
def put_response(key: str, client_id: str) -> Response:
    payload = json.loads(request.get_data())
    connection, mark = _connection()
    values = (
        client_id,
        payload["survey"],
        payload["score"],
        json.dumps(payload.get("answers")),
        json.dumps(payload.get("context")),
    )
    connection.execute(INSERT.format(p=mark), values)
    connection.commit()
    body = json.dumps({"id": client_id, "score": payload["score"], "created": True})
    return Response(body, status=201, mimetype="application/json")

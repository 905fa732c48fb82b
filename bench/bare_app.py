"""The reference for bench/ingest.py: a Flask endpoint that parses the body and stores nothing."""

from __future__ import annotations

import json

from flask import Flask, Response, request

app = Flask(__name__)


@app.put("/api/public/<key>/responses/<client_id>")
def put_response(key: str, client_id: str) -> Response:
    payload = json.loads(request.get_data())
    body = json.dumps({"id": client_id, "score": payload["score"], "created": True})
    return Response(body, status=201, mimetype="application/json")

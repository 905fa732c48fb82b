"""A third reference for bench/ingest.py: the product's own writes, with none of its other code.

The floor (bench/floor_app.py) stores a body with one INSERT into a plain table. This endpoint
stores it as the product must, through the product's own write function
(feedback.responses.storing.insert_new) and its connection settings: the respondent found or
created, the response row with every index and trigger of the schema, and the effect row its
case follows from. No validation, no rate limit, no look-ups, no request hooks (only the
product's app context around the write): what it costs
over the floor is what the schema's writes cost, and the product's share of it is what
everything else in the product costs.

Environment: FEEDBACK_DATABASE_URL (a migrated database), FLOOR_PUBLIC_KEY and FLOOR_SURVEY
(the workspace's public key and the survey's public id, looked up once).
"""

from __future__ import annotations

import json
import os

from flask import Flask, Response, request

from feedback import create_app
from feedback.accounts.models import Workspace
from feedback.database import utcnow
from feedback.extensions import db
from feedback.responses import recording, storing
from feedback.responses.respondents import RespondentInput, respondent_row
from feedback.surveys.followups import open_text
from feedback.surveys.kinds import band_for
from feedback.surveys.models import Survey

app = Flask(__name__)
PRODUCT = create_app()

with PRODUCT.app_context():
    WORKSPACE = db.session.scalars(
        db.select(Workspace).filter_by(public_key=os.environ["FLOOR_PUBLIC_KEY"])
    ).one()
    SURVEY = db.session.scalars(
        db.select(Survey).filter_by(workspace_id=WORKSPACE.id, public_id=os.environ["FLOOR_SURVEY"])
    ).one()
    db.session.expunge_all()


@app.put("/api/public/<key>/responses/<client_id>")
def put_response(key: str, client_id: str) -> Response:
    payload = json.loads(request.get_data())
    now = utcnow()
    score = payload["score"]
    answers = payload.get("answers") or {}
    comment = open_text(SURVEY.definition, answers)
    row = dict.fromkeys(recording._INSERT_COLUMNS)  # every column the product binds
    row.update(
        workspace_id=WORKSPACE.id,
        survey_id=SURVEY.id,
        client_id=client_id,
        channel="widget",
        kind=SURVEY.kind,
        question=SURVEY.question,
        submitted_at=now,
        updated_at=now,
        score=score,
        band=band_for(SURVEY.kind, SURVEY.scale, score),
        answers=answers,
        comment=comment,
        nlp_status="pending" if comment else "none",
        context={},
        identity="claimed",
        plan=(payload.get("context") or {}).get("plan"),
    )
    person = RespondentInput((payload.get("respondent") or {}).get("id"), None, {})
    who, shape = respondent_row(WORKSPACE, person, now)
    with PRODUCT.app_context():  # where the product's engine and write lock are found
        made = storing.insert_new(row, who, shape)
    body = json.dumps({"id": client_id, "score": score, "created": made is not None})
    return Response(body, status=201 if made is not None else 200, mimetype="application/json")

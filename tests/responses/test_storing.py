"""A new response, its respondent and its effect are written together, and survive a
connection the database server closed."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, text

from feedback import extensions
from feedback.extensions import db
from feedback.responses.models import Respondent, Response, ResponseEffect
from tests.factories import make_survey, make_tenant


def test_a_response_its_respondent_and_its_effect_are_stored_together(
    client: FlaskClient, effects_later: None
) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps").public_id
    body = {
        "survey": survey,
        "score": 4,
        "answers": {"improve": "Export is slow"},
        "context": {"plan": "Pro", "region": "eu"},
        "respondent": {"id": "user-77", "email": "claimed@example.com"},
    }
    made = client.put(t.public("/responses/store-00001"), json=body)
    assert made.status_code == 201 and made.json["created"] is True
    row = db.session.scalars(select(Response)).one()
    assert (row.score, row.band, row.plan, row.context) == (4, "detractor", "Pro", {"region": "eu"})
    assert (row.comment, row.nlp_status, row.nlp_attempts) == ("Export is slow", "pending", 0)
    assert (row.identity, row.claimed_email) == ("claimed", "claimed@example.com")
    person = db.session.scalars(select(Respondent)).one()
    # A claim names the respondent but never writes their address.
    assert (person.external_id, person.email, row.respondent_id) == ("user-77", None, person.id)
    effect = db.session.scalars(select(ResponseEffect)).one()
    assert (effect.response_id, effect.score, effect.previous_score) == (row.id, 4, None)
    # The same id again is the same response, not a second one.
    again = client.put(t.public("/responses/store-00001"), json=body)
    assert again.status_code == 200 and again.json["created"] is False
    assert len(db.session.scalars(select(Response)).all()) == 1


def test_a_connection_the_server_closed_is_replaced_and_the_answer_stored(
    client: FlaskClient,
) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("only a server can close a connection")
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps").public_id
    body = {"survey": survey, "score": 9}
    assert client.put(t.public("/responses/conn-000001"), json=body).status_code == 201
    # As a server restart or an idle timeout would: the connection the write path keeps
    # between requests is ended by the server.
    held = extensions._held.connections[db.engine].driver_connection.info.backend_pid
    db.session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": held})
    db.session.commit()
    made = client.put(t.public("/responses/conn-000002"), json=body)
    assert made.status_code == 201
    assert db.session.scalar(select(Response.id).where(Response.client_id == "conn-000002"))

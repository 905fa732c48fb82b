"""What the public API keeps in memory (the workspace by its key, with its allow-list and
identity rules; the live survey; the workspace's webhooks) follows every change at once in
the process that made it, and in every other process within FEEDBACK_LOOKUP_TTL."""

from __future__ import annotations

import time
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from feedback import create_app
from feedback.extensions import db
from feedback.webhooks.models import WebhookDelivery
from tests.factories import Tenant, make_survey, make_tenant

APP = "https://app.example.com"
SHOP = "https://shop.example.com"


def put(t: Tenant, client: FlaskClient, rid: str, survey: str, **headers: str) -> Any:
    body = {"survey": survey, "score": 9}
    return client.put(t.public(f"/responses/{rid}"), json=body, headers=headers)


def test_an_origin_added_or_removed_counts_from_the_next_call(client: FlaskClient) -> None:
    t = make_tenant(client, allowed_origins=[APP])
    survey = make_survey(t.workspace, "nps").public_id
    # Both answers are now in the cache: the workspace, its allow-list and the survey.
    assert put(t, client, "origin-0001", survey, Origin=APP).status_code == 201
    assert put(t, client, "origin-0002", survey, Origin=SHOP).status_code == 403
    assert t.patch("/api/v1/workspace", {"allowed_origins": [SHOP]}).status_code == 200
    assert put(t, client, "origin-0003", survey, Origin=SHOP).status_code == 201
    refused = put(t, client, "origin-0004", survey, Origin=APP)
    assert refused.status_code == 403
    assert refused.json["error"]["code"] == "origin_not_allowed"


def test_a_paused_survey_refuses_the_next_answer_and_a_changed_one_shows(
    client: FlaskClient,
) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps").public_id
    assert put(t, client, "pause-00001", survey).status_code == 201
    assert client.get(t.public(f"/surveys/{survey}")).json["question"]
    changed = t.patch(f"/api/v1/surveys/{survey}", {"question": "Would you tell a friend?"})
    assert changed.status_code == 200, changed.json
    assert client.get(t.public(f"/surveys/{survey}")).json["question"] == (
        "Would you tell a friend?"
    )
    assert t.patch(f"/api/v1/surveys/{survey}", {"status": "paused"}).status_code == 200
    refused = put(t, client, "pause-00002", survey)
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "survey_inactive"


def test_requiring_verified_identities_holds_from_the_next_call(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps").public_id
    named = {"survey": survey, "score": 8, "respondent": {"id": "user-42"}}
    assert client.put(t.public("/responses/ident-0001"), json=named).status_code == 201
    assert t.patch("/api/v1/workspace", {"require_verified_identity": True}).status_code == 200
    refused = client.put(t.public("/responses/ident-0002"), json=named)
    assert refused.status_code == 403
    assert refused.json["error"]["code"] == "identity_unverified"


def test_a_new_webhook_gets_the_very_next_response(app: Flask, client: FlaskClient) -> None:
    app.config["FEEDBACK_WEBHOOKS_ALLOW_PRIVATE"] = True
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps").public_id
    assert put(t, client, "hooks-00001", survey).status_code == 201  # "no webhooks" is cached
    made = t.post(
        "/api/v1/webhooks", {"url": "http://127.0.0.1:9/in", "events": ["response.created"]}
    )
    assert made.status_code == 201, made.json
    assert put(t, client, "hooks-00002", survey).status_code == 201
    events = db.session.execute(select(WebhookDelivery.event, WebhookDelivery.payload)).all()
    assert [(e, p["data"]["client_id"]) for e, p in events] == [("response.created", "hooks-00002")]


def test_another_process_follows_within_the_lookup_ttl(app: Flask, client: FlaskClient) -> None:
    t = make_tenant(client, allowed_origins=[APP])
    survey = make_survey(t.workspace, "nps").public_id
    # A second server on the same database, with a cache of its own and a TTL of one second.
    config = {
        key: app.config[key]
        for key in ("SQLALCHEMY_DATABASE_URI", "SQLALCHEMY_ENGINE_OPTIONS", "SECRET_KEY")
    }
    other = create_app(
        {
            **config,
            "TESTING": True,
            "FEEDBACK_LOOKUP_TTL": 1,
            "FEEDBACK_PUBLIC_RATE_LIMIT": "100000 per second",
        }
    )
    with other.app_context():
        there = other.test_client()
        assert put(t, there, "ttl-0000001", survey, Origin=APP).status_code == 201
    assert t.patch("/api/v1/workspace", {"allowed_origins": [SHOP]}).status_code == 200
    with other.app_context():
        # Within the TTL it may still answer from what it read before; after it, never.
        time.sleep(1.1)
        assert put(t, there, "ttl-0000003", survey, Origin=APP).status_code == 403
        assert put(t, there, "ttl-0000004", survey, Origin=SHOP).status_code == 201
        db.session.remove()
    other_engine = other.extensions["sqlalchemy"].engines[None]
    other_engine.dispose()

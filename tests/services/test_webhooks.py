"""Outgoing webhooks posted to a real HTTP receiver on loopback: signed, retried, logged."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select, update

from feedback.extensions import db
from feedback.jobs import deliver_webhooks
from feedback.models import WebhookDelivery, utcnow
from feedback.services import webhooks
from feedback.services.respondents import erase_respondent
from feedback.services.responses import record_response
from tests.factories import Tenant, make_survey, make_tenant
from tests.killed import Killed, dies_at_commit
from tests.webhook_receiver import Receiver, signature_ok


@pytest.fixture
def receiver(app: Flask) -> Iterator[Receiver]:
    app.config["FEEDBACK_WEBHOOKS_ALLOW_PRIVATE"] = True
    server = Receiver()
    yield server
    server.stop()


def subscribe(t: Tenant, url: str, events: list[str], fmt: str = "json") -> dict[str, Any]:
    made = t.post("/api/v1/webhooks", {"url": url, "events": events, "format": fmt})
    assert made.status_code == 201, made.json
    return made.json


def respond(t: Tenant, survey: Any, rid: str, score: int, **extra: Any) -> None:
    record_response(t.workspace, rid, {"survey": survey.public_id, "score": score, **extra})


def make_due() -> None:
    db.session.execute(update(WebhookDelivery).values(next_attempt_at=utcnow()))
    db.session.commit()


def deliveries() -> list[WebhookDelivery]:
    db.session.expire_all()
    return list(db.session.scalars(select(WebhookDelivery)))


def test_a_low_score_is_posted_with_a_valid_signature(
    client: FlaskClient, receiver: Receiver
) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    hook = subscribe(t, receiver.url, ["response.created", "response.low_score"])
    assert hook["secret"].startswith("whsec_")
    respond(t, survey, "resp-low-0001", 3, context={"agent": "Dana"})
    respond(t, survey, "resp-high-001", 10)
    assert deliver_webhooks() == 3
    events = sorted(r.json["type"] for r in receiver.received)
    assert events == ["response.created", "response.created", "response.low_score"]
    for got in receiver.received:
        assert signature_ok(hook["secret"], got)
        assert got.headers["webhook-id"].startswith("msg_")
    low = next(r.json for r in receiver.received if r.json["type"] == "response.low_score")
    assert low["data"]["score"] == 3 and low["data"]["context"] == {"agent": "Dana"}
    # A forged body does not pass the receiver's check.
    forged = receiver.received[0]
    forged.body = forged.body.replace(b'"score":', b'"score": 1')
    assert not signature_ok(hook["secret"], forged)
    assert deliver_webhooks() == 0  # delivered once, never again


def test_an_update_is_an_event_and_a_score_made_low_is_one_too(
    client: FlaskClient, receiver: Receiver
) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "csat")
    subscribe(t, receiver.url, ["response.updated", "response.low_score"])
    respond(t, survey, "resp-csat-001", 5)
    respond(t, survey, "resp-csat-001", 2)
    respond(t, survey, "resp-csat-001", 1)  # still low: no second low_score
    deliver_webhooks()
    assert Counter(r.json["type"] for r in receiver.received) == {
        "response.updated": 2,
        "response.low_score": 1,
    }


def test_a_failing_receiver_is_retried_until_it_succeeds(
    client: FlaskClient, receiver: Receiver
) -> None:
    receiver.statuses = [500, 503, 200]
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    hook = subscribe(t, receiver.url, ["response.created"])
    respond(t, survey, "resp-retry-01", 8)
    assert deliver_webhooks() == 1
    [row] = deliveries()
    assert row.status == "pending" and row.next_attempt_at > utcnow()
    assert deliver_webhooks() == 0  # not due yet: the back-off holds it
    make_due()
    deliver_webhooks()
    make_due()
    deliver_webhooks()
    log = t.get(f"/api/v1/webhooks/{hook['id']}/deliveries").json["data"]
    [entry] = log
    assert entry["status"] == "delivered" and entry["attempts"] == 3
    assert [h["status"] for h in entry["history"]] == [500, 503, 200]
    assert entry["response_status"] == 200 and entry["response_body"] == "ok"
    assert len(receiver.received) == 3
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1  # same id each try


def test_a_delivery_gives_up_after_its_retries(client: FlaskClient, receiver: Receiver) -> None:
    receiver.statuses = [500] * 10
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    subscribe(t, receiver.url, ["response.created"])
    respond(t, survey, "resp-fails-01", 8)
    for _ in range(8):
        make_due()
        deliver_webhooks()
    [row] = deliveries()
    assert row.status == "failed" and row.attempts == 6 and len(receiver.received) == 6


def test_a_private_address_is_refused_without_the_setting(
    client: FlaskClient, receiver: Receiver
) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    subscribe(t, receiver.url, ["response.created"])
    client.application.config["FEEDBACK_WEBHOOKS_ALLOW_PRIVATE"] = False
    respond(t, survey, "resp-private1", 8)
    deliver_webhooks()
    assert receiver.received == []
    [row] = deliveries()
    assert "127.0.0.1" in row.last_error and row.last_error.startswith("refused")


def test_a_slack_message_escapes_what_the_respondent_typed(
    client: FlaskClient, receiver: Receiver
) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    subscribe(t, receiver.url, ["response.low_score"], fmt="slack")
    respond(t, survey, "resp-slack-01", 2, answers={"improve": "<!channel> <b>slow</b> & buggy"})
    deliver_webhooks()
    [got] = receiver.received
    text = got.json["text"]
    assert "score 2" in text and "&lt;!channel&gt; &lt;b&gt;slow&lt;/b&gt; &amp; buggy" in text
    assert "<!channel>" not in text and "/app/responses/" in text


def test_no_webhook_no_delivery_and_no_query(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    respond(t, survey, "resp-quiet-01", 2)
    assert db.session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0
    statements: list[str] = []

    def seen(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        webhooks.emit(t.workspace.id, "response.created", {"id": 1})
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert statements == []  # the "no webhooks" answer is cached


def test_the_management_api_is_scoped_to_the_workspace(client: FlaskClient) -> None:
    t = make_tenant(client, "Acme")
    other = make_tenant(client, "Globex")
    hook = subscribe(t, "https://hooks.example.com/in", ["response.low_score"])
    listed = t.get("/api/v1/webhooks").json["data"]
    assert [h["id"] for h in listed] == [hook["id"]] and "secret" not in listed[0]
    assert other.get("/api/v1/webhooks").json["data"] == []
    assert other.get(f"/api/v1/webhooks/{hook['id']}/deliveries").status_code == 404
    assert other.delete(f"/api/v1/webhooks/{hook['id']}").status_code == 404
    bad = t.post("/api/v1/webhooks", {"url": "ftp://x", "events": ["response.created"]})
    assert bad.status_code == 422 and bad.json["error"]["field"] == "url"
    bad = t.post("/api/v1/webhooks", {"url": "https://x.example", "events": ["nope"]})
    assert bad.status_code == 422 and bad.json["error"]["field"] == "events[0]"
    bad = t.post(
        "/api/v1/webhooks",
        {"url": "https://x.example", "events": ["response.created"], "format": "xml"},
    )
    assert bad.status_code == 422 and bad.json["error"]["field"] == "format"
    assert t.delete(f"/api/v1/webhooks/{hook['id']}").status_code == 204
    assert t.get("/api/v1/webhooks").json["data"] == []


def test_two_workers_deliver_each_event_once(app: Flask, client: FlaskClient) -> None:
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite runs one worker; the claim race is PostgreSQL's")
    app.config["FEEDBACK_WEBHOOKS_ALLOW_PRIVATE"] = True
    server = Receiver()
    try:
        t = make_tenant(client)
        survey = make_survey(t.workspace, "nps")
        subscribe(t, server.url, ["response.created"])
        for i in range(60):
            respond(t, survey, f"resp-race-{i:04d}", i % 11)
        db.session.commit()
        handled: list[int] = []

        def worker() -> None:
            with app.app_context():
                handled.append(deliver_webhooks(batches=50))
                db.session.remove()

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        ids = Counter(r.headers["webhook-id"] for r in server.received)
        assert len(ids) == 60 and set(ids.values()) == {1}
        assert sum(handled) == 60
    finally:
        server.stop()


def test_a_finished_analysis_is_an_event(client: FlaskClient, receiver: Receiver) -> None:
    from feedback.services.analysis import analyse_pending

    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    subscribe(t, receiver.url, ["analysis.completed"])
    respond(t, survey, "resp-nlp-0001", 2, answers={"improve": "The invoice was charged twice"})
    assert analyse_pending() == 1
    deliver_webhooks()
    [got] = receiver.received
    assert got.json["type"] == "analysis.completed"
    assert got.json["data"]["sentiment"] in ("negative", "mixed", "neutral", "positive")
    assert "billing" in [m["theme"] for m in got.json["data"]["themes"]]


def test_erasing_a_respondent_redacts_their_events(client: FlaskClient, receiver: Receiver) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    subscribe(t, receiver.url, ["response.created", "response.low_score"])
    respond(
        t,
        survey,
        "resp-erase-01",
        2,
        answers={"improve": "I am Ann from Globex"},
        respondent={"id": "u-ann"},
    )
    respond(t, survey, "resp-other-01", 9)
    assert deliver_webhooks(batches=1) == 3  # all three sent, then the person is erased
    respond(t, survey, "resp-erase-02", 1, respondent={"id": "u-ann"})
    erase_respondent(t.workspace, "u-ann")
    db.session.commit()
    deliver_webhooks()
    assert len(receiver.received) == 3  # the queued ones about Ann were not sent
    rows = deliveries()
    about_ann = [d for d in rows if d.payload == {"redacted": True}]
    assert len(about_ann) == 4
    assert all("Ann" not in str(d.payload) for d in rows)


@pytest.mark.parametrize("commit", [1, 2])
def test_deliveries_of_a_killed_worker_are_posted_after_the_claim_time_with_their_ids(
    app: Flask, client: FlaskClient, receiver: Receiver, commit: int
) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    subscribe(t, receiver.url, ["response.created"])
    for i in range(3):
        respond(t, survey, f"resp-kill-{i:03d}", 8)
    # Killed at one of the commits after the receiver took the first post.
    with pytest.raises(Killed), dies_at_commit(commit, once=lambda: bool(receiver.received)):
        deliver_webhooks()
    assert deliver_webhooks() == 0  # the dead worker's claim holds for a while
    held = timedelta(seconds=int(app.config["FEEDBACK_WEBHOOK_CLAIM_SECONDS"]) + 1)
    db.session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.claim.is_not(None))
        .values(claimed_at=WebhookDelivery.claimed_at - held)
    )
    db.session.commit()
    deliver_webhooks()
    assert [d.status for d in deliveries()] == ["delivered"] * 3
    posted = {r.headers["webhook-id"] for r in receiver.received}
    assert posted == {d.message_id for d in deliveries()}  # a repeat keeps its first id

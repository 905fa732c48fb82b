"""Outgoing webhooks posted to a real HTTP receiver on loopback: signed, retried, logged."""

from __future__ import annotations

import ipaddress
import ssl
import threading
import unicodedata
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select, update

from feedback.database import utcnow
from feedback.email.erasure import erase_respondent
from feedback.extensions import db
from feedback.jobs import deliver_webhooks
from feedback.responses import effects
from feedback.responses.recording import record_response
from feedback.webhooks import service as webhooks
from feedback.webhooks import targets as webhook_targets
from feedback.webhooks.models import WebhookDelivery
from tests.factories import Tenant, make_survey, make_tenant
from tests.killed import Killed, dies_at_commit
from tests.resolver import Resolver
from tests.webhook_receiver import Receiver, signature_ok

# A public address the fake resolver gives out for names that are only ever checked: no test
# connects to it.
PUBLIC = "93.184.215.14"
TLS = Path(__file__).parent.parent / "tls"


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
    effects.apply_pending()


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


def test_the_management_api_is_scoped_to_the_workspace(
    client: FlaskClient, resolver: Resolver
) -> None:
    resolver.add("hooks.example.com", [PUBLIC])
    resolver.add("x.example", [PUBLIC])
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
    from feedback.themes.analysis import analyse_pending

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


INSIDE = [
    "http://127.0.0.1/hook",
    "http://127.0.0.1./hook",
    "http://localhost:8080/hook",
    "http://status.localhost/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/hook",
    "http://2130706433/hook",
    "http://0x7f.1/hook",
    "http://0177.0.0.1/hook",
    "http://127.1/hook",
    "http://0/hook",
    "http://0.0.0.0/hook",
    "http://[::]/hook",
    "http://10.0.0.1/hook",
    "http://172.16.0.1/hook",
    "https://192.168.1.10/hook",
    "http://100.64.0.1/hook",
    "http://[fd00::1]/hook",
    "http://[fe80::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[64:ff9b::7f00:1]/hook",
    "http://[2002:7f00:1::]/hook",
    "http://224.0.0.1/hook",
    "http://[ff02::1]/hook",
    "http://240.0.0.1/hook",
    "http://255.255.255.255/hook",
    "https://intranet.example.test/hook",
    "https://v6.example.test/hook",
    "https://mixed.example.test/hook",
]


@pytest.mark.parametrize("url", INSIDE)
def test_a_url_that_reaches_inside_is_refused_at_creation(
    client: FlaskClient, resolver: Resolver, url: str
) -> None:
    resolver.add("intranet.example.test", ["10.1.2.3"])
    resolver.add("v6.example.test", ["fd00::5"])
    resolver.add("mixed.example.test", [PUBLIC, "127.0.0.1"])
    t = make_tenant(client)
    made = t.post("/api/v1/webhooks", {"url": url, "events": ["response.created"]})
    assert made.status_code == 422
    error = made.json["error"]
    assert error["field"] == "url"
    assert error["message"].endswith("webhooks post only to public internet addresses.")
    assert t.get("/api/v1/webhooks").json["data"] == []


def test_a_name_that_cannot_be_found_is_refused_at_creation(
    client: FlaskClient, resolver: Resolver
) -> None:
    t = make_tenant(client)
    made = t.post(
        "/api/v1/webhooks", {"url": "https://nowhere.example.test/", "events": ["case.opened"]}
    )
    assert made.status_code == 422 and made.json["error"] == {
        "code": "invalid",
        "field": "url",
        "message": "Cannot find the address of nowhere.example.test: check the name.",
    }


def test_the_refusal_says_which_address_and_why(client: FlaskClient, resolver: Resolver) -> None:
    resolver.add("intranet.example.test", ["10.1.2.3"])
    t = make_tenant(client)
    for url, message in [
        ("http://0x7f.1/", "0x7f.1 (127.0.0.1) is a loopback address"),
        ("https://intranet.example.test/", "intranet.example.test (10.1.2.3) is a private address"),
        ("http://169.254.169.254/", "169.254.169.254 is a link-local address"),
    ]:
        made = t.post("/api/v1/webhooks", {"url": url, "events": ["response.created"]})
        assert made.json["error"]["message"].startswith(message)


def test_a_public_url_is_accepted_however_its_host_is_written(
    client: FlaskClient, resolver: Resolver
) -> None:
    resolver.add("hooks.example.com", [PUBLIC, "2606:2800:21f:cb07:6820:80da:af6b:8b2c"])
    resolver.add("xn--bcher-kva.example", [PUBLIC])
    t = make_tenant(client)
    for url in [
        "https://hooks.example.com/in?team=cx",
        "https://bücher.example/hook",
        "http://8.8.8.8:8080/hook",
        "https://[2606:4700:4700::1111]/hook",
    ]:
        made = t.post("/api/v1/webhooks", {"url": url, "events": ["response.created"]})
        assert made.status_code == 201, (url, made.json)


@pytest.fixture
def inside() -> Iterator[Receiver]:
    """A receiver on 127.0.0.2: the inside a rebinding name would lead to."""
    server = Receiver(host="127.0.0.2")
    yield server
    server.stop()


@pytest.fixture
def outside(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    """A receiver on 127.0.0.1 that the address rule takes for public, in this test only."""
    judge = webhook_targets.is_public
    stand_in = ipaddress.ip_address("127.0.0.1")
    monkeypatch.setattr(webhook_targets, "is_public", lambda a: a == stand_in or judge(a))
    server = Receiver()
    yield server
    server.stop()


def test_a_name_that_rebinds_is_posted_only_to_the_address_it_was_checked_at(
    client: FlaskClient, resolver: Resolver, outside: Receiver, inside: Receiver
) -> None:
    # Public at creation and at the delivery's check, then 127.0.0.2 to any later lookup.
    resolver.add("hooks.example.test", ["127.0.0.1"], ["127.0.0.1"], ["127.0.0.2"])
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    subscribe(t, f"http://hooks.example.test:{outside.port}/hook", ["response.created"])
    respond(t, survey, "resp-rebind-1", 8)
    assert deliver_webhooks() == 1
    assert inside.received == []
    [got] = outside.received
    assert got.headers["host"] == f"hooks.example.test:{outside.port}"
    # One lookup at creation and one for the delivery: the post itself looked nothing up.
    assert resolver.asked == ["hooks.example.test", "hooks.example.test"]
    assert deliveries()[0].status == "delivered"


def test_a_name_that_turns_private_after_creation_is_refused_at_delivery(
    client: FlaskClient, resolver: Resolver, outside: Receiver, inside: Receiver
) -> None:
    resolver.add("hooks.example.test", ["127.0.0.1"], ["127.0.0.2"])
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    subscribe(t, f"http://hooks.example.test:{inside.port}/hook", ["response.created"])
    respond(t, survey, "resp-rebind-2", 8)
    deliver_webhooks()
    assert inside.received == [] and outside.received == []
    [row] = deliveries()
    assert row.last_error == (
        "refused: hooks.example.test (127.0.0.2) is a loopback address: "
        "webhooks post only to public internet addresses."
    )


def test_a_redirect_is_not_followed(
    client: FlaskClient, receiver: Receiver, inside: Receiver
) -> None:
    receiver.statuses = [302]
    receiver.headers["Location"] = inside.url
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    hook = subscribe(t, receiver.url, ["response.created"])
    respond(t, survey, "resp-redirect", 8)
    deliver_webhooks()
    assert len(receiver.received) == 1 and inside.received == []
    [entry] = t.get(f"/api/v1/webhooks/{hook['id']}/deliveries").json["data"]
    assert entry["status"] == "pending" and entry["response_status"] == 302
    assert entry["last_error"] == "HTTP 302 (redirects are not followed)"


def test_the_stored_answer_is_a_short_plain_text_excerpt(
    client: FlaskClient, receiver: Receiver
) -> None:
    receiver.headers["Content-Type"] = "application/json; charset=utf-8"
    receiver.body = ('{"note": "\x1b[31mred\x1b[0m\u202eevil\x00"}' + "é" * 5000).encode()
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    hook = subscribe(t, receiver.url, ["response.created"])
    respond(t, survey, "resp-excerpt1", 8)
    deliver_webhooks()
    [entry] = t.get(f"/api/v1/webhooks/{hook['id']}/deliveries").json["data"]
    stored = entry["response_body"]
    assert stored.startswith('{"note": " [31mred [0m evil "}éé') and len(stored) == 300
    assert not any(unicodedata.category(ch).startswith("C") for ch in stored)


def test_an_answer_that_is_not_text_is_not_stored(client: FlaskClient, receiver: Receiver) -> None:
    receiver.headers["Content-Type"] = "application/octet-stream"
    receiver.body = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    subscribe(t, receiver.url, ["response.created"])
    respond(t, survey, "resp-excerpt2", 8)
    deliver_webhooks()
    [row] = deliveries()
    assert row.status == "delivered" and row.response_body is None


@pytest.fixture
def tls_receiver(
    app: Flask, resolver: Resolver, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Receiver]:
    """An https receiver on 127.0.0.1 with a certificate for hooks.example.test, from a CA
    that only this test trusts; both names below resolve to it."""
    app.config["FEEDBACK_WEBHOOKS_ALLOW_PRIVATE"] = True
    monkeypatch.setenv("SSL_CERT_FILE", str(TLS / "ca.pem"))
    resolver.add("hooks.example.test", ["127.0.0.1"])
    resolver.add("other.example.test", ["127.0.0.1"])
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(TLS / "hooks.example.test.pem")
    server = Receiver(tls=context)
    yield server
    server.stop()


def test_https_keeps_the_name_for_sni_and_the_certificate(
    client: FlaskClient, tls_receiver: Receiver
) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    url = f"https://hooks.example.test:{tls_receiver.port}/hook"
    hook = subscribe(t, url, ["response.created"])
    respond(t, survey, "resp-tls-0001", 8)
    deliver_webhooks()
    [got] = tls_receiver.received
    assert tls_receiver.sni == ["hooks.example.test"]
    assert got.headers["host"] == f"hooks.example.test:{tls_receiver.port}"
    assert signature_ok(hook["secret"], got)
    assert deliveries()[0].status == "delivered"


def test_https_refuses_a_certificate_for_another_name(
    client: FlaskClient, tls_receiver: Receiver
) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    subscribe(t, f"https://other.example.test:{tls_receiver.port}/hook", ["response.created"])
    respond(t, survey, "resp-tls-0002", 8)
    deliver_webhooks()
    assert tls_receiver.received == []
    [row] = deliveries()
    assert row.status == "pending" and "other.example.test" in row.last_error


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

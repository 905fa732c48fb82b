"""The public response API, as the widget, the hosted page and email clicks use it."""

from __future__ import annotations

import json

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from feedback import create_app
from feedback.extensions import db
from feedback.responses.models import Display, Respondent, Response
from tests.factories import make_survey, make_tenant
from tests.processes import run_elsewhere


def count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_score_then_followup_update_one_response(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    url = t.public("/responses/abcdefgh-0001")
    first = client.put(
        url, json={"survey": survey.public_id, "score": 3, "context": {"plan": "Pro"}}
    )
    assert first.status_code == 201
    assert first.json["created"] is True
    second = client.put(
        url, json={"survey": survey.public_id, "answers": {"improve": "Faster search"}}
    )
    assert second.status_code == 200
    stored = db.session.scalars(select(Response)).all()
    assert len(stored) == 1
    assert stored[0].score == 3 and stored[0].band == "detractor"
    assert stored[0].answers == {"improve": "Faster search"}
    assert stored[0].comment == "Faster search"
    assert stored[0].plan == "Pro"
    assert stored[0].nlp_status == "pending"


def test_retry_with_same_id_never_creates_a_second_response(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "csat")
    body = {"survey": survey.public_id, "score": 5, "answers": {"went_well": "Quick"}}
    codes = [
        client.put(t.public("/responses/retry-id-42"), json=body).status_code for _ in range(3)
    ]
    assert codes == [201, 200, 200]
    assert count(Response) == 1


def test_beacon_post_with_text_plain_body_is_accepted(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "ces")
    body = json.dumps({"id": "beacon-0001", "survey": survey.public_id, "score": 6})
    res = client.post(t.public("/responses"), data=body, content_type="text/plain")
    assert res.status_code == 201
    assert db.session.scalar(select(Response.score)) == 6


def test_context_and_respondent_travel_with_the_response(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "csat")
    body = {
        "survey": survey.public_id,
        "score": 2,
        "page_url": "https://app.example.com/billing",
        "context": {
            "agent": "Dana",
            "team": "Billing",
            "ticket_id": "T-9",
            "region": "EU",
            "seats": 12,
        },
        "respondent": {"id": "u-1", "email": "Ann@Example.com", "traits": {"plan": "Pro"}},
    }
    assert client.put(t.public("/responses/ctx-000001"), json=body).status_code == 201
    r = db.session.scalar(select(Response))
    assert (r.agent, r.team, r.ticket_id, r.page_url) == (
        "Dana",
        "Billing",
        "T-9",
        "https://app.example.com/billing",
    )
    assert r.context == {"region": "EU", "seats": "12"}
    assert r.plan == "Pro"  # traits travel with the response, signed or not
    # Unsigned, the id, email and traits are a claim: the email stays on this response, and
    # the respondent (found by id, for throttling) gets neither.
    assert (r.identity, r.claimed_email) == ("claimed", "ann@example.com")
    person = db.session.scalar(select(Respondent))
    assert (person.external_id, person.email, person.traits) == ("u-1", None, {})
    assert r.respondent_id == person.id


def refused(
    client: FlaskClient, url: str, body: object, status: int, field: str | None = None
) -> dict:
    res = (
        client.put(url, json=body)
        if not isinstance(body, bytes)
        else client.put(url, data=body, content_type="application/json")
    )
    assert res.status_code == status, res.json
    error = res.json["error"]
    assert error["message"]
    if field:
        assert error["field"] == field
    assert count(Response) == 0
    return error


def test_score_off_the_scale_is_refused(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    url = t.public("/responses/offscale-01")
    refused(client, url, {"survey": survey.public_id, "score": 11}, 422, "score")
    refused(client, url, {"survey": survey.public_id, "score": "9"}, 422, "score")
    refused(client, url, {"survey": survey.public_id, "score": True}, 422, "score")


def test_first_call_without_score_is_refused(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    refused(
        client,
        t.public("/responses/noscore-01"),
        {"survey": survey.public_id, "answers": {"improve": "x"}},
        422,
        "score",
    )


def test_answer_to_followup_whose_condition_fails_is_refused(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    body = {"survey": survey.public_id, "score": 10, "answers": {"improve": "I was a promoter"}}
    refused(client, t.public("/responses/wrongfu-01"), body, 422, "answers.improve")


def test_update_with_bad_answer_leaves_stored_response_unchanged(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    url = t.public("/responses/keepme-001")
    client.put(url, json={"survey": survey.public_id, "score": 2, "answers": {"improve": "first"}})
    res = client.put(url, json={"survey": survey.public_id, "answers": {"love": "not shown to me"}})
    assert res.status_code == 422
    db.session.expire_all()
    r = db.session.scalar(select(Response))
    assert (r.score, r.answers) == (2, {"improve": "first"})


def test_text_over_the_limit_is_refused(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    body = {"survey": survey.public_id, "score": 1, "answers": {"improve": "x" * 5001}}
    error = refused(client, t.public("/responses/toolong-01"), body, 422, "answers.improve")
    assert "5000" in error["message"]


def test_oversized_body_is_refused_with_413(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    body = {"survey": survey.public_id, "score": 1, "context": {"blob": "y" * 70000}}
    error = refused(client, t.public("/responses/toobig-001"), body, 413)
    assert "65536" in error["message"]


def test_malformed_json_is_refused_with_400(client: FlaskClient) -> None:
    t = make_tenant(client)
    refused(client, t.public("/responses/badjson-01"), b'{"survey": ', 400)
    refused(client, t.public("/responses/badjson-01"), b"\xff\xfe{}", 400)


def test_unknown_and_paused_surveys_are_refused(client: FlaskClient) -> None:
    t = make_tenant(client)
    paused = make_survey(t.workspace, "nps", status="paused")
    refused(
        client, t.public("/responses/unknown-01"), {"survey": "nope", "score": 5}, 404, "survey"
    )
    error = refused(
        client, t.public("/responses/paused-001"), {"survey": paused.public_id, "score": 5}, 409
    )
    assert error["code"] == "survey_inactive"


def test_wrong_public_key_is_refused(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    res = client.put(
        "/api/public/pk_wrong/responses/wrongkey-1", json={"survey": survey.public_id, "score": 5}
    )
    assert res.status_code == 404
    assert res.json["error"]["code"] == "unknown_key"
    assert count(Response) == 0


def test_survey_of_another_workspace_is_unknown(client: FlaskClient) -> None:
    a = make_tenant(client, "A")
    b = make_tenant(client, "B")
    survey_of_a = make_survey(a.workspace, "nps")
    refused(
        client,
        b.public("/responses/crossws-01"),
        {"survey": survey_of_a.public_id, "score": 5},
        404,
        "survey",
    )
    assert client.get(b.public(f"/surveys/{survey_of_a.public_id}")).status_code == 404


def test_response_id_of_another_survey_conflicts(client: FlaskClient) -> None:
    t = make_tenant(client)
    nps, csat = make_survey(t.workspace, "nps"), make_survey(t.workspace, "csat")
    client.put(t.public("/responses/shared-0001"), json={"survey": nps.public_id, "score": 5})
    res = client.put(
        t.public("/responses/shared-0001"), json={"survey": csat.public_id, "score": 5}
    )
    assert res.status_code == 409


def test_survey_config_for_the_widget(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(
        t.workspace, "csat", scale={"style": "emoji"}, branding={"accent": "#ff0066"}
    )
    res = client.get(t.public(f"/surveys/{survey.public_id}"))
    assert res.status_code == 200
    assert res.json["scale"]["style"] == "emoji"
    assert res.json["branding"] == {"accent": "#ff0066"}
    assert [f["id"] for f in res.json["followups"]] == ["went_wrong", "went_well"]
    assert "targeting" not in res.json


def test_cors_allows_listed_origin_and_refuses_others(client: FlaskClient) -> None:
    t = make_tenant(client, allowed_origins=["https://app.example.com"])
    survey = make_survey(t.workspace, "nps")
    url = t.public("/responses/corstest-1")
    pre = client.options(
        url, headers={"Origin": "https://app.example.com", "Access-Control-Request-Method": "PUT"}
    )
    assert pre.status_code in (200, 204)
    assert pre.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert "PUT" in pre.headers["Access-Control-Allow-Methods"]
    ok = client.put(
        url,
        json={"survey": survey.public_id, "score": 9},
        headers={"Origin": "https://app.example.com"},
    )
    assert ok.status_code == 201
    assert ok.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    bad = client.put(
        t.public("/responses/corstest-2"),
        json={"survey": survey.public_id, "score": 9},
        headers={"Origin": "https://evil.example.net"},
    )
    assert bad.status_code == 403
    assert bad.json["error"]["code"] == "origin_not_allowed"
    assert count(Response) == 1


def test_a_refused_origin_is_told_why_and_nothing_is_stored(client: FlaskClient) -> None:
    t = make_tenant(client, allowed_origins=["https://app.example.com"])
    survey = make_survey(t.workspace, "nps")
    evil = {"Origin": "https://evil.example.net"}
    # The preflight is answered, so the browser sends the call and lets the page read the no.
    pre = client.options(
        t.public("/responses/corstest-3"),
        headers={**evil, "Access-Control-Request-Method": "PUT"},
    )
    assert pre.status_code in (200, 204)
    assert pre.headers["Access-Control-Allow-Origin"] == "https://evil.example.net"
    for res in (
        client.put(
            t.public("/responses/corstest-3"),
            json={"survey": survey.public_id, "score": 9, "respondent": {"id": "u-9"}},
            headers=evil,
        ),
        client.post(t.public("/eligibility"), json={"respondent": {"id": "u-9"}}, headers=evil),
        client.post(
            t.public("/displays/corstest-4"), json={"survey": survey.public_id}, headers=evil
        ),
    ):
        assert res.status_code == 403
        assert res.headers["Access-Control-Allow-Origin"] == "https://evil.example.net"
        assert res.json["error"]["code"] == "origin_not_allowed"
        assert (
            "add https://evil.example.net in Settings → Allowed origins"
            in res.json["error"]["message"]
        )
    assert count(Response) == count(Display) == count(Respondent) == 0


def test_the_demo_takes_pages_on_any_loopback_port_in_development_only(
    app: Flask, client: FlaskClient
) -> None:
    from feedback.demo.seed import seed_demo_workspace

    app.config["FEEDBACK_ENV"] = "development"
    demo = seed_demo_workspace(responses=60)
    url = f"/api/public/{demo.workspace.public_key}/eligibility"
    for origin in ("http://localhost:5077", "http://127.0.0.1:8000", "http://[::1]:3000"):
        res = client.post(url, json={"anonymous_id": "anon-12345678"}, headers={"Origin": origin})
        assert res.status_code == 200, res.json
        assert res.headers["Access-Control-Allow-Origin"] == origin
    app.config["FEEDBACK_ENV"] = "production"
    res = client.post(
        url, json={"anonymous_id": "anon-12345678"}, headers={"Origin": "http://localhost:5077"}
    )
    assert res.status_code == 403 and res.json["error"]["code"] == "origin_not_allowed"


def test_a_demo_seeded_in_production_allows_no_loopback_page(app: Flask) -> None:
    from feedback.demo.seed import seed_demo_workspace

    assert seed_demo_workspace(responses=60).workspace.allowed_origins == []


def test_display_and_dismissal_are_recorded_once(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    body = {
        "survey": survey.public_id,
        "page_url": "https://app.example.com/x",
        "respondent": {"id": "u-7"},
    }
    assert client.post(t.public("/displays/display-0001"), json=body).status_code == 201
    assert client.post(t.public("/displays/display-0001"), json=body).status_code == 200
    res = client.post(t.public("/displays/display-0001/dismiss"))
    assert res.status_code == 200
    display = db.session.scalar(select(Display))
    assert count(Display) == 1
    assert display.dismissed_at is not None
    assert db.session.scalar(select(Respondent.last_shown_at)) is not None
    assert client.post(t.public("/displays/never-shown-1/dismiss")).status_code == 404


def test_response_linked_to_its_display(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    client.post(t.public("/displays/display-0002"), json={"survey": survey.public_id})
    client.put(
        t.public("/responses/linked-0001"),
        json={"survey": survey.public_id, "score": 8, "display": "display-0002"},
    )
    assert db.session.scalar(select(Response.display_id)) == db.session.scalar(select(Display.id))


def test_changing_the_score_drops_answers_that_no_longer_apply(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    url = t.public("/responses/rescore-001")
    client.put(url, json={"survey": survey.public_id, "score": 3, "answers": {"improve": "slow"}})
    res = client.put(url, json={"survey": survey.public_id, "score": 9})
    assert res.status_code == 200
    assert res.json["answers"] == {}
    r = db.session.scalar(select(Response))
    assert (r.score, r.band, r.comment) == (9, "promoter", None)


OTHER_PROCESS = """
import json, sys
from feedback import create_app
app = create_app(json.loads(sys.argv[1]))
with app.app_context():
    client = app.test_client()
    calls = json.loads(sys.argv[2])
    print(json.dumps([client.put(path, json=body).status_code for path, body in calls]))
"""


def test_a_flood_from_one_address_is_refused_and_nothing_of_it_stored(
    app: Flask, client: FlaskClient
) -> None:
    app.config["FEEDBACK_PUBLIC_RATE_LIMIT"] = "5 per minute"
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    body = {"survey": survey.public_id, "score": 9}
    codes = [client.put(t.public(f"/responses/flood-{i:04d}"), json=body) for i in range(7)]
    assert [r.status_code for r in codes] == [201] * 5 + [429] * 2
    assert codes[-1].json["error"]["code"] == "rate_limited"
    assert count(Response) == 5
    # Another visitor is not held back by the first one's flood.
    other = client.put(
        t.public("/responses/other-0001"), json=body, environ_base={"REMOTE_ADDR": "10.0.0.9"}
    )
    assert other.status_code == 201


def test_the_public_limit_is_shared_by_every_process_through_redis(
    app: Flask, client: FlaskClient, redis_url: str
) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "csat")
    body = {"survey": survey.public_id, "score": 5}
    config = {
        "TESTING": True,
        "SECRET_KEY": "test",
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "SQLALCHEMY_ENGINE_OPTIONS": app.config["SQLALCHEMY_ENGINE_OPTIONS"],
        # The count is per visitor and public key, and every tenant's key is new: no prefix
        # is needed to keep runs apart (Flask-Limiter keeps the first prefix it was given).
        "RATELIMIT_STORAGE_URI": redis_url,
        "FEEDBACK_PUBLIC_RATE_LIMIT": "4 per minute",
    }
    here = create_app(config)
    with here.app_context():
        codes = [
            here.test_client().put(t.public(f"/responses/one-{i:04d}"), json=body).status_code
            for i in range(3)
        ]
    # A second server process, with nothing but the storage in common with this one.
    calls = [[t.public(f"/responses/two-{i:04d}"), body] for i in range(3)]
    codes += run_elsewhere(OTHER_PROCESS, config, calls)
    assert codes == [201, 201, 201, 201, 429, 429]

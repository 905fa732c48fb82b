"""The management API: keys, surveys, responses, export, respondents."""

from __future__ import annotations

import base64
import csv
import io
import json
from datetime import datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from feedback.accounts.models import ApiKey
from feedback.extensions import db
from feedback.responses.models import Display, Respondent, Response
from tests.factories import OTHER_DIGITS, add_response, make_survey, make_tenant, signed


def test_missing_wrong_and_revoked_keys_are_refused(client: FlaskClient) -> None:
    t = make_tenant(client)
    assert client.get("/api/v1/surveys").status_code == 401
    wrong = client.get("/api/v1/surveys", headers={"Authorization": "Bearer fbk_nope_nope"})
    assert wrong.status_code == 401 and wrong.json["error"]["code"] == "unauthorized"
    created = t.post("/api/v1/api-keys", json={"name": "ci"})
    assert created.status_code == 201
    secret = created.json["secret"]
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/surveys", headers=headers).status_code == 200
    assert t.delete(f"/api/v1/api-keys/{created.json['id']}").status_code == 204
    assert client.get("/api/v1/surveys", headers=headers).status_code == 401


def test_key_secret_is_shown_once_and_stored_hashed(client: FlaskClient) -> None:
    t = make_tenant(client)
    secret = t.post("/api/v1/api-keys", json={"name": "x"}).json["secret"]
    listed = t.get("/api/v1/api-keys").json["data"]
    assert all("secret" not in k for k in listed)
    hashes = db.session.scalars(select(ApiKey.secret_hash)).all()
    assert secret not in hashes and all(len(h) == 64 for h in hashes)


@pytest.mark.parametrize("scopes", [True, [{}], "read", [], ["read", "admin"]])
def test_scopes_are_a_list_of_read_and_write(client: FlaskClient, scopes: object) -> None:
    t = make_tenant(client)
    keys = db.session.scalar(select(func.count()).select_from(ApiKey))
    refused = t.post("/api/v1/api-keys", json={"name": "ci", "scopes": scopes})
    assert refused.status_code == 422 and refused.json["error"]["field"] == "scopes"
    assert db.session.scalar(select(func.count()).select_from(ApiKey)) == keys


def test_read_only_key_cannot_write(client: FlaskClient) -> None:
    t = make_tenant(client)
    secret = t.post("/api/v1/api-keys", json={"name": "ro", "scopes": ["read"]}).json["secret"]
    res = client.post(
        "/api/v1/surveys", json={"kind": "nps"}, headers={"Authorization": f"Bearer {secret}"}
    )
    assert res.status_code == 403


def test_create_all_four_kinds_and_read_them_back(client: FlaskClient) -> None:
    t = make_tenant(client)
    for kind in ("nps", "csat", "psat", "ces"):
        res = t.post("/api/v1/surveys", json={"kind": kind, "name": f"My {kind}"})
        assert res.status_code == 201, res.json
        assert res.json["followups"]
    listed = t.get("/api/v1/surveys").json["data"]
    assert [s["kind"] for s in listed] == ["nps", "csat", "psat", "ces"]


def test_bad_survey_is_refused_with_field(client: FlaskClient) -> None:
    t = make_tenant(client)
    res = t.post(
        "/api/v1/surveys",
        json={"kind": "nps", "followups": [{"id": "x", "prompt": "", "type": "text"}]},
    )
    assert res.status_code == 422
    assert res.json["error"]["field"] == "followups[0].prompt"


def test_channels_of_objects_are_refused_on_create_and_update(client: FlaskClient) -> None:
    t = make_tenant(client)
    created = t.post("/api/v1/surveys", json={"kind": "nps", "channels": [{}]})
    assert created.status_code == 422 and created.json["error"]["field"] == "channels"
    assert t.get("/api/v1/surveys").json["data"] == []
    survey = t.post("/api/v1/surveys", json={"kind": "nps", "channels": ["link"]}).json
    changed = t.patch(f"/api/v1/surveys/{survey['id']}", json={"channels": [{}], "name": "New"})
    assert changed.status_code == 422 and changed.json["error"]["field"] == "channels"
    assert t.get(f"/api/v1/surveys/{survey['id']}").json == survey


def test_update_and_pause_a_survey(client: FlaskClient) -> None:
    t = make_tenant(client)
    sid = t.post("/api/v1/surveys", json={"kind": "csat"}).json["id"]
    res = t.patch(f"/api/v1/surveys/{sid}", json={"question": "How did we do?", "status": "paused"})
    assert res.status_code == 200
    assert (res.json["question"], res.json["status"]) == ("How did we do?", "paused")
    assert t.get(f"/api/v1/surveys/{sid}").json["question"] == "How did we do?"


def test_delete_archives_a_survey_with_responses(client: FlaskClient) -> None:
    t = make_tenant(client)
    used, unused = make_survey(t.workspace, "nps"), make_survey(t.workspace, "ces")
    add_response(used, 9)
    db.session.commit()
    assert t.delete(f"/api/v1/surveys/{used.public_id}").status_code == 204
    assert t.delete(f"/api/v1/surveys/{unused.public_id}").status_code == 204
    assert t.get(f"/api/v1/surveys/{used.public_id}").json["status"] == "archived"
    assert t.get(f"/api/v1/surveys/{unused.public_id}").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Response)) == 1


def test_another_workspaces_survey_is_not_found(client: FlaskClient) -> None:
    a, b = make_tenant(client, "A"), make_tenant(client, "B")
    survey = make_survey(a.workspace, "nps")
    assert b.get(f"/api/v1/surveys/{survey.public_id}").status_code == 404
    assert (
        b.patch(f"/api/v1/surveys/{survey.public_id}", json={"status": "paused"}).status_code == 404
    )
    assert b.delete(f"/api/v1/surveys/{survey.public_id}").status_code == 404
    assert b.get("/api/v1/surveys").json["data"] == []


def _seed_responses(t) -> None:
    nps = make_survey(t.workspace, "nps")
    csat = make_survey(t.workspace, "csat")
    now = datetime.utcnow()
    add_response(nps, 2, now - timedelta(days=1), "Too slow", plan="Pro")
    add_response(nps, 10, now - timedelta(days=2), "Love the reports", plan="Free")
    add_response(nps, 8, now - timedelta(days=40), None, plan="Pro", region="EU")
    add_response(csat, 1, now - timedelta(days=3), "Agent was rude", agent="Emil", channel="email")
    db.session.commit()


def test_filters_by_band_plan_channel_context_and_text(client: FlaskClient) -> None:
    t = make_tenant(client)
    _seed_responses(t)

    def scores(query: str) -> list[int]:
        res = t.get(f"/api/v1/responses?{query}")
        assert res.status_code == 200, res.json
        return [r["score"] for r in res.json["data"]]

    assert scores("") == [2, 10, 1, 8]
    assert scores("band=detractor") == [2]
    assert scores("plan=Pro") == [2, 8]
    assert scores("channel=email") == [1]
    assert scores("context.region=EU") == [8]
    assert scores("q=reports") == [10]
    assert scores("q=100%25") == []
    assert scores("period=last_30_days") == [2, 10, 1]
    assert scores("agent=Emil&kind=csat") == [1]


def test_bad_filters_name_the_parameter(client: FlaskClient) -> None:
    t = make_tenant(client)
    for query, field in [
        ("band=angry", "band"),
        ("period=someday", "period"),
        ("survey=nope", "survey"),
        ("colour=red", "colour"),
        ("from=2026-13-01&to=2026-01-01", "from"),
        ("limit=0", "limit"),
        ("cursor=garbage", "cursor"),
    ]:
        res = t.get(f"/api/v1/responses?{query}")
        assert res.status_code == 422, query
        assert res.json["error"]["field"] == field, query


def test_cursor_pagination_walks_every_response_once(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    moment = datetime.utcnow() - timedelta(hours=1)
    for i in range(7):
        # Two responses share each timestamp: the cursor must not skip or repeat either.
        add_response(survey, i, moment - timedelta(minutes=i // 2))
    db.session.commit()
    seen, cursor = [], None
    while True:
        res = t.get("/api/v1/responses?limit=3" + (f"&cursor={cursor}" if cursor else ""))
        seen += [r["id"] for r in res.json["data"]]
        cursor = res.json["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(set(seen)) and len(seen) == 7


def test_csv_export_streams_filtered_rows_and_neutralises_formulas(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    add_response(survey, 1, comment='=HYPERLINK("http://evil")', plan="Pro")
    add_response(survey, 9, comment="Great", plan="Free")
    db.session.commit()
    res = t.get("/api/v1/responses.csv?plan=Pro")
    assert res.status_code == 200
    assert res.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(res.get_data(as_text=True))))
    assert len(rows) == 1
    assert rows[0]["comment"] == '\'=HYPERLINK("http://evil")'
    assert rows[0]["plan"] == "Pro"


def test_respondent_export_and_erasure(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    body = {
        "survey": survey.public_id,
        "score": 3,
        "answers": {"improve": "My name is Ann and the app is slow"},
        "respondent": signed(t.workspace, {"id": "ann", "email": "ann@example.com"}),
        "context": {"plan": "Pro", "phone": "555-1234"},
    }
    client.put(t.public("/responses/erase-me-01"), json=body)
    # An unsigned call naming her: its address is a claim kept on its own response.
    claim = {"survey": survey.public_id, "score": 9, "respondent": {"id": "ann", "email": "a@x.io"}}
    client.put(t.public("/responses/erase-me-02"), json=claim)
    client.post(
        t.public("/displays/erase-disp-1"),
        json={"survey": survey.public_id, "respondent": {"id": "ann"}},
    )
    exported = t.get("/api/v1/respondents/ann")
    assert exported.status_code == 200
    assert exported.json["respondent"]["email"] == "ann@example.com"
    first, second = exported.json["responses"]
    assert first["comment"] == "My name is Ann and the app is slow"
    assert (first["identity"], second["identity"]) == ("verified", "claimed")
    assert (first["claimed_email"], second["claimed_email"]) == (None, "a@x.io")
    # The low score opened a case, and the team wrote back to Ann from it.
    case_id = t.get("/api/v1/cases").json["data"][0]["id"]
    reply = {"body": "Hi Ann, sorry about the speed.", "kind": "reply"}
    assert t.post(f"/api/v1/cases/{case_id}/notes", json=reply).status_code == 201

    res = t.delete("/api/v1/respondents/ann")
    assert res.status_code == 200
    assert res.json["erased"] == {
        "responses": 2,
        "displays": 1,
        "cases": 1,
        "events": 0,
        "invites": 0,
    }
    case = t.get(f"/api/v1/cases/{case_id}").json
    assert (case["respondent"], case["comment"], case["score"]) == (None, None, 3)
    assert "Ann" not in str(case["notes"]) and "ann@" not in str(case["events"])
    assert t.get("/api/v1/respondents/ann").status_code == 404
    db.session.expire_all()
    r, claimed = db.session.scalars(select(Response).order_by(Response.id))
    assert (r.score, r.comment, r.answers, r.context, r.respondent_id) == (3, None, {}, {}, None)
    assert claimed.claimed_email is None
    assert db.session.scalar(select(func.count()).select_from(Respondent)) == 0
    assert db.session.scalar(select(Display.respondent_id)) is None
    # The anonymous score still counts.
    assert t.get("/api/v1/metrics/nps?period=all").json["summary"]["n"] == 2


def test_erasure_is_scoped_to_the_workspace(client: FlaskClient) -> None:
    a, b = make_tenant(client, "A"), make_tenant(client, "B")
    survey = make_survey(a.workspace, "nps")
    client.put(
        a.public("/responses/scoped-0001"),
        json={"survey": survey.public_id, "score": 5, "respondent": {"id": "bob"}},
    )
    assert b.delete("/api/v1/respondents/bob").status_code == 404
    assert b.get("/api/v1/respondents/bob").status_code == 404
    assert a.get("/api/v1/respondents/bob").status_code == 200


def test_workspace_settings_update(client: FlaskClient) -> None:
    t = make_tenant(client)
    res = t.patch(
        "/api/v1/workspace",
        json={"allowed_origins": ["https://app.example.com/"], "timezone": "Europe/Paris"},
    )
    assert res.status_code == 200
    assert res.json["allowed_origins"] == ["https://app.example.com"]
    bad = t.patch("/api/v1/workspace", json={"timezone": "Mars/Olympus"})
    assert bad.status_code == 422 and bad.json["error"]["field"] == "timezone"
    bad = t.patch("/api/v1/workspace", json={"allowed_origins": ["javascript:alert(1)"]})
    assert bad.json["error"]["field"] == "allowed_origins[0]"
    assert t.get("/api/v1/workspace").json["timezone"] == "Europe/Paris"


@OTHER_DIGITS
def test_numbers_in_other_digits_are_refused_by_name(client: FlaskClient, script: dict) -> None:
    t = make_tenant(client)
    response = add_response(make_survey(t.workspace, "nps"), 3)
    db.session.commit()
    for name, value in (("limit", "3"), ("score_min", "3"), ("score_max", "3")):
        assert t.get(f"/api/v1/responses?{name}={value}").status_code == 200
        refused = t.get(f"/api/v1/responses?{name}={value.translate(script)}")
        assert refused.status_code == 422, name
        assert refused.json["error"]["field"] == name
    assert t.get(f"/api/v1/responses/{response.id}").status_code == 200
    other = str(response.id).translate(script)
    for path in ("/api/v1/responses/{}", "/api/v1/responses/{}/analysis", "/api/v1/api-keys/{}"):
        answered = t.delete(path.format(other)) if "keys" in path else t.get(path.format(other))
        assert answered.status_code == 404, path


def test_a_cursor_naming_no_possible_row_is_refused(client: FlaskClient) -> None:
    t = make_tenant(client)
    for position in ({"at": "2026-01-01T00:00:00", "id": 2**70}, {"at": "2026-01-01", "id": True}):
        cursor = base64.urlsafe_b64encode(json.dumps(position).encode()).decode()
        refused = t.get(f"/api/v1/responses?cursor={cursor}")
        assert refused.status_code == 422 and refused.json["error"]["field"] == "cursor"


@pytest.mark.parametrize("origin", ["http://[", "https://app.example.com:99999", "x" * 301])
def test_an_origin_urlsplit_refuses_is_named_by_its_field(client: FlaskClient, origin: str) -> None:
    t = make_tenant(client)
    good = "https://app.example.com"
    res = t.patch("/api/v1/workspace", json={"allowed_origins": [good, origin]})
    assert res.status_code == 422 and res.json["error"]["field"] == "allowed_origins[1]"
    assert t.get("/api/v1/workspace").json["allowed_origins"] == []


def test_a_refused_change_leaves_no_part_of_it_behind(client: FlaskClient) -> None:
    t = make_tenant(client)
    before = t.get("/api/v1/workspace").json
    # The name is applied before low_n is checked: the refusal must take it back.
    refused = t.patch("/api/v1/workspace", json={"name": "Renamed", "low_n": 0})
    assert refused.status_code == 422 and refused.json["error"]["field"] == "low_n"
    assert t.get("/api/v1/workspace").json == before


@pytest.mark.parametrize("timezone", ["x" * 6000, "America", "Europe/", 12])
def test_a_timezone_that_names_no_zone_is_refused_and_nothing_changes(
    client: FlaskClient, timezone: object
) -> None:
    t = make_tenant(client)
    before = t.get("/api/v1/workspace").json
    refused = t.patch("/api/v1/workspace", json={"name": "Renamed", "timezone": timezone})
    assert refused.status_code == 422 and refused.json["error"]["field"] == "timezone"
    assert t.get("/api/v1/workspace").json == before


def test_any_loopback_port_is_an_origin_in_development_only(
    app: Flask, client: FlaskClient
) -> None:
    t = make_tenant(client)
    body = {"allowed_origins": ["https://app.example.com", "http://localhost:*"]}
    bad = t.patch("/api/v1/workspace", json=body)
    assert bad.status_code == 422 and bad.json["error"]["field"] == "allowed_origins[1]"
    assert "only in development" in bad.json["error"]["message"]
    app.config["FEEDBACK_ENV"] = "development"
    ok = t.patch("/api/v1/workspace", json=body)
    assert ok.status_code == 200 and ok.json["allowed_origins"] == body["allowed_origins"]


def test_erasure_scrubs_the_survey_mail_kept_of_the_person(client: FlaskClient) -> None:
    from feedback.email.models import EmailInvite

    t, other = make_tenant(client), make_tenant(client, "Other")
    survey = make_survey(t.workspace, "nps", channels=["widget", "email"])
    elsewhere = make_survey(other.workspace, "nps", channels=["email"])
    people = [
        {"email": "ann@example.com", "id": "ann", "name": "Ann Lee", "context": {"plan": "Pro"}},
        {"email": "bob@example.com", "id": "bob", "name": "Bob"},
    ]
    answer = {"survey": survey.public_id, "score": 9, "respondent": {"id": "ann"}}
    assert client.put(t.public("/responses/ann-answer-1"), json=answer).status_code == 201
    invited = t.post("/api/v1/invites", json={"survey": survey.public_id, "invites": people})
    assert invited.status_code == 201
    theirs = {"survey": elsewhere.public_id, "invites": [people[0]]}
    assert other.post("/api/v1/invites", json=theirs).status_code == 201
    res = t.delete("/api/v1/respondents/ann")
    assert res.status_code == 200 and res.json["erased"]["invites"] == 1
    db.session.expire_all()
    rows = {
        (row.workspace_id, row.email): row
        for row in db.session.scalars(select(EmailInvite).order_by(EmailInvite.id))
    }
    scrubbed = rows[(t.workspace.id, "erased@invalid")]
    assert (scrubbed.name, scrubbed.external_id, scrubbed.context) == (None, None, {})
    assert scrubbed.status == "suppressed"  # the survey mail never goes out after an erasure
    assert rows[(t.workspace.id, "bob@example.com")].status == "scheduled"
    assert rows[(other.workspace.id, "ann@example.com")].name == "Ann Lee"

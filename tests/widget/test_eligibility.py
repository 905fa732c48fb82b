"""The eligibility endpoint: the same throttling across devices, because the server decides."""

from __future__ import annotations

import re
from contextlib import AbstractContextManager
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from feedback.extensions import db
from feedback.responses.models import Respondent, Response
from tests.factories import make_survey, make_tenant
from tests.statements import plan, statements


def ask(client: FlaskClient, t, **body: object) -> dict:
    res = client.post(t.public("/eligibility"), json={"url": "https://app.example.com/", **body})
    assert res.status_code == 200, res.json
    return res.json


def test_eligible_survey_comes_with_its_config(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps", targeting={"delay_seconds": 3})
    body = ask(client, t, respondent={"id": "u-1"})
    assert body["show"] is True
    assert body["survey"]["id"] == survey.public_id
    assert body["survey"]["followups"]
    assert body["delay_seconds"] == 3


def test_answering_one_survey_holds_back_the_next_anywhere(client: FlaskClient) -> None:
    t = make_tenant(client)
    first = make_survey(t.workspace, "nps")
    make_survey(t.workspace, "csat", targeting={"recontact": "until_answered"})
    client.post(
        t.public("/displays/disp-00001"),
        json={"survey": first.public_id, "respondent": {"id": "u-1"}},
    )
    client.put(
        t.public("/responses/resp-00001"),
        json={"survey": first.public_id, "score": 9, "respondent": {"id": "u-1"}},
    )
    # Another device of the same person: the workspace cooldown holds.
    body = ask(client, t, respondent={"id": "u-1"}, debug=True)
    assert body["show"] is False
    assert any("cooldown" in r["reason"] for r in body["reasons"])
    # Somebody else still sees the first survey.
    assert ask(client, t, respondent={"id": "u-2"})["survey"]["id"] == first.public_id


def test_dismissed_survey_is_not_shown_again(client: FlaskClient) -> None:
    t = make_tenant(client, recontact_days=0)
    survey = make_survey(t.workspace, "ces", targeting={"recontact": "until_answered"})
    client.post(
        t.public("/displays/disp-00002"),
        json={"survey": survey.public_id, "anonymous_id": "anon-abcdef12"},
    )
    client.post(t.public("/displays/disp-00002/dismiss"))
    body = ask(client, t, anonymous_id="anon-abcdef12", debug=True)
    assert body["show"] is False and "dismissed" in body["reasons"][0]["reason"]
    assert db.session.scalar(select(Respondent.external_id)) == "anon:anon-abcdef12"


def test_event_and_url_targeting(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(
        t.workspace,
        "psat",
        targeting={
            "events": ["exported_report"],
            "urls": [{"match": "contains", "value": "/reports"}],
        },
    )
    assert ask(client, t, respondent={"id": "u"}, url="https://x/reports")["show"] is False
    hit = ask(client, t, respondent={"id": "u"}, url="https://x/reports", event="exported_report")
    assert hit["survey"]["id"] == survey.public_id


def test_explicit_request_for_an_inline_survey(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "csat", targeting={"events": ["never"]})
    assert ask(client, t, survey=survey.public_id)["show"] is True
    paused = make_survey(t.workspace, "nps", status="paused")
    res = client.post(t.public("/eligibility"), json={"survey": paused.public_id})
    assert res.status_code == 409


def test_traits_travel_into_the_response_context(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    body = {
        "survey": survey.public_id,
        "score": 4,
        "respondent": {"id": "u-9", "traits": {"plan": "Pro", "company": "Globex"}},
    }
    client.put(t.public("/responses/traits-0001"), json=body)
    r = db.session.scalar(select(Response))
    assert (r.plan, r.context) == ("Pro", {"company": "Globex"})


def test_bad_eligibility_input_is_named(client: FlaskClient) -> None:
    t = make_tenant(client)
    res = client.post(t.public("/eligibility"), json={"event": "has spaces"})
    assert res.status_code == 422 and res.json["error"]["field"] == "event"
    res = client.post(t.public("/eligibility"), json={"anonymous_id": "x"})
    assert res.json["error"]["field"] == "anonymous_id"


def _selects_from(*tables: str) -> AbstractContextManager[list[tuple[str, Any]]]:
    """The SELECTs run inside the block that read any of `tables`."""
    return statements(
        lambda sql: (
            sql.lstrip().upper().startswith("SELECT")
            and any(re.search(rf"\bFROM {table}\b", sql) for table in tables)
        )
    )


def test_a_known_visitor_is_judged_from_their_own_rows_not_the_workspaces(
    client: FlaskClient,
) -> None:
    t = make_tenant(client, recontact_days=0)
    capped = make_survey(t.workspace, "nps", targeting={"daily_cap": 2})
    for n, person in enumerate(("u-1", "u-2")):
        client.post(
            t.public(f"/displays/disp-0000{n}"),
            json={"survey": capped.public_id, "respondent": {"id": person}},
        )
        client.put(
            t.public(f"/responses/resp-0000{n}"),
            json={"survey": capped.public_id, "score": 9, "respondent": {"id": person}},
        )
    with _selects_from("response", "display") as seen:
        body = ask(client, t, respondent={"id": "u-3"}, debug=True)
        # The cap counts today's answers of this survey: two of two.
        assert body["show"] is False and "cap" in body["reasons"][0]["reason"]
        # A visitor who saw it is held back by their own history, before any cap is counted.
        body = ask(client, t, respondent={"id": "u-1"}, debug=True)
        assert body["show"] is False
        assert "shown already" in body["reasons"][0]["reason"]
    # SQLite's plans are the ones a large workspace gets: it keeps no statistics, so they do not
    # change with the rows there are (PostgreSQL's follow them).
    if db.engine.dialect.name != "sqlite":
        return
    plans = {statement: plan(statement, parameters) for statement, parameters in seen}
    history = [p for s, p in plans.items() if "respondent_id" in s]
    today = [p for s, p in plans.items() if "count(*)" in s]
    assert len(history) == 2 and today, plans
    # A visitor's history is a handful of rows found by their respondent id, and today's answers
    # a range of the survey's own: neither walks every row the workspace has.
    assert any("ix_response_respondent_scored" in p for p in history), history
    assert any("ix_display_respondent_id" in p for p in history), history
    assert all(
        "ix_response_ws_survey_submitted (workspace_id=? AND survey_id=? AND submitted_at>?)" in p
        for p in today
    ), today

"""Delighted's official Python client against the running app: every call it makes that this
product answers, its errors, and one workspace's key kept to its own workspace."""

from __future__ import annotations

import json
import time
import warnings
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from feedback.accounts import workspaces
from feedback.database import in_workspace
from feedback.email.models import EmailInvite
from feedback.extensions import db
from feedback.responses.models import Respondent, Response
from tests.factories import Tenant, add_response, make_survey, make_tenant

with warnings.catch_warnings():
    warnings.simplefilter("ignore", FutureWarning)
    import delighted
    from delighted.errors import (
        AuthenticationError,
        GeneralAPIError,
        ResourceValidationError,
    )


@pytest.fixture
def acme(app: Flask, use_key: Any) -> Tenant:
    tenant = make_tenant(app.test_client(), "Acme")
    make_survey(tenant.workspace, "nps")
    use_key(tenant.key)
    return tenant


def _rows(model: Any, tenant: Tenant) -> list[Any]:
    db.session.rollback()  # the server wrote in its own transactions: read afresh
    return list(db.session.scalars(in_workspace(model, tenant.workspace.id).order_by(model.id)))


def unix(moment: datetime) -> int:
    return int(moment.replace(tzinfo=UTC).timestamp())


def _body(error: Exception) -> str:
    return error.response.body  # type: ignore[attr-defined]


def test_adding_a_person_schedules_their_survey_mail_after_the_delay(acme: Tenant) -> None:
    person = delighted.Person.create(
        email="Jony@Appleseed.example",
        name="Jony Appleseed",
        properties={"plan": "Pro", "State": "CA"},
        delay=3600,
    )
    assert person["email"] == "jony@appleseed.example"
    assert person["name"] == "Jony Appleseed"
    assert person["properties"] == {"plan": "Pro", "State": "CA"}
    assert abs(person["survey_scheduled_at"] - (time.time() + 3600)) < 60
    [invite] = _rows(EmailInvite, acme)
    assert (invite.email, invite.status, invite.name) == (
        "jony@appleseed.example",
        "scheduled",
        "Jony Appleseed",
    )
    assert invite.context == {"plan": "Pro", "State": "CA"}
    [respondent] = _rows(Respondent, acme)
    assert person["id"] == str(respondent.id)
    assert respondent.last_shown_at is None  # adding someone is not contacting them


def test_adding_a_person_again_updates_them_and_send_false_mails_nobody(acme: Tenant) -> None:
    first = delighted.Person.create(email="ada@example.com", send=False)
    again = delighted.Person.create(email="ada@example.com", name="Ada", send=False)
    assert again["id"] == first["id"]
    assert again["name"] == "Ada"
    assert again["survey_scheduled_at"] is None
    assert _rows(EmailInvite, acme) == []
    assert len(_rows(Respondent, acme)) == 1


def test_deleting_a_person_by_email_erases_them_and_keeps_the_score(acme: Tenant) -> None:
    person = delighted.Person.create(email="grace@example.com", send=False)
    delighted.SurveyResponse.create(person=person["id"], score=3, comment="Slow support, Grace")
    assert delighted.Person.delete(email="grace@example.com") == {"ok": True}
    assert _rows(Respondent, acme) == []
    [response] = _rows(Response, acme)
    assert (response.score, response.comment, response.respondent_id) == (3, None, None)


def test_deleting_a_person_by_id_erases_only_them_and_cancels_their_survey(
    acme: Tenant,
) -> None:
    kept = delighted.Person.create(email="kept@example.com", delay=600)
    gone = delighted.Person.create(email="gone@example.com", delay=600)
    assert delighted.Person.delete(id=gone["id"]) == {"ok": True}
    assert [r.email for r in _rows(Respondent, acme)] == ["kept@example.com"]
    statuses = {i.email: i.status for i in _rows(EmailInvite, acme)}
    # The erased person's invite is held back and keeps nothing of them, not even the address.
    assert statuses == {"kept@example.com": "scheduled", "erased@invalid": "suppressed"}
    with pytest.raises(GeneralAPIError) as refused:
        delighted.Person.delete(id=gone["id"])
    assert refused.value.response.status_code == 404
    assert kept["id"] != gone["id"]


def test_a_response_is_recorded_read_and_changed(acme: Tenant) -> None:
    person = delighted.Person.create(
        email="lin@example.com", name="Lin", properties={"plan": "Free", "Region": "EU"}, send=False
    )
    made = delighted.SurveyResponse.create(
        person=person["id"], score=6, comment="Too slow", person_properties={"plan": "Pro"}
    )
    assert made["person"] == person["id"]
    assert (made["survey_type"], made["score"], made["comment"]) == ("nps", 6, "Too slow")
    assert made["person_properties"] == {"plan": "Pro", "Region": "EU"}
    assert made["permalink"].endswith(f"/app/responses/{made['id']}")

    read = delighted.SurveyResponse.retrieve(made["id"], expand=["person"])
    assert isinstance(read.person, delighted.Person)
    assert (read.person["email"], read.person["name"]) == ("lin@example.com", "Lin")

    read.score = 9
    read.comment = "Much faster now"
    saved = read.save()
    assert (saved["score"], saved["comment"]) == (9, "Much faster now")
    [stored] = _rows(Response, acme)
    assert (stored.score, stored.band, stored.comment) == (9, "promoter", "Much faster now")
    assert stored.context == {"Region": "EU"} and stored.plan == "Pro"


def test_listing_responses_pages_filters_by_time_and_expands_the_person(acme: Tenant) -> None:
    survey = make_survey(acme.workspace, "nps", name="second")
    base = datetime(2026, 3, 1, 12, 0, 0)
    for day, score in enumerate([10, 9, 3, 7]):
        add_response(survey, score, when=base + timedelta(days=day))
    db.session.commit()
    window = {"since": unix(base + timedelta(days=1)), "until": unix(base + timedelta(days=3))}
    assert [r.score for r in delighted.SurveyResponse.all(**window)] == [9, 3, 7]
    page_two = delighted.SurveyResponse.all(per_page=2, page=2, **window)
    assert [r.score for r in page_two] == [7]
    newest = delighted.SurveyResponse.all(order="desc", per_page=1)
    assert [r.score for r in newest] == [7]

    person = delighted.Person.create(email="sam@example.com", name="Sam", send=False)
    delighted.SurveyResponse.create(person=person["id"], score=8)
    [expanded] = delighted.SurveyResponse.all(expand=["person"], person_id=person["id"])
    assert isinstance(expanded.person, delighted.Person)
    assert expanded.person["name"] == "Sam"


def test_metrics_count_the_bands_of_the_window(acme: Tenant) -> None:
    survey = acme.workspace.surveys[0]
    base = datetime(2026, 5, 10, 9, 0, 0)
    for score in (10, 9, 8, 3):
        add_response(survey, score, when=base)
    add_response(survey, 0, when=base - timedelta(days=30))  # before the window
    db.session.commit()
    since = unix(base - timedelta(days=1))
    figures = delighted.Metrics.retrieve(since=since)
    assert dict(figures) == {
        "nps": 25,
        "promoter_count": 2,
        "promoter_percent": 50.0,
        "passive_count": 1,
        "passive_percent": 25.0,
        "detractor_count": 1,
        "detractor_percent": 25.0,
        "response_count": 4,
    }
    everything = delighted.Metrics.retrieve()
    assert (everything["response_count"], everything["nps"]) == (5, 0)


def test_a_trend_is_one_of_the_workspace_s_surveys(acme: Tenant) -> None:
    main = acme.workspace.surveys[0]
    onboarding = make_survey(acme.workspace, "nps", name="Onboarding NPS")
    support = make_survey(acme.workspace, "csat")
    for score in (10, 10):
        add_response(main, score)
    add_response(onboarding, 0)
    db.session.commit()
    one = delighted.Metrics.retrieve(trend=onboarding.public_id)
    assert (one["nps"], one["response_count"]) == (-100, 1)
    listed = delighted.SurveyResponse.all(trend=main.public_id)
    assert [r["score"] for r in listed] == [10, 10]
    delighted.Person.create(email="new@example.com", trend=onboarding.public_id, delay=60)
    [invite] = _rows(EmailInvite, acme)
    assert invite.survey_id == onboarding.id
    with pytest.raises(ResourceValidationError) as refused:
        delighted.Metrics.retrieve(trend=support.public_id)
    assert "not NPS" in json.loads(_body(refused.value))["errors"]["trend"][0]
    with pytest.raises(GeneralAPIError) as missing:
        delighted.SurveyResponse.all(trend="no-such-survey")
    assert missing.value.response.status_code == 404


def test_an_unsubscribed_address_is_listed_and_gets_no_survey(acme: Tenant) -> None:
    person = delighted.Person.create(email="ben@example.com", name="Ben", send=False)
    assert delighted.Unsubscribe.create(person_email="Ben@Example.com") == {"ok": True}
    [listed] = delighted.Unsubscribe.all()
    assert (listed["person_id"], listed["email"], listed["name"]) == (
        person["id"],
        "ben@example.com",
        "Ben",
    )
    assert abs(listed["unsubscribed_at"] - time.time()) < 60
    again = delighted.Person.create(email="ben@example.com")
    assert again["survey_scheduled_at"] is None
    assert [i.status for i in _rows(EmailInvite, acme)] == ["suppressed"]


def test_a_mail_that_failed_for_good_is_listed_as_a_bounce(acme: Tenant) -> None:
    delighted.Person.create(email="nobody@example.com", name="Nobody")
    delighted.Person.create(email="fine@example.com")
    invite = next(i for i in _rows(EmailInvite, acme) if i.email == "nobody@example.com")
    invite.status, invite.claimed_at = "failed", datetime(2026, 4, 1, 8, 0, 0)
    db.session.commit()
    [bounce] = delighted.Bounce.all()
    assert (bounce["email"], bounce["name"], bounce["bounced_at"]) == (
        "nobody@example.com",
        "Nobody",
        1775030400,
    )
    assert delighted.Bounce.all(since=1775030401) == []


def test_a_wrong_key_is_refused_with_delighted_s_error(acme: Tenant, use_key: Any) -> None:
    use_key("fbk_000000000000_not-a-key")
    with pytest.raises(AuthenticationError) as refused:
        delighted.Metrics.retrieve()
    assert refused.value.response.status_code == 401
    assert json.loads(_body(refused.value)) == {
        "status": 401,
        "message": "The API key is unknown or revoked.",
    }


def test_a_read_only_key_cannot_add_people(app: Flask, acme: Tenant, use_key: Any) -> None:
    issued = workspaces.create_api_key(acme.workspace, "reader", ["read"])
    db.session.commit()
    use_key(issued.secret)
    assert delighted.Metrics.retrieve()["response_count"] == 0
    with pytest.raises(GeneralAPIError) as refused:
        delighted.Person.create(email="x@example.com")
    assert refused.value.response.status_code == 403
    assert "lacks the 'write' scope" in _body(refused.value)


@pytest.mark.parametrize(
    ("call", "field", "words"),
    [
        (lambda: delighted.SurveyResponse.all(per_page=500), "per_page", "from 1 to 100"),
        (lambda: delighted.SurveyResponse.all(since="yesterday"), "since", "whole number"),
        (lambda: delighted.SurveyResponse.all(order="sideways"), "order", "asc, desc"),
        (lambda: delighted.Person.create(email="a@b.example", channel="sms"), "channel", "email"),
        (lambda: delighted.Person.create(email="not an address"), "email", "email address"),
        (lambda: delighted.Person.create(email="a@b.example", delay="soon"), "delay", "whole"),
        (lambda: delighted.Person.create(email="a@b.example", send="no"), "send", "true or false"),
        (lambda: delighted.Person.create(phone_number="+15551234"), "phone_number", "by email"),
        (lambda: delighted.Unsubscribe.create(person_email=7), "person_email", "email address"),
        (lambda: delighted.Unsubscribe.all(colour="red"), "colour", "Unknown parameter"),
        (
            lambda: delighted.SurveyResponse.create(
                person="1", score=9, person_properties={"plan": ["a", "b"]}
            ),
            "person_properties.plan",
            "strings, numbers or booleans",
        ),
    ],
)
def test_a_bad_or_unsupported_parameter_is_named(
    acme: Tenant, call: Any, field: str, words: str
) -> None:
    with pytest.raises(ResourceValidationError) as refused:
        call()
    assert refused.value.response.status_code == 422
    parsed = json.loads(_body(refused.value))
    assert parsed["status"] == 422
    assert words in parsed["errors"][field][0]


def test_a_score_off_the_scale_or_an_unknown_person_is_refused(acme: Tenant) -> None:
    person = delighted.Person.create(email="kim@example.com", send=False)
    with pytest.raises(ResourceValidationError) as off_scale:
        delighted.SurveyResponse.create(person=person["id"], score=11, comment="Great")
    assert json.loads(_body(off_scale.value))["errors"] == {
        "score": ["The score must be a whole number from 0 to 10."]
    }
    with pytest.raises(ResourceValidationError) as text_score:
        delighted.SurveyResponse.create(person=person["id"], score="9")
    assert "score" in json.loads(_body(text_score.value))["errors"]
    with pytest.raises(ResourceValidationError) as nobody:
        delighted.SurveyResponse.create(person="999999", score=5)
    assert "No person with this id" in _body(nobody.value)
    assert _rows(Response, acme) == []


@pytest.mark.parametrize("response_id", ["99999999999999", "abc", "0"])
def test_a_response_id_that_names_nothing_is_not_found(acme: Tenant, response_id: str) -> None:
    with pytest.raises(GeneralAPIError) as refused:
        delighted.SurveyResponse.retrieve(response_id)
    assert refused.value.response.status_code == 404
    assert json.loads(_body(refused.value))["errors"]["id"][0].startswith("No survey response")


def test_a_call_this_product_does_not_answer_says_so(acme: Tenant) -> None:
    with pytest.raises(GeneralAPIError) as refused:
        delighted.AutopilotConfiguration.retrieve("email")
    assert refused.value.response.status_code == 404
    assert "is not supported by this Delighted-compatible API" in _body(refused.value)


def test_one_workspace_s_key_reaches_nothing_of_another(
    app: Flask, acme: Tenant, use_key: Any
) -> None:
    person = delighted.Person.create(email="secret@acme.example", send=False)
    made = delighted.SurveyResponse.create(person=person["id"], score=2, comment="Acme only")
    delighted.Unsubscribe.create(person_email="left@acme.example")
    other = make_tenant(app.test_client(), "Other")
    make_survey(other.workspace, "nps")
    use_key(other.key)

    assert delighted.SurveyResponse.all() == []
    assert delighted.Unsubscribe.all() == []
    assert delighted.Metrics.retrieve()["response_count"] == 0
    with pytest.raises(GeneralAPIError) as unseen:
        delighted.SurveyResponse.retrieve(made["id"])
    assert unseen.value.response.status_code == 404
    with pytest.raises(ResourceValidationError):
        delighted.SurveyResponse.create(person=person["id"], score=10)
    with pytest.raises(GeneralAPIError):
        delighted.Person.delete(email="secret@acme.example")
    with pytest.raises(GeneralAPIError):
        delighted.Person.delete(id=person["id"])
    [kept] = _rows(Respondent, acme)
    assert kept.email == "secret@acme.example"
    [response] = _rows(Response, acme)
    assert (response.score, response.comment) == (2, "Acme only")


def test_a_path_the_compatible_api_does_not_have_answers_json(client: FlaskClient) -> None:
    res = client.get("/delighted/v2/people.json")
    assert res.status_code == 404 and res.is_json

"""One click on a score in a mail answers; link scanners, prefetches and HEADs do not."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from feedback.cases.models import Case
from feedback.database import utcnow
from feedback.email.invites import InviteInput, create_invites
from feedback.email.models import EmailInvite
from feedback.email.score_clicks import Click, after_open, count_clicks
from feedback.extensions import db
from feedback.jobs import send_due_invites
from feedback.responses import effects
from feedback.responses.models import Response
from tests.factories import Tenant, make_survey, make_tenant
from tests.hosted_forms import answer, hidden_fields
from tests.mail import parts, path_of, score_links

T0 = datetime(2026, 3, 2, 9, 0)
WINDOW = timedelta(seconds=10)


# -- the rule ---------------------------------------------------------------------------------


def test_a_first_click_waits_out_the_window() -> None:
    assert after_open(None, 9, T0, WINDOW) == Click(9, T0, "pending")


def test_another_score_of_the_same_mail_within_the_window_is_a_scanner() -> None:
    first = after_open(None, 0, T0, WINDOW)
    second = after_open(first, 1, T0 + timedelta(seconds=1), WINDOW)
    assert second.state == "doubted"
    # Doubt lasts a window after the last click, whatever score it was.
    third = after_open(second, 1, T0 + timedelta(seconds=9), WINDOW)
    assert third == Click(1, T0 + timedelta(seconds=9), "doubted")
    later = after_open(third, 8, T0 + timedelta(seconds=19), WINDOW)
    assert later == Click(8, T0 + timedelta(seconds=19), "pending")


def test_the_same_score_again_keeps_its_place_in_time() -> None:
    first = after_open(None, 9, T0, WINDOW)
    assert after_open(first, 9, T0 + timedelta(seconds=5), WINDOW) == first
    counted = Click(9, T0, "counted")
    assert after_open(counted, 9, T0 + timedelta(days=2), WINDOW) == counted


def test_a_later_click_of_another_score_changes_a_counted_one() -> None:
    counted = Click(9, T0, "counted")
    again = after_open(counted, 3, T0 + timedelta(minutes=5), WINDOW)
    assert again == Click(3, T0 + timedelta(minutes=5), "pending")


# -- through the page -------------------------------------------------------------------------


@pytest.fixture
def mailed(client: FlaskClient, smtp: Any) -> tuple[Tenant, list[str]]:
    """A workspace, an NPS survey and one invite sent: its eleven score links (paths)."""
    tenant = make_tenant(client)
    survey = make_survey(tenant.workspace, "nps")
    people = [InviteInput(email="ann@example.com", external_id="u-1", context={"agent": "Dana"})]
    create_invites(tenant.workspace, survey.public_id, people)
    send_due_invites()
    return tenant, [path_of(link) for link in score_links(parts(smtp.inbox.messages[0])[0])]


def open_in_browser(client: FlaskClient, path: str, **headers: str) -> Any:
    """What a browser does: load the page, then its script reports the click."""
    page = client.get(path, headers=headers)
    assert page.status_code == 200
    if "data-click=" not in page.text:
        return None
    token = hidden_fields(page.text)["csrf_token"]
    reported = client.post(f"{path}/click", headers={"X-CSRFToken": token})
    assert reported.status_code == 200
    return reported.get_json()["counted"]


def stored() -> list[tuple[int, str]]:
    db.session.expire_all()
    return [(r.score, r.channel) for r in db.session.scalars(select(Response))]


def invite() -> EmailInvite:
    db.session.expire_all()
    return db.session.scalars(select(EmailInvite)).one()


def after_the_window() -> datetime:
    return utcnow() + WINDOW + timedelta(seconds=1)


def test_one_click_answers_once_the_window_has_passed(
    client: FlaskClient, mailed: tuple[Tenant, list[str]]
) -> None:
    _tenant, links = mailed
    page = client.get(links[9])
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert 'src="/static/survey.js"' in page.text and "data-click=" in page.text
    assert open_in_browser(client, links[9]) is True
    assert count_clicks() == 0  # not yet: another score may follow within seconds
    assert stored() == []
    assert count_clicks(after_the_window()) == 1
    assert stored() == [(9, "email")]
    answered = invite()
    assert (answered.status, answered.answered_via, answered.click_state) == (
        "answered",
        "click",
        "counted",
    )
    response = db.session.scalars(select(Response)).one()
    assert response.respondent.external_id == "u-1" and response.agent == "Dana"
    assert count_clicks(after_the_window()) == 0  # counted once


def test_a_scanner_that_runs_the_page_on_every_link_answers_nothing(
    client: FlaskClient, mailed: tuple[Tenant, list[str]]
) -> None:
    _tenant, links = mailed
    counted = [open_in_browser(client, link) for link in links]
    assert counted == [True] + [False] * 10
    assert count_clicks(after_the_window()) == 0
    assert stored() == []
    assert invite().answered_at is None


def test_head_prefetch_and_plain_fetches_answer_nothing(
    client: FlaskClient, mailed: tuple[Tenant, list[str]]
) -> None:
    _tenant, links = mailed
    for headers in ({"Purpose": "prefetch"}, {"Sec-Purpose": "prefetch;prerender"}):
        page = client.get(links[10], headers=headers)
        assert page.status_code == 200 and "data-click=" not in page.text
        assert 'id="score-10" value="10" checked' in page.text
    assert client.head(links[10]).status_code == 200
    for link in links:
        client.get(link)  # a link checker: no script runs
    # A report without the page's form token is refused.
    assert client.post(f"{links[10]}/click").status_code == 400
    assert count_clicks(after_the_window()) == 0
    assert stored() == []


def test_a_person_who_clicks_two_scores_at_once_is_asked_to_press_send(
    client: FlaskClient, mailed: tuple[Tenant, list[str]]
) -> None:
    _tenant, links = mailed
    assert open_in_browser(client, links[9]) is True
    assert open_in_browser(client, links[10]) is False
    assert count_clicks(after_the_window()) == 0
    done = answer(client, links[10])
    assert "Thank you!" in done.text
    assert stored() == [(10, "email")]


def test_the_sent_form_always_wins(client: FlaskClient, mailed: tuple[Tenant, list[str]]) -> None:
    _tenant, links = mailed
    assert open_in_browser(client, links[9]) is True
    answer(client, links[3], **{"a-improve": "Too slow"})  # sent before the click counted
    assert count_clicks(after_the_window()) == 0
    assert stored() == [(3, "email")]
    # Later clicks change nothing, and the page no longer reports them.
    assert open_in_browser(client, links[10]) is None
    assert invite().answered_via == "form"
    assert stored() == [(3, "email")]


def test_a_later_click_changes_a_clicked_score_and_its_case_follows(
    app: Flask, client: FlaskClient, mailed: tuple[Tenant, list[str]]
) -> None:
    _tenant, links = mailed
    open_in_browser(client, links[2])
    count_clicks(after_the_window())
    effects.apply_pending()
    assert db.session.scalars(select(Case.score)).all() == [2]
    db.session.execute(update(EmailInvite).values(click_at=utcnow() - timedelta(minutes=5)))
    db.session.commit()
    assert open_in_browser(client, links[9]) is True
    assert count_clicks(after_the_window()) == 1
    effects.apply_pending()
    assert stored() == [(9, "email")]
    db.session.expire_all()
    case = db.session.scalars(select(Case)).one()
    assert (case.score, case.status, case.resolution) == (9, "resolved", "recovered")


def test_a_click_on_a_survey_paused_meanwhile_is_dropped(
    client: FlaskClient, mailed: tuple[Tenant, list[str]]
) -> None:
    tenant, links = mailed
    open_in_browser(client, links[7])
    survey_id = links[7].split("/")[2]
    paused = tenant.patch(f"/api/v1/surveys/{survey_id}", json={"status": "paused"})
    assert paused.status_code == 200
    assert count_clicks(after_the_window()) == 0
    assert stored() == [] and invite().click_state is None

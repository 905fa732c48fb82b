"""The "did we fix it?" survey after a resolved case: after the wait, past the cooldown, once."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from feedback import jobs
from feedback.cases import work as cases
from feedback.cases.models import Case, CaseEvent
from feedback.cases.resurveys import send_resurveys
from feedback.database import utcnow
from feedback.email.invites import InviteInput, create_invites, unsubscribe
from feedback.email.models import EmailInvite
from feedback.extensions import db
from feedback.responses.models import Response
from feedback.surveys.models import Survey
from tests.factories import Tenant, make_survey, make_tenant, signed
from tests.hosted_forms import answer
from tests.killed import Killed, dies_at_commit
from tests.mail import parts, path_of, score_links

OWNER = cases.Actor("lead@acme.test", "admin")


@pytest.fixture
def tenant(app: Flask, client: FlaskClient) -> Tenant:
    app.config["FEEDBACK_CASE_SETTLE_SECONDS"] = 0
    return make_tenant(client, "Acme")


def resolved_case(tenant: Tenant, survey: Survey, n: int = 1, sign: bool = True) -> Case:
    person = {"id": f"u-{n}", "email": f"person{n}@example.com"}
    body = {
        "survey": survey.public_id,
        "score": 1,
        "respondent": signed(tenant.workspace, person) if sign else person,
    }
    sent = tenant.client.put(tenant.public(f"/responses/resp-{n:04d}"), json=body)
    assert sent.status_code == 201, sent.text
    jobs.route_cases()
    case = db.session.scalar(
        select(Case).where(Case.workspace_id == tenant.workspace.id).order_by(Case.id.desc())
    )
    change = {"status": "resolved", "resolution": "fixed"}
    return cases.update_case(tenant.workspace, case.id, change, OWNER)


def wait_over(case: Case) -> None:
    db.session.execute(
        update(Case).where(Case.id == case.id).values(resurvey_at=utcnow() - timedelta(minutes=1))
    )
    db.session.commit()


def invites_of(case: Case) -> list[EmailInvite]:
    db.session.expire_all()
    return list(db.session.scalars(select(EmailInvite).where(EmailInvite.case_id == case.id)))


def actions(case: Case) -> list[str]:
    return list(
        db.session.scalars(
            select(CaseEvent.action).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
        )
    )


def test_the_resurvey_goes_out_after_the_wait_and_past_the_cooldown(
    client: FlaskClient, tenant: Tenant, smtp: Any
) -> None:
    survey = make_survey(tenant.workspace, "nps")
    case = resolved_case(tenant, survey)
    assert case.resurvey_at > utcnow() + timedelta(days=13)  # the survey's default: 14 days
    assert send_resurveys() == 0
    wait_over(case)
    # An ordinary invite to this person is still held back by the recontact wait...
    [ordinary] = create_invites(
        tenant.workspace,
        survey.public_id,
        [InviteInput(email="other@example.com", external_id="u-1")],
    )
    assert ordinary.status == "suppressed" and "days" in ordinary.suppressed_reason
    # ...the re-survey is not.
    assert jobs.send_resurveys() == 1
    [invite] = invites_of(case)
    assert (invite.email, invite.external_id, invite.survey_id) == (
        "person1@example.com",
        "u-1",
        survey.id,
    )
    assert invite.context == {"case": str(case.id)} and invite.status == "scheduled"
    assert actions(case)[-1] == "resurvey"
    assert jobs.send_due_invites() == 1
    [message] = smtp.inbox.messages
    assert message["To"] == "person1@example.com"
    assert invites_of(case)[0].status == "sent"
    # The answer travels with the case id and lands as the respondent's next response.
    links = score_links(parts(message)[0])
    answer(client, path_of(links[9]))
    assert invites_of(case)[0].status == "answered"
    later = db.session.scalar(select(Response).where(Response.channel == "email"))
    assert (later.score, later.respondent_id, later.context) == (
        9,
        case.respondent_id,
        {"case": str(case.id)},
    )


def test_the_resurvey_goes_to_the_verified_address_never_a_claimed_one(
    tenant: Tenant, smtp: Any
) -> None:
    survey = make_survey(tenant.workspace, "nps")
    case = resolved_case(tenant, survey)
    # The public key is in every host page: anyone may name u-1 with their own address.
    claim = {
        "survey": survey.public_id,
        "score": 9,
        "respondent": {"id": "u-1", "email": "mallory@evil.example"},
    }
    assert tenant.client.put(tenant.public("/responses/evil-0001"), json=claim).status_code == 201
    db.session.expire_all()  # the job reads what is stored now, as the worker's session would
    wait_over(case)
    assert send_resurveys() == 1
    assert [i.email for i in invites_of(case)] == ["person1@example.com"]
    assert jobs.send_due_invites() == 1
    assert [m["To"] for m in smtp.inbox.messages] == ["person1@example.com"]


def test_no_resurvey_to_a_respondent_known_only_by_claims(tenant: Tenant, smtp: Any) -> None:
    case = resolved_case(tenant, make_survey(tenant.workspace, "nps"), sign=False)
    assert case.respondent_id is not None  # linked by the id it claimed, for throttling
    wait_over(case)
    assert send_resurveys() == 0
    assert invites_of(case) == [] and smtp.inbox.messages == []


def test_a_case_is_resurveyed_once(tenant: Tenant, smtp: Any) -> None:
    case = resolved_case(tenant, make_survey(tenant.workspace, "csat"))
    wait_over(case)
    assert send_resurveys() == 1
    assert send_resurveys() == 0
    jobs.send_due_invites()
    assert send_resurveys() == 0
    assert len(invites_of(case)) == 1 and len(smtp.inbox.messages) == 1
    assert actions(case).count("resurvey") == 1


def test_a_resurvey_a_killed_worker_was_making_is_made_by_the_next_run(
    tenant: Tenant, smtp: Any
) -> None:
    case_id = resolved_case(tenant, make_survey(tenant.workspace, "csat")).id
    wait_over(db.session.get(Case, case_id))
    # Killed as it commits the invites (SQLite first commits the reads before its writes):
    # nothing is claimed or half-made, so the next run needs no wait.
    commit = 2 if db.engine.dialect.name == "sqlite" else 1
    with pytest.raises(Killed), dies_at_commit(commit):
        send_resurveys()
    case = db.session.get(Case, case_id)
    assert invites_of(case) == []
    assert send_resurveys() == 1
    assert len(invites_of(case)) == 1 and actions(case).count("resurvey") == 1


def test_no_resurvey_to_an_unsubscribed_address(tenant: Tenant, smtp: Any) -> None:
    case = resolved_case(tenant, make_survey(tenant.workspace, "nps"))
    unsubscribe(tenant.workspace.id, "person1@example.com")
    wait_over(case)
    assert send_resurveys() == 0
    [invite] = invites_of(case)
    assert (invite.status, invite.suppressed_reason) == ("suppressed", "the address unsubscribed")
    assert jobs.send_due_invites() == 0 and smtp.inbox.messages == []
    assert send_resurveys() == 0 and len(invites_of(case)) == 1  # decided once


def test_an_unsubscribe_before_sending_still_stops_the_resurvey(tenant: Tenant, smtp: Any) -> None:
    case = resolved_case(tenant, make_survey(tenant.workspace, "nps"))
    wait_over(case)
    assert send_resurveys() == 1
    unsubscribe(tenant.workspace.id, "person1@example.com")
    assert jobs.send_due_invites() == 0
    assert smtp.inbox.messages == []
    assert invites_of(case)[0].status == "suppressed"


def test_no_resurvey_for_a_wont_fix_a_reopened_case_or_a_survey_without_one(
    tenant: Tenant,
) -> None:
    survey = make_survey(tenant.workspace, "nps")
    reopened = resolved_case(tenant, survey, 1)
    cases.update_case(tenant.workspace, reopened.id, {"status": "open"}, OWNER)
    wont_fix = resolved_case(tenant, survey, 2)
    cases.update_case(tenant.workspace, wont_fix.id, {"status": "wont_fix"}, OWNER)
    never = resolved_case(
        tenant, make_survey(tenant.workspace, "nps", loop={"resurvey_days": 0}), 3
    )
    assert (reopened.resurvey_at, wont_fix.resurvey_at, never.resurvey_at) == (None, None, None)
    db.session.execute(update(Case).values(resurvey_at=None))
    db.session.commit()
    assert send_resurveys() == 0


def test_two_workers_make_one_resurvey_invite_per_case(app: Flask, tenant: Tenant) -> None:
    if db.engine.dialect.name == "sqlite":
        pytest.skip("SQLite has one worker; the claim race is PostgreSQL's")
    survey = make_survey(tenant.workspace, "nps")
    made = [resolved_case(tenant, survey, n) for n in range(1, 13)]
    db.session.execute(update(Case).values(resurvey_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    start = threading.Barrier(2)
    counts: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with app.app_context():
                start.wait()
                total = 0
                while (invited := send_resurveys(limit=2)) > 0:
                    total += invited
                counts.append(total)
                db.session.remove()
        except BaseException as exc:  # surfaced below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sum(counts) == 12, counts
    for case in made:
        assert len(invites_of(case)) == 1

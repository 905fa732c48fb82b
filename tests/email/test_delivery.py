"""Invites and reminders sent to a real SMTP server on loopback, and their score links."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import func, select, update

from feedback.database import utcnow
from feedback.email import invites as invite_service
from feedback.email.invites import InviteInput, create_invites
from feedback.email.models import EmailInvite, Unsubscribe
from feedback.email.score_clicks import count_clicks
from feedback.extensions import db
from feedback.jobs import send_due_invites, send_reminders
from feedback.responses.models import Respondent, Response
from tests.factories import make_survey, make_tenant
from tests.hosted_forms import answer
from tests.killed import Killed, dies_at_commit
from tests.mail import parts, path_of, score_links, unsubscribe_link


def invite(workspace: Any, survey: Any, email: str = "ann@example.com", **fields: Any) -> Any:
    [made] = create_invites(workspace, survey.public_id, [InviteInput(email=email, **fields)])
    return made


def responses() -> list[Response]:
    return list(db.session.scalars(select(Response)))


def reload(item: EmailInvite) -> EmailInvite:
    db.session.expire_all()
    return db.session.get(EmailInvite, item.id)


def test_the_mail_has_both_parts_a_link_per_score_and_an_unsubscribe(
    client: FlaskClient, smtp: Any
) -> None:
    t = make_tenant(client, "Acme")
    survey = make_survey(
        t.workspace, "nps", branding={"product_name": "Acme Analytics", "accent": "#0f766e"}
    )
    sent = invite(t.workspace, survey, name="Ann", external_id="u-1", context={"plan": "Pro"})
    assert send_due_invites() == 1
    [message] = smtp.inbox.messages
    assert message["To"] == "Ann <ann@example.com>"
    assert message["Subject"] == "A quick question from Acme Analytics"
    assert message["From"] == "Acme Surveys <surveys@acme.test>"
    text, html = parts(message)
    links = score_links(text)
    assert len(links) == 11
    assert all(link.startswith(f"http://feedback.test/s/{survey.public_id}/r/") for link in links)
    for link in links:
        assert f'href="{link}"' in html  # one button per score in the HTML part
    assert survey.question in text and survey.question in html
    assert "Open the link of your score: that is your answer." in text
    assert "One click on your score is your answer." in html
    unsubscribe = unsubscribe_link(text)
    assert unsubscribe in html
    assert message["List-Unsubscribe"].strip() == f"<{unsubscribe}>"  # folded: too long
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    stored = reload(sent)
    assert stored.status == "sent" and stored.sent_at is not None and stored.claim is None
    # Sending counts as a survey shown, for the workspace-wide wait.
    person = db.session.scalar(select(Respondent).where(Respondent.external_id == "u-1"))
    assert person is not None and person.last_shown_at is not None
    assert stored.respondent_id == person.id


def test_opening_every_score_link_records_nothing(client: FlaskClient, smtp: Any) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    sent = invite(t.workspace, survey)
    send_due_invites()
    links = score_links(parts(smtp.inbox.messages[0])[0])
    for score, link in enumerate(links):
        # What a mail provider's link scanner does: GET (and HEAD) every link.
        page = client.get(path_of(link))
        assert page.status_code == 200
        assert f'id="score-{score}" value="{score}" checked' in page.text
        assert "Press <strong>Send</strong> to submit your answer" in page.text
        assert client.head(path_of(link)).status_code == 200
    # Nothing ran the page's script, so no click was reported: nothing counts, ever.
    assert count_clicks(utcnow() + timedelta(minutes=5)) == 0
    assert responses() == []
    assert reload(sent).answered_at is None


def test_a_score_counts_once_the_page_is_sent(client: FlaskClient, smtp: Any) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    sent = invite(t.workspace, survey, external_id="u-9", context={"agent": "Dana", "team": "T1"})
    send_due_invites()
    link = score_links(parts(smtp.inbox.messages[0])[0])[9]
    page = client.get(path_of(link))
    # The question the score calls for is on the same page, next to the score.
    assert "What did you love?" in page.text and "What can we improve?" in page.text
    assert 'data-scores="9 10">' in page.text and 'data-scores="0 1 2 3 4 5 6" hidden' in page.text
    done = answer(client, path_of(link), **{"a-love": "Fast answers"})
    assert "Thank you!" in done.text
    [response] = responses()
    assert (response.score, response.channel, response.agent, response.team) == (
        9,
        "email",
        "Dana",
        "T1",
    )
    assert response.comment == "Fast answers"
    assert response.respondent.external_id == "u-9"
    assert response.client_id == sent.client_id
    assert reload(sent).status == "answered" and reload(sent).answered_at is not None
    # Another score link of the same mail changes that response; it never makes a second.
    answer(client, path_of(score_links(parts(smtp.inbox.messages[0])[0])[3]))
    assert [r.score for r in responses()] == [3]


def test_a_tampered_link_shows_an_error_and_records_nothing(client: FlaskClient, smtp: Any) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    invite(t.workspace, survey)
    send_due_invites()
    link = path_of(score_links(parts(smtp.inbox.messages[0])[0])[10])
    head, _, token = link.rpartition("/")
    _payload, _, signature = token.partition(".")
    forged_payload = URLSafeTimedSerializer("guess", salt="x").dumps([1, 0]).split(".")[0]
    for bad in (
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        f"{forged_payload}.{signature}",
        "not-a-token",
    ):
        page = client.get(f"{head}/{bad}")
        assert page.status_code == 403
        assert "This link does not work" in page.text
        client.get(link)  # a valid page, for a session and its CSRF token
        posted = client.post(f"{head}/{bad}", data={"score": "0", "step": "0"})
        assert posted.status_code in (400, 403)
    assert responses() == []


def test_a_link_for_another_survey_is_refused(client: FlaskClient, smtp: Any) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    other = make_survey(t.workspace, "csat")
    invite(t.workspace, survey)
    send_due_invites()
    link = path_of(score_links(parts(smtp.inbox.messages[0])[0])[5])
    assert client.get(link.replace(survey.public_id, other.public_id)).status_code == 403


def test_an_expired_link_shows_a_friendly_page(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    sent = invite(t.workspace, survey)

    class Old(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 29 * 86400

    old = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=invite_service._SCORE_SALT)
    old.signer = Old  # type: ignore[assignment]
    token = old.dumps([sent.id, 8])
    page = client.get(f"/s/{survey.public_id}/r/{token}")
    assert page.status_code == 410
    assert "This link has expired" in page.text
    assert responses() == []


def test_the_reminder_reaches_only_those_who_did_not_answer(client: FlaskClient, smtp: Any) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "csat")
    ann = invite(t.workspace, survey, "ann@example.com")
    bob = invite(t.workspace, survey, "bob@example.com")
    assert send_due_invites() == 2
    answer(client, path_of(score_links(parts(smtp.inbox.to("ann@example.com")[0])[0])[4]))
    assert send_reminders() == 0  # not yet: three days by default
    db.session.execute(
        update(EmailInvite)
        .where(EmailInvite.id.in_([ann.id, bob.id]))
        .values(sent_at=utcnow() - timedelta(days=3, minutes=1))
    )
    db.session.commit()
    assert send_reminders() == 1
    assert send_reminders() == 0  # one reminder, never two
    assert len(smtp.inbox.to("ann@example.com")) == 1
    [_, reminder] = smtp.inbox.to("bob@example.com")
    assert reminder["Subject"].startswith("Reminder: ")
    assert "friendly reminder" in parts(reminder)[0]
    assert len(score_links(parts(reminder)[0])) == 5
    assert reload(bob).reminded_at is not None and reload(ann).reminded_at is None


def test_unsubscribed_addresses_get_no_more_mail(client: FlaskClient, smtp: Any) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    first = invite(t.workspace, survey)
    send_due_invites()
    link = path_of(unsubscribe_link(parts(smtp.inbox.messages[0])[0]))
    confirm = client.get(link)  # a scanner's GET changes nothing
    assert confirm.status_code == 200 and "Unsubscribe from survey emails?" in confirm.text
    assert db.session.scalar(select(func.count()).select_from(Unsubscribe)) == 0
    # A mail client's one-click unsubscribe: a POST with no form token (RFC 8058).
    done = client.post(link, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "You are unsubscribed" in done.text
    assert invite_service.is_unsubscribed(t.workspace.id, "ANN@example.com")
    db.session.execute(update(EmailInvite).values(sent_at=utcnow() - timedelta(days=4)))
    db.session.commit()
    assert send_reminders() == 0
    later = invite(t.workspace, survey, scheduled_at=utcnow() + timedelta(days=30))
    assert later.status == "suppressed" and later.suppressed_reason == "the address unsubscribed"
    assert send_due_invites() == 0
    assert len(smtp.inbox.messages) == 1
    assert "no reminder" in (reload(first).suppressed_reason or "")


def test_unsubscribing_suppresses_invites_already_waiting(client: FlaskClient, smtp: Any) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    waiting = invite(t.workspace, survey, scheduled_at=utcnow() + timedelta(hours=1))
    invite_service.unsubscribe(t.workspace.id, "ann@example.com")
    db.session.execute(update(EmailInvite).values(scheduled_at=utcnow()))
    db.session.commit()
    assert send_due_invites() == 0
    assert reload(waiting).status == "suppressed"
    assert smtp.inbox.messages == []


def test_a_refused_mail_is_recorded_and_retried_with_back_off(
    client: FlaskClient, smtp: Any
) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    sent = invite(t.workspace, survey)
    smtp.inbox.refuse.add("ann@example.com")
    assert send_due_invites() == 0
    failed = reload(sent)
    assert failed.status == "scheduled" and failed.attempts == 1 and failed.sent_at is None
    assert "451" in (failed.last_error or "")
    assert failed.next_attempt_at is not None and failed.next_attempt_at > utcnow()
    smtp.inbox.refuse.clear()
    assert send_due_invites() == 0  # waits for its back-off
    db.session.execute(update(EmailInvite).values(next_attempt_at=utcnow()))
    db.session.commit()
    assert send_due_invites() == 1
    assert reload(sent).status == "sent" and reload(sent).last_error is None
    assert len(smtp.inbox.messages) == 1


def test_an_unreachable_server_is_an_error_not_a_crash(app: Flask, client: FlaskClient) -> None:
    from tests.mail import free_port

    app.config.update(FEEDBACK_SMTP_HOST="127.0.0.1", FEEDBACK_SMTP_PORT=free_port())
    t = make_tenant(client)
    sent = invite(t.workspace, make_survey(t.workspace, "nps"))
    assert send_due_invites() == 0
    assert reload(sent).attempts == 1 and "Connection" in (reload(sent).last_error or "")


def test_without_an_smtp_host_invites_wait(client: FlaskClient) -> None:
    t = make_tenant(client)
    sent = invite(t.workspace, make_survey(t.workspace, "nps"))
    assert send_due_invites() == 0
    assert reload(sent).status == "scheduled" and reload(sent).attempts == 0


def test_a_later_invite_waits_for_its_time(client: FlaskClient, smtp: Any) -> None:
    t = make_tenant(client)
    later = invite(
        t.workspace, make_survey(t.workspace, "nps"), scheduled_at=utcnow() + timedelta(hours=2)
    )
    assert send_due_invites() == 0
    db.session.execute(update(EmailInvite).values(scheduled_at=utcnow()))
    db.session.commit()
    assert send_due_invites() == 1
    assert reload(later).status == "sent"


def test_two_workers_send_each_invite_once(app: Flask, client: FlaskClient, smtp: Any) -> None:
    if db.engine.dialect.name == "sqlite":
        pytest.skip("SQLite has one worker; the claim race is PostgreSQL's")
    from feedback.email.delivery import send_due_invites as send_batch

    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    people = [InviteInput(email=f"p{i}@example.com") for i in range(40)]
    create_invites(t.workspace, survey.public_id, people)
    smtp.inbox.delay = 0.02  # so that the two workers' batches overlap
    start = threading.Barrier(2)
    counts: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with app.app_context():
                start.wait()
                total = 0
                while (sent := send_batch(limit=3)) > 0:
                    total += sent
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
    assert sum(counts) == 40 and all(c > 0 for c in counts), counts
    recipients = [str(m["To"]) for m in smtp.inbox.messages]
    assert len(recipients) == 40 and len(set(recipients)) == 40


def test_a_mail_sent_again_after_a_crash_keeps_its_message_id(
    client: FlaskClient, smtp: Any
) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    ann = invite(t.workspace, survey, "ann@example.com")
    invite(t.workspace, survey, "bob@example.com")
    assert send_due_invites() == 2
    # The worker died after the server took Ann's mail, before the database recorded it: her
    # invite is still claimed, long ago, and she was never marked as surveyed.
    db.session.execute(
        update(EmailInvite)
        .where(EmailInvite.id == ann.id)
        .values(status="sending", claimed_at=utcnow() - timedelta(hours=1))
    )
    db.session.execute(
        update(Respondent).where(Respondent.email == "ann@example.com").values(last_shown_at=None)
    )
    db.session.commit()
    assert send_due_invites() == 1
    first, again = smtp.inbox.to("ann@example.com")
    [bobs] = smtp.inbox.to("bob@example.com")
    assert first["Message-ID"] == again["Message-ID"]  # a mail store shows it once
    assert first["Message-ID"] != bobs["Message-ID"]


def test_a_person_surveyed_meanwhile_holds_back_only_their_own_invite(
    client: FlaskClient, smtp: Any
) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    ann = invite(t.workspace, survey, "ann@example.com")
    bob = invite(t.workspace, survey, "bob@example.com")
    # Ann, known by her address only, saw a survey after her invite was made; Bob did not.
    db.session.add(Respondent(workspace_id=t.workspace.id, email="ann@example.com"))
    db.session.execute(update(Respondent).values(last_shown_at=utcnow()))
    db.session.commit()
    assert send_due_invites() == 1
    held = reload(ann)
    assert held.status == "suppressed" and "cooldown" in (held.suppressed_reason or "")
    assert reload(bob).status == "sent"
    assert [str(m["To"]) for m in smtp.inbox.messages] == ["bob@example.com"]


def pass_claim_time(app: Flask) -> None:
    """Move every claim back past FEEDBACK_EMAIL_CLAIM_SECONDS: the time a dead worker holds it."""
    held = timedelta(seconds=int(app.config["FEEDBACK_EMAIL_CLAIM_SECONDS"]) + 1)
    db.session.execute(
        update(EmailInvite)
        .where(EmailInvite.claim.is_not(None))
        .values(claimed_at=EmailInvite.claimed_at - held)
    )
    db.session.commit()


@pytest.mark.parametrize("commit", [1, 2, 3, 4])
def test_invites_of_a_killed_worker_go_out_after_the_claim_time_with_their_message_ids(
    app: Flask, client: FlaskClient, smtp: Any, commit: int
) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    people = [InviteInput(email=f"p{i}@example.com") for i in range(3)]
    create_invites(t.workspace, survey.public_id, people)
    # Killed at one of the commits after the server took the first mail.
    with pytest.raises(Killed), dies_at_commit(commit, once=lambda: bool(smtp.inbox.messages)):
        send_due_invites()
    assert send_due_invites() == 0  # the dead worker's claim holds for a while
    pass_claim_time(app)
    send_due_invites()
    stored = db.session.execute(select(EmailInvite.email, EmailInvite.status)).all()
    assert sorted(stored) == [(p.email, "sent") for p in people]
    for person in people:
        ids = {m["Message-ID"] for m in smtp.inbox.to(person.email)}
        assert len(ids) == 1, person.email  # sent once, or again with its first Message-ID
    assert len({m["Message-ID"] for m in smtp.inbox.messages}) == 3


@pytest.mark.parametrize("commit", [1, 2])
def test_reminders_of_a_killed_worker_go_out_after_the_claim_time_with_their_message_ids(
    app: Flask, client: FlaskClient, smtp: Any, commit: int
) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "csat")
    people = [InviteInput(email=f"p{i}@example.com") for i in range(3)]
    create_invites(t.workspace, survey.public_id, people)
    assert send_due_invites() == 3
    db.session.execute(update(EmailInvite).values(sent_at=utcnow() - timedelta(days=3, minutes=1)))
    db.session.commit()

    def reminding() -> bool:
        return len(smtp.inbox.messages) > 3

    # Killed at one of the commits after the server took the first reminder.
    with pytest.raises(Killed), dies_at_commit(commit, once=reminding):
        send_reminders()
    assert send_reminders() == 0  # the dead worker's claim holds for a while
    pass_claim_time(app)
    send_reminders()
    reminders = [m for m in smtp.inbox.messages if m["Subject"].startswith("Reminder: ")]
    for person in people:
        ids = {m["Message-ID"] for m in reminders if person.email in str(m["To"])}
        assert len(ids) == 1, person.email  # sent once, or again with its first Message-ID
    stored = db.session.execute(select(EmailInvite.reminded_at, EmailInvite.claim)).all()
    assert all(reminded_at is not None and claim is None for reminded_at, claim in stored)
    assert send_reminders() == 0

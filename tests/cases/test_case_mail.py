"""Replies from a case mailed through a real SMTP server on loopback, and the answer link."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select, update

from feedback import jobs
from feedback.cases import lists as case_lists
from feedback.cases import mail as case_mail
from feedback.cases import work as cases
from feedback.cases.models import Case, CaseEvent, CaseNote
from feedback.database import utcnow
from feedback.errors import Invalid
from feedback.extensions import db
from feedback.mail import MAX_ATTEMPTS
from feedback.responses.models import Respondent, Response
from feedback.surveys.models import Survey
from tests.factories import Tenant, make_survey, make_tenant, signed
from tests.hosted_forms import send_form
from tests.killed import Killed, dies_at_commit
from tests.mail import parts, path_of

OWNER = cases.Actor("lead@acme.test", "admin")
ATTACKER = "mallory@evil.example"
COMMENT = 'The export <script>alert("x")</script> broke & lost my "data"'


@pytest.fixture
def tenant(app: Flask, client: FlaskClient) -> Tenant:
    app.config["FEEDBACK_CASE_SETTLE_SECONDS"] = 0
    return make_tenant(client, "Acme")


def open_case(tenant: Tenant, email: str = "ann@example.com", comment: str = COMMENT) -> Case:
    survey = make_survey(tenant.workspace, "nps")
    body = {
        "survey": survey.public_id,
        "score": 2,
        "answers": {"improve": comment},
        "respondent": signed(tenant.workspace, {"id": "u-ann", "email": email}),
    }
    sent = tenant.client.put(tenant.public("/responses/resp-ann-1"), json=body)
    assert sent.status_code == 201, sent.text
    jobs.route_cases()
    return db.session.scalar(select(Case).where(Case.workspace_id == tenant.workspace.id))


def reply(tenant: Tenant, case: Case, body: str = "Sorry about that.") -> CaseNote:
    return cases.reply(tenant.workspace, case.id, body, OWNER)


def reload(note: CaseNote) -> CaseNote:
    db.session.expire_all()
    return db.session.get(CaseNote, note.id)


def trail(case: Case) -> list[tuple[str, dict[str, Any]]]:
    rows = db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
    )
    return [(e.action, e.detail) for e in rows]


def answer_link(text: str) -> str:
    return re.search(r"Answer us: (\S+)", text).group(1)


def test_the_reply_is_mailed_with_the_comment_quoted_in_both_parts(
    app: Flask, tenant: Tenant, smtp: Any
) -> None:
    app.config["FEEDBACK_CASE_REPLY_TO"] = "cases@acme.test"
    case = open_case(tenant)
    note = reply(tenant, case, "We <b>fixed</b> the export & restored it.\n\nSorry, Ann.")
    assert jobs.send_case_replies() == 1
    [message] = smtp.inbox.messages
    assert message["To"] == "ann@example.com"
    assert message["From"] == "Acme <surveys@acme.test>"
    assert message["Reply-To"] == "cases@acme.test"
    assert message["Subject"] == "Re: your feedback to Acme"
    assert message["X-Feedback-Case"] == str(case.id)
    text, html = parts(message)
    assert "We <b>fixed</b> the export & restored it." in text
    assert f"> {COMMENT}" in text
    assert answer_link(text).startswith("http://feedback.test/c/")
    # Everything the owner and the respondent wrote is escaped in the HTML part.
    assert "We &lt;b&gt;fixed&lt;/b&gt; the export &amp; restored it." in html
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; broke &amp; lost" in html
    assert f'href="{answer_link(text)}"' in html and ">Answer us</a>" in html
    stored = reload(note)
    assert (stored.mail_status, stored.mail_claim, stored.mail_attempts) == ("sent", None, 0)
    assert stored.sent_at is not None
    assert ("mailed", {"note": note.id, "to": "ann@example.com"}) in trail(case)


def response_case(tenant: Tenant, client_id: str) -> Case:
    return db.session.scalar(
        select(Case)
        .join(Response, Response.id == Case.response_id)
        .where(Response.workspace_id == tenant.workspace.id, Response.client_id == client_id)
    )


def test_a_claimed_address_never_takes_the_respondents_mail(tenant: Tenant, smtp: Any) -> None:
    case = open_case(tenant)  # Ann, identified with a user hash: ann@example.com is a fact
    survey = db.session.get(Survey, case.survey_id)
    # The public key is in every host page, and a call with no Origin is accepted: anyone
    # may name Ann's id with their own address.
    attack = {
        "survey": survey.public_id,
        "score": 0,
        "answers": {"improve": "Send the replies to me"},
        "respondent": {"id": "u-ann", "email": ATTACKER},
    }
    assert tenant.client.put(tenant.public("/responses/evil-0001"), json=attack).status_code == 201
    jobs.route_cases()
    db.session.expire_all()
    assert db.session.get(Respondent, case.respondent_id).email == "ann@example.com"
    theirs = db.session.scalar(select(Response).where(Response.client_id == "evil-0001"))
    hers = db.session.get(Response, case.response_id)
    assert (theirs.identity, theirs.claimed_email) == ("claimed", ATTACKER)
    assert (hers.identity, hers.claimed_email) == ("verified", None)
    # Ann's case, and the case the claim opened under her id, mail only her verified address.
    reply(tenant, case, "Sorry, Ann.")
    reply(tenant, response_case(tenant, "evil-0001"), "Is this you, Ann?")
    assert jobs.send_case_replies() == 2
    assert [m["To"] for m in smtp.inbox.messages] == ["ann@example.com"] * 2
    assert not any(ATTACKER in m.as_string() for m in smtp.inbox.messages)


def test_a_respondent_known_only_by_claims_is_never_mailed(tenant: Tenant, smtp: Any) -> None:
    survey = make_survey(tenant.workspace, "nps")
    body = {
        "survey": survey.public_id,
        "score": 1,
        "respondent": {"id": "u-bob", "email": "bob@example.com"},
    }
    assert tenant.client.put(tenant.public("/responses/resp-bob-1"), json=body).status_code == 201
    case = response_case(tenant, "resp-bob-1")
    assert case.respondent_id is not None and case.respondent.email is None
    with pytest.raises(Invalid) as refused:
        reply(tenant, case)
    assert refused.value.code == "no_verified_address"
    by_api = tenant.post(f"/api/v1/cases/{case.id}/notes", json={"body": "Hi", "kind": "reply"})
    assert by_api.status_code == 422
    assert by_api.json["error"]["code"] == "no_verified_address"
    assert "no verified email address" in by_api.json["error"]["message"]
    detail = tenant.get(f"/api/v1/cases/{case.id}").json
    assert (detail["reply_to"], detail["identity"], detail["claimed_email"]) == (
        None,
        "claimed",
        "bob@example.com",
    )
    # What the team wants to say is kept as a note; nothing leaves.
    cases.add_note(tenant.workspace, case.id, "Claimed to be bob@example.com", OWNER)
    assert jobs.send_case_replies() == 0 and smtp.inbox.messages == []


def test_a_queued_reply_to_an_address_nobody_verified_is_not_sent(
    tenant: Tenant, smtp: Any
) -> None:
    case = open_case(tenant)
    note = reply(tenant, case)
    # What a reply queued before addresses were verified may hold.
    db.session.execute(update(CaseNote).values(mail_to=ATTACKER))
    db.session.commit()
    assert jobs.send_case_replies() == 0
    assert smtp.inbox.messages == []
    stored = reload(note)
    assert (stored.mail_status, stored.mail_error) == ("failed", case_mail.UNVERIFIED)


def test_a_reply_is_sent_once(tenant: Tenant, smtp: Any) -> None:
    case = open_case(tenant)
    reply(tenant, case)
    assert jobs.send_case_replies() == 1
    assert jobs.send_case_replies() == 0
    assert len(smtp.inbox.messages) == 1
    assert [a for a, _ in trail(case)].count("mailed") == 1


def test_no_reply_to_reply_to_when_none_is_configured(tenant: Tenant, smtp: Any) -> None:
    reply(tenant, open_case(tenant))
    jobs.send_case_replies()
    assert smtp.inbox.messages[0]["Reply-To"] is None


def test_a_workspace_name_cannot_add_a_header(tenant: Tenant, smtp: Any) -> None:
    tenant.workspace.name = "Acme\r\nBcc: everyone@example.com"
    db.session.commit()
    reply(tenant, open_case(tenant))
    assert jobs.send_case_replies() == 1
    [message] = smtp.inbox.messages
    assert message["Bcc"] is None
    assert message["From"] == '"Acme Bcc: everyone@example.com" <surveys@acme.test>'


def test_an_address_that_cannot_be_a_header_fails_at_once(tenant: Tenant, smtp: Any) -> None:
    case = open_case(tenant, email="ann@example.com\r\nbcc:x@example.com")
    note = reply(tenant, case)
    assert jobs.send_case_replies() == 0
    assert smtp.inbox.messages == []
    stored = reload(note)
    assert stored.mail_status == "failed" and "not an address" in stored.mail_error
    assert trail(case)[-1][0] == "mail_failed"


def test_the_answer_link_brings_the_answer_into_the_case(
    client: FlaskClient, tenant: Tenant, smtp: Any
) -> None:
    case = open_case(tenant)
    reply(tenant, case, "Could you tell us <i>which</i> export?")
    jobs.send_case_replies()
    assert cases.get_case(tenant.workspace, case.id).status == "waiting"
    link = path_of(answer_link(parts(smtp.inbox.messages[0])[0]))
    page = client.get(link)
    assert page.status_code == 200
    assert "Could you tell us &lt;i&gt;which&lt;/i&gt; export?" in page.text
    assert page.headers["Content-Security-Policy"].startswith("default-src 'none'")
    # Opening the link (a mail scanner does) records nothing.
    assert [n.kind for n in case_lists.notes(tenant.workspace, case)] == ["reply"]
    sent = send_form(client, link, answer="The <b>CSV</b> one, every Monday")
    assert sent.status_code == 303
    thanks = client.get(sent.headers["Location"])
    assert "Thank you!" in thanks.text
    notes = case_lists.notes(tenant.workspace, case)
    assert [(n.kind, n.body) for n in notes][-1] == ("answer", "The <b>CSV</b> one, every Monday")
    assert cases.get_case(tenant.workspace, case.id).status == "open"
    assert [a for a, _ in trail(case)][-1] == "answer"


def test_an_empty_answer_is_asked_for_again(client: FlaskClient, tenant: Tenant, smtp: Any) -> None:
    case = open_case(tenant)
    reply(tenant, case)
    jobs.send_case_replies()
    link = path_of(answer_link(parts(smtp.inbox.messages[0])[0]))
    sent = send_form(client, link, answer="   ")
    assert sent.status_code == 422
    assert "Write something first." in sent.text
    assert [n.kind for n in case_lists.notes(tenant.workspace, case)] == ["reply"]


def test_a_form_without_its_token_changes_nothing(
    client: FlaskClient, tenant: Tenant, smtp: Any
) -> None:
    case = open_case(tenant)
    reply(tenant, case)
    jobs.send_case_replies()
    link = path_of(answer_link(parts(smtp.inbox.messages[0])[0]))
    refused = client.post(link, data={"answer": "From another site"})
    assert refused.status_code == 400
    assert "This page is out of date" in refused.text
    assert [n.kind for n in case_lists.notes(tenant.workspace, case)] == ["reply"]


def test_forged_and_expired_answer_links_get_a_clear_page(
    app: Flask, client: FlaskClient, tenant: Tenant
) -> None:
    case = open_case(tenant)
    note = reply(tenant, case)
    token = case_mail.answer_token(note)
    forged = client.get(f"/c/{token[:-2]}xx")
    assert forged.status_code == 403
    assert "This link does not work" in forged.text and "Answer us" in forged.text

    class Old(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 40 * 86400

    signer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=case_mail._ANSWER_SALT)
    signer.signer = Old  # type: ignore[assignment]
    expired = client.get(f"/c/{signer.dumps([tenant.workspace.id, note.id])}")
    assert expired.status_code == 410
    assert "This link has expired" in expired.text
    # A token signed for something else (an invite's score link) names no reply.
    other = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="feedback.invite.score")
    assert client.get(f"/c/{other.dumps([tenant.workspace.id, note.id])}").status_code == 403


def test_a_refused_reply_is_retried_with_back_off_then_given_up(tenant: Tenant, smtp: Any) -> None:
    smtp.inbox.refuse.add("ann@example.com")
    case = open_case(tenant)
    note = reply(tenant, case)
    assert jobs.send_case_replies() == 0
    stored = reload(note)
    assert (stored.mail_status, stored.mail_attempts) == ("pending", 1)
    assert "451" in stored.mail_error
    assert stored.mail_next_at > utcnow() + timedelta(minutes=1)
    assert jobs.send_case_replies() == 0  # not before its time
    assert reload(note).mail_attempts == 1
    for attempt in range(2, MAX_ATTEMPTS + 1):
        db.session.execute(update(CaseNote).values(mail_next_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
        jobs.send_case_replies()
        assert reload(note).mail_attempts == attempt
    stored = reload(note)
    assert stored.mail_status == "failed" and stored.mail_next_at is None
    assert [a for a, _ in trail(case)].count("mail_failed") == 1
    smtp.inbox.refuse.clear()
    db.session.execute(update(CaseNote).values(mail_next_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert jobs.send_case_replies() == 0 and smtp.inbox.messages == []


def test_a_refused_reply_goes_out_on_a_later_try(tenant: Tenant, smtp: Any) -> None:
    smtp.inbox.refuse.add("ann@example.com")
    note = reply(tenant, open_case(tenant))
    jobs.send_case_replies()
    smtp.inbox.refuse.clear()
    db.session.execute(update(CaseNote).values(mail_next_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert jobs.send_case_replies() == 1
    stored = reload(note)
    assert (stored.mail_status, stored.mail_attempts, stored.mail_error) == ("sent", 1, None)


def test_a_reply_interrupted_while_sending_is_sent_again(tenant: Tenant, smtp: Any) -> None:
    case = open_case(tenant)
    note = reply(tenant, case)
    # What a worker that died mid-send leaves behind, once its lease is over.
    db.session.execute(
        update(CaseNote).values(
            mail_status="sending", mail_claim="gone", mail_next_at=utcnow() - timedelta(1)
        )
    )
    db.session.commit()
    assert jobs.send_case_replies() == 1
    (message,) = smtp.inbox.messages
    assert message["To"] == "ann@example.com"
    stored = reload(note)
    assert stored.mail_status == "sent" and stored.mail_claim is None
    assert trail(case)[-1] == ("mailed", {"note": note.id, "to": "ann@example.com"})


def test_a_reply_a_killed_worker_held_goes_again_with_its_first_message_id(
    app: Flask, tenant: Tenant, smtp: Any
) -> None:
    case = open_case(tenant)
    note_id = reply(tenant, case).id
    # Killed at the first commit after the server took the mail: nothing recorded.
    with pytest.raises(Killed), dies_at_commit(1, once=lambda: bool(smtp.inbox.messages)):
        jobs.send_case_replies()
    assert jobs.send_case_replies() == 0
    note = db.session.get(CaseNote, note_id)
    assert note.mail_status == "sending"  # the dead worker's claim holds for a while
    held = timedelta(seconds=int(app.config["FEEDBACK_EMAIL_CLAIM_SECONDS"]) + 1)
    db.session.execute(update(CaseNote).values(mail_next_at=CaseNote.mail_next_at - held))
    db.session.commit()
    assert jobs.send_case_replies() == 1
    assert reload(note).mail_status == "sent"
    first, again = smtp.inbox.messages
    # The same id: a mail store that drops repeated ids shows the reply once.
    assert first["Message-ID"] == again["Message-ID"]


def test_nothing_is_sent_without_a_mail_server(app: Flask, tenant: Tenant) -> None:
    app.config["FEEDBACK_SMTP_HOST"] = ""
    note = reply(tenant, open_case(tenant))
    assert jobs.send_case_replies() == 0
    assert reload(note).mail_status == "pending"

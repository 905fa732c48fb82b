"""The weekly digest: sent to owners and admins on Monday 08:00 local time, once a week."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from feedback.accounts import workspaces
from feedback.email.digest import send_due_digests
from feedback.email.models import DigestLog
from feedback.extensions import db
from tests.factories import add_response, make_survey, make_tenant
from tests.mail import parts

# Monday 30 November 2026, 08:30 in Paris (UTC+1): the digest of 23-29 November is due.
DUE = datetime(2026, 11, 30, 7, 30)
BEFORE_EIGHT = datetime(2026, 11, 30, 6, 30)


def tenant_with_week(client: FlaskClient) -> Any:
    t = make_tenant(client, "Acme <Labs>", timezone="Europe/Paris")
    t.workspace.created_at = datetime(2026, 11, 1)
    workspaces.add_user(t.workspace, "owner@acme.test", "password-1", role="owner")
    workspaces.add_user(t.workspace, "admin@acme.test", "password-1", role="admin")
    workspaces.add_user(t.workspace, "viewer@acme.test", "password-1", role="viewer")
    survey = make_survey(t.workspace, "nps")
    for score in (10, 9, 9, 2):
        add_response(survey, score, datetime(2026, 11, 24, 10))  # the week just ended
    add_response(
        survey, 1, datetime(2026, 11, 26, 10), comment="<script>alert(1)</script> Search & export"
    )
    for score in (10, 3, 3):
        add_response(survey, score, datetime(2026, 11, 17, 10))  # the week before
    add_response(survey, 0, datetime(2026, 11, 30, 6), comment="This week's, not in the digest")
    db.session.commit()
    return t


def test_the_digest_goes_to_owners_and_admins_with_scores_and_comments(
    client: FlaskClient, smtp: Any
) -> None:
    tenant_with_week(client)
    assert send_due_digests(DUE) == 2
    assert sorted(str(m["To"]) for m in smtp.inbox.messages) == [
        "admin <admin@acme.test>",
        "owner <owner@acme.test>",
    ]
    message = smtp.inbox.messages[0]
    assert message["Subject"] == "Acme <Labs>: your week in feedback (23 Nov - 29 Nov 2026)"
    text, html = parts(message)
    # 3 promoters and 2 detractors of 5 against 1 and 2 of 3.
    assert "NPS   20.0 (5 responses, few); last week -33.3 (3); change +53.3" in text
    assert "<script>alert(1)</script> Search & export" in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Search &amp; export" in html
    assert "<script>" not in html and "Acme &lt;Labs&gt;" in html
    assert "This week's" not in text
    assert "http://feedback.test/app/responses/" in text


def test_the_digest_is_sent_once_a_week(client: FlaskClient, smtp: Any) -> None:
    t = tenant_with_week(client)
    assert send_due_digests(BEFORE_EIGHT) == 0
    assert send_due_digests(DUE) == 2
    assert send_due_digests(DUE) == 0
    assert send_due_digests(datetime(2026, 12, 2, 12)) == 0  # later that week
    [logged] = db.session.scalars(select(DigestLog)).all()
    assert (logged.workspace_id, str(logged.week), logged.recipients) == (
        t.workspace.id,
        "2026-11-30",
        2,
    )
    assert send_due_digests(datetime(2026, 12, 7, 7, 30)) == 2  # the next Monday
    assert len(smtp.inbox.messages) == 4


def test_a_refused_digest_is_tried_again(client: FlaskClient, smtp: Any) -> None:
    tenant_with_week(client)
    smtp.inbox.refuse = {"owner@acme.test", "admin@acme.test"}
    assert send_due_digests(DUE) == 0
    assert db.session.scalars(select(DigestLog)).all() == []
    smtp.inbox.refuse = set()
    assert send_due_digests(DUE) == 2

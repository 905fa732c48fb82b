"""The weekly digest: sent to owners and admins on Monday 08:00 local time, once a week; a
member who owns KPIs gets it too, with their weekly review first."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from feedback import jobs
from feedback.accounts import workspaces
from feedback.email import digest
from feedback.email.digest import send_due_digests
from feedback.email.models import DigestLog
from feedback.extensions import db
from feedback.scorecard import card, review
from tests.factories import add_response, make_survey, make_tenant
from tests.mail import parts
from tests.owned_kpis import owned_kpis

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


def test_an_owner_s_digest_opens_with_their_kpis(
    client: FlaskClient, smtp: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    owned = owned_kpis(client, "Acme <Labs>", timezone="Europe/Paris")
    monkeypatch.setitem(card.TITLES, "csat", "<i>Customer</i> satisfaction")
    workspaces.add_user(owned.t.workspace, "carl@acme.example", "password-1", role="viewer")
    db.session.commit()
    # The admin as ever, and the two owners although neither is an admin; not Carl.
    assert jobs.send_digest(DUE) == 3
    [mail] = smtp.inbox.to("ann@acme.example")
    assert mail["Subject"] == "Acme <Labs>: your weekly review (23 Nov - 29 Nov 2026)"
    text, html = parts(mail)
    kpis = text[text.index("YOUR KPIS") : text.index("SCORES")]
    # NPS: 100 promoters and 40 detractors of 200; target 50; fixing pricing lifts it 15.
    assert re.search(
        r"Net Promoter Score: \+30 \(95% [\d.]+ to [\d.]+\), n = 200 responses\r?\n", kpis
    )
    assert "Target +50 (higher is better): off track" in kpis
    assert "against the target of 50." in kpis
    assert re.search(r"Next: Fix Pricing, expected \+15 \([\d.]+ to [\d.]+\)", kpis)
    assert (
        "30 of 200 responses are low scores that complain about it: "
        "http://feedback.test/app/verbatims?theme=pricing&kind=nps&band=detractor" in kpis
    )
    assert "satisfaction" not in kpis  # Bob's
    assert "150 EUR a month with 2 detractors" in kpis
    assert "100 EUR a month in 1 open detractor case" in kpis
    assert f"http://feedback.test/app/scorecard/review?owner={owned.ann.id}" in kpis
    assert "NPS " in text[text.index("SCORES") :]  # the digest follows as before
    assert "as the owner of 1 KPI in Acme <Labs>." in text
    # The HTML part: the same, escaped, and no SVG (mail clients drop it).
    assert "Your KPIs" in html and "<strong>150 EUR</strong> a month" in html
    assert "Next: Fix Pricing</strong>, expected +15 (" in html
    assert "<svg" not in html
    # Bob's is his: CSAT, its title escaped in the HTML part.
    [bob] = smtp.inbox.to("bob@acme.example")
    text, html = parts(bob)
    assert "<i>Customer</i> satisfaction: 80%" in text and "Net Promoter Score" not in text
    assert "&lt;i&gt;Customer&lt;/i&gt; satisfaction" in html and "<i>" not in html


def test_a_member_who_owns_nothing_gets_the_digest_as_before(
    client: FlaskClient, smtp: Any
) -> None:
    owned = owned_kpis(client, "Acme <Labs>", timezone="Europe/Paris")
    jobs.send_digest(DUE)
    [mail] = smtp.inbox.to("boss@acme.example")
    assert mail["Subject"] == "Acme <Labs>: your week in feedback (23 Nov - 29 Nov 2026)"
    text, html = parts(mail)
    assert "YOUR KPIS" not in text and "Your KPIs" not in html and "MONEY AT STAKE" not in text
    assert "as an owner or admin of Acme <Labs>." in text
    # Word for word the digest of a workspace where nobody owns a KPI.
    plain = digest.compose_digest(
        digest.digest_values(owned.t.workspace, date(2026, 11, 30)), ("Boss", "boss@acme.example")
    )
    assert [p.replace("\r\n", "\n") for p in (text, html)] == list(parts(plain))


def test_when_the_reviews_fail_everyone_still_gets_the_digest(
    client: FlaskClient, smtp: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    owned_kpis(client, "Acme <Labs>", timezone="Europe/Paris")

    def broken(workspace: Any) -> Any:
        raise RuntimeError("the trajectory would not fit")

    monkeypatch.setattr(review, "reviews", broken)
    assert jobs.send_digest(DUE) == 1
    [mail] = smtp.inbox.messages
    assert mail["To"] == "Boss <boss@acme.example>" and "YOUR KPIS" not in parts(mail)[0]

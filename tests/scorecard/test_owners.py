"""The mail a member gets when made the owner of a KPI: once, with the KPI, its target, who
assigned it and their review; never in the way of saving the target."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from flask.testing import FlaskClient

from feedback.accounts import workspaces
from feedback.extensions import db
from feedback.scorecard import kpis, owners
from tests.factories import make_tenant
from tests.mail import free_port, parts
from tests.pages import PASSWORD, csrf, member, sign_in

PAGE = "/app/scorecard/targets"
XSS = "<img src=x onerror=alert(1)>"


def _form(client: FlaskClient, metric: str, **fields: str) -> dict[str, str]:
    data = {"target": "", "higher_is_better": "1", "at_risk": "", "owner_id": ""}
    data |= {"perspective": "customer", **fields}
    return {"csrf_token": csrf(client, PAGE), **{f"{metric}-{k}": v for k, v in data.items()}}


def _desk(client: FlaskClient, name: str = "Acme"):
    t = make_tenant(client, name)
    member(t, "boss@acme.example", "admin")
    ann = workspaces.add_user(t.workspace, "ann@acme.example", PASSWORD, "viewer")
    bob = workspaces.add_user(t.workspace, "bob@acme.example", PASSWORD, "analyst")
    ann.name = "Ann Lee"
    db.session.commit()
    sign_in(client, "boss@acme.example")
    return t, ann, bob


def _owner_of(t, metric: str) -> Any:
    db.session.expire_all()
    target = kpis.targets(t.workspace).get(metric)
    return (target.target, target.owner_id) if target else None


def test_a_member_made_owner_on_the_targets_page_gets_one_mail(
    client: FlaskClient, smtp: Any
) -> None:
    t, ann, _bob = _desk(client, f"Acme {XSS}")
    form = _form(client, "nps", target="40", at_risk="5", owner_id=str(ann.id))
    assert client.post(f"{PAGE}/nps", data=form).status_code == 302
    [mail] = smtp.inbox.messages
    assert mail["To"] == "Ann Lee <ann@acme.example>"
    assert mail["Subject"] == f"Acme {XSS}: you own Net Promoter Score now"
    text, html = parts(mail)
    assert f"boss (boss@acme.example) made you the owner of Net Promoter Score in Acme {XSS}." in (
        text
    )
    assert "Target   40 (higher is better)" in text and "At risk  within 5 of the target" in text
    assert "Your review: http://feedback.test/app/scorecard/review#kpi-nps" in text
    assert 'href="http://feedback.test/app/scorecard/review#kpi-nps"' in html
    assert XSS not in html and "Acme &lt;img src=x onerror=alert(1)&gt;" in html
    assert "<strong>40</strong> (higher is better)" in html


def test_no_mail_when_nothing_about_the_owner_changed(client: FlaskClient, smtp: Any) -> None:
    t, ann, bob = _desk(client)
    form = _form(client, "csat", target="80", owner_id=str(ann.id))
    client.post(f"{PAGE}/csat", data=form)
    assert len(smtp.inbox.to("ann@acme.example")) == 1
    # A new target, the same owner: no mail. Nobody as owner: no mail.
    client.post(f"{PAGE}/csat", data=_form(client, "csat", target="85", owner_id=str(ann.id)))
    client.post(f"{PAGE}/csat", data=_form(client, "csat", target="85"))
    assert _owner_of(t, "csat") == (85.0, None)
    assert len(smtp.inbox.messages) == 1
    # Another member: they get theirs.
    client.post(f"{PAGE}/csat", data=_form(client, "csat", target="85", owner_id=str(bob.id)))
    [mail] = smtp.inbox.to("bob@acme.example")
    assert "you own Customer satisfaction now" in mail["Subject"]
    assert len(smtp.inbox.messages) == 2


def test_the_api_names_an_owner_and_the_mail_says_which_key(client: FlaskClient, smtp: Any) -> None:
    t, ann, _bob = _desk(client)
    body = {"target": 3, "owner_id": ann.id, "higher_is_better": False, "perspective": "process"}
    res = t.client.put("/api/v1/kpis/targets/frt_hours", json=body, headers=t.headers)
    assert res.status_code == 200
    [mail] = smtp.inbox.messages
    text, _html = parts(mail)
    assert 'the API key "test" made you the owner of First response time in Acme.' in text
    assert "Target   3 (lower is better)" in text
    # Sent again as it is: nothing about the owner changed.
    t.client.put("/api/v1/kpis/targets/frt_hours", json=body, headers=t.headers)
    assert len(smtp.inbox.messages) == 1


def test_the_target_is_saved_when_the_mail_server_refuses_or_is_down(
    client: FlaskClient,
    smtp: Any,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    t, ann, bob = _desk(client)
    smtp.inbox.refuse = {"ann@acme.example"}
    # Alembic's logging setup (tests/test_migrations.py) disables the loggers that exist by then.
    monkeypatch.setattr(owners.log, "disabled", False)
    with caplog.at_level(logging.WARNING, logger="feedback.scorecard.owners"):
        form = _form(client, "nps", target="40", owner_id=str(ann.id))
        res = client.post(f"{PAGE}/nps", data=form)
    assert res.status_code == 302 and "Net Promoter Score: target saved." in client.get(
        PAGE
    ).get_data(as_text=True)
    assert _owner_of(t, "nps") == (40.0, ann.id) and smtp.inbox.messages == []
    assert "owner mail of KPI nps to ann@acme.example not sent" in caplog.text
    # No server listening at all: the API saves the owner too.
    client.application.config["FEEDBACK_SMTP_PORT"] = free_port()
    body = {"target": 45, "owner_id": bob.id}
    res = t.client.put("/api/v1/kpis/targets/nps", json=body, headers=t.headers)
    assert res.status_code == 200 and _owner_of(t, "nps") == (45.0, bob.id)

"""Two-factor sign-in: enrolment, the code after the password, recovery codes, replays and
wrong codes refused, and a workspace that requires it."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from types import SimpleNamespace

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from feedback.accounts.models import User, Workspace
from feedback.accounts.two_factor import codes
from feedback.accounts.two_factor.models import PendingSignIn, RecoveryCode, TotpSecret
from feedback.audit.models import AuditEvent
from feedback.database import utcnow
from feedback.extensions import db
from tests.factories import make_tenant
from tests.pages import PASSWORD, csrf, member, sign_in

EMAIL = "ann@acme.example"
START = 1_800_000_000.0  # a fixed clock: each test chooses the 30-second step it is in


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """The time the codes are checked against, moved by the test."""
    now = SimpleNamespace(value=START)
    monkeypatch.setattr(codes, "time", SimpleNamespace(time=lambda: now.value))
    return now


def at(secret: str, now: float, steps: int = 0) -> str:
    """The app's code at `now`, `steps` periods of 30 s later."""
    return pyotp.TOTP(secret).at(now + 30 * steps)


def enrol(client: FlaskClient, clock: SimpleNamespace) -> tuple[str, list[str]]:
    """Turn two-factor sign-in on from the account page; the secret and the recovery codes."""
    page = client.get("/app/account/two-factor").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    token = csrf(client, "/app/account/two-factor")
    answer = client.post(
        "/app/account/two-factor", data={"csrf_token": token, "code": at(secret, clock.value)}
    )
    assert answer.status_code == 200
    shown = re.findall(r"<li><code>([a-z2-9-]+)</code></li>", answer.get_data(as_text=True))
    return secret, shown


def password_step(client: FlaskClient, email: str = EMAIL) -> str:
    answer = sign_in(client, email)
    assert answer.status_code == 302
    return answer.headers["Location"]


def code_step(client: FlaskClient, code: str) -> object:
    token = csrf(client, "/app/login/code")
    return client.post("/app/login/code", data={"csrf_token": token, "code": code})


def signed_in(client: FlaskClient) -> bool:
    return client.get("/app/settings").status_code == 200


@pytest.fixture
def enrolled(app: Flask, client: FlaskClient, clock: SimpleNamespace) -> SimpleNamespace:
    """An admin with two-factor sign-in on, signed out, in a fresh browser."""
    t = make_tenant(client)
    member(t, EMAIL, "admin")
    sign_in(client, EMAIL)
    secret, recovery = enrol(client, clock)
    fresh = app.test_client()
    return SimpleNamespace(tenant=t, secret=secret, recovery=recovery, browser=fresh)


# -- enrolment --------------------------------------------------------------------------------


def test_enrolment_shows_a_qr_code_and_the_key_and_needs_a_current_code(
    client: FlaskClient, clock: SimpleNamespace
) -> None:
    t = make_tenant(client)
    member(t, EMAIL, "viewer")
    sign_in(client, EMAIL)
    page = client.get("/app/account/two-factor").get_data(as_text=True)
    assert "<svg" in page and 'class="segno"' in page  # the QR code is drawn in the page
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    token = csrf(client, "/app/account/two-factor")
    wrong = client.post(
        "/app/account/two-factor",
        data={"csrf_token": token, "code": at(secret, clock.value, steps=5)},
    )
    assert wrong.status_code == 422 and "not the code your app shows now" in wrong.get_data(True)
    user = db.session.scalar(select(User).where(User.email == EMAIL))
    assert not db.session.scalar(
        select(TotpSecret).where(TotpSecret.user_id == user.id)
    ).confirmed_at
    right = client.post(
        "/app/account/two-factor", data={"csrf_token": token, "code": at(secret, clock.value)}
    )
    body = right.get_data(as_text=True)
    shown = re.findall(r"<li><code>([a-z2-9-]+)</code></li>", body)
    assert right.status_code == 200 and len(set(shown)) == 10
    assert "shown only this once" in body
    # Stored as hashes only, and the secret encrypted: neither is readable from the database.
    stored = db.session.scalars(select(RecoveryCode.code_hash)).all()
    assert sorted(stored) == sorted(codes.recovery_hash(c) for c in shown)
    row = db.session.scalar(select(TotpSecret).where(TotpSecret.user_id == user.id))
    assert row.confirmed_at is not None and secret not in row.secret_encrypted
    # ...and the page no longer shows the secret.
    again = client.get("/app/account/two-factor").get_data(as_text=True)
    assert secret not in again and "totp-secret" not in again and "10 of 10 unused" in again
    assert '<span class="badge">on</span>' in client.get("/app/account").get_data(True)


def test_the_stored_secret_opens_only_with_the_app_key(app: Flask) -> None:
    with app.test_request_context():
        sealed = codes.encrypt("JBSWY3DPEHPK3PXP")
        assert codes.decrypt(sealed) == "JBSWY3DPEHPK3PXP"
        app.config["SECRET_KEY_FALLBACKS"] = [app.config["SECRET_KEY"]]
        app.config["SECRET_KEY"] = "a new key after rotation, long enough to sign"
        assert codes.decrypt(sealed) == "JBSWY3DPEHPK3PXP"  # the old key still opens it
        app.config["SECRET_KEY_FALLBACKS"] = []
        assert codes.decrypt(sealed) is None


def test_a_sign_in_after_a_key_rotation_moves_the_secret_to_the_new_key(
    app: Flask, enrolled: SimpleNamespace, clock: SimpleNamespace
) -> None:
    old = app.config["SECRET_KEY"]
    app.config.update(
        SECRET_KEY="a new key after rotation, long enough", SECRET_KEY_FALLBACKS=[old]
    )
    password_step(enrolled.browser)
    clock.value += 30
    assert code_step(enrolled.browser, at(enrolled.secret, clock.value)).status_code == 302
    app.config["SECRET_KEY_FALLBACKS"] = []  # the old key is gone for good
    with app.test_request_context():
        assert _secret_of(EMAIL) == enrolled.secret


# -- the second step of signing in ------------------------------------------------------------


def test_a_right_password_alone_does_not_sign_in_an_account_with_two_factor(
    enrolled: SimpleNamespace, clock: SimpleNamespace
) -> None:
    browser = enrolled.browser
    assert password_step(browser).endswith("/app/login/code")
    assert not signed_in(browser)
    clock.value += 30
    answer = code_step(browser, at(enrolled.secret, clock.value))
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/app/")
    assert signed_in(browser)


def test_the_code_page_keeps_where_the_person_was_going(
    enrolled: SimpleNamespace, clock: SimpleNamespace
) -> None:
    browser = enrolled.browser
    token = csrf(browser, "/app/login")
    answer = browser.post(
        "/app/login?next=/app/verbatims",
        data={"email": EMAIL, "password": PASSWORD, "csrf_token": token},
    )
    assert answer.headers["Location"].endswith("/app/login/code")
    clock.value += 30
    done = code_step(browser, at(enrolled.secret, clock.value))
    assert done.headers["Location"] == "/app/verbatims"


def test_the_code_page_without_a_password_first_sends_to_sign_in(client: FlaskClient) -> None:
    answer = client.get("/app/login/code")
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/app/login")


def test_a_code_cannot_be_used_twice(
    app: Flask, enrolled: SimpleNamespace, clock: SimpleNamespace
) -> None:
    clock.value += 30
    code = at(enrolled.secret, clock.value)
    password_step(enrolled.browser)
    assert code_step(enrolled.browser, code).status_code == 302
    other = app.test_client()
    password_step(other)
    replay = code_step(other, code)  # same 30 seconds, another browser
    assert replay.status_code == 422 and "used already" in replay.get_data(as_text=True)
    assert not signed_in(other)
    clock.value += 30
    assert code_step(other, at(enrolled.secret, clock.value)).status_code == 302
    assert signed_in(other)


def test_the_enrolment_code_cannot_sign_in(
    enrolled: SimpleNamespace, clock: SimpleNamespace
) -> None:
    password_step(enrolled.browser)
    answer = code_step(enrolled.browser, at(enrolled.secret, clock.value))
    assert answer.status_code == 422 and not signed_in(enrolled.browser)


def test_a_code_from_an_earlier_step_is_refused_after_a_later_one(
    app: Flask, enrolled: SimpleNamespace, clock: SimpleNamespace
) -> None:
    clock.value += 60
    password_step(enrolled.browser)
    assert code_step(enrolled.browser, at(enrolled.secret, clock.value)).status_code == 302
    other = app.test_client()
    password_step(other)
    # One step back is inside the drift allowed, but older than the code just used.
    assert code_step(other, at(enrolled.secret, clock.value, steps=-1)).status_code == 422


def test_a_recovery_code_signs_in_once(
    app: Flask, enrolled: SimpleNamespace, clock: SimpleNamespace
) -> None:
    code = enrolled.recovery[3]
    password_step(enrolled.browser)
    # Typed in capitals and without its dashes, it still reads.
    assert code_step(enrolled.browser, code.upper().replace("-", "")).status_code == 302
    assert signed_in(enrolled.browser)
    page = enrolled.browser.get("/app/account/two-factor").get_data(as_text=True)
    assert "9 of 10 unused" in page
    other = app.test_client()
    password_step(other)
    again = code_step(other, code)
    assert again.status_code == 422 and not signed_in(other)


def test_wrong_codes_end_the_pending_sign_in(
    enrolled: SimpleNamespace, clock: SimpleNamespace
) -> None:
    browser = enrolled.browser
    password_step(browser)
    for _ in range(4):
        answer = code_step(browser, "000000")
        assert answer.status_code == 422 and "not right" in answer.get_data(as_text=True)
    fifth = code_step(browser, "000000")
    assert fifth.status_code == 302 and fifth.headers["Location"].endswith("/app/login")
    assert "Too many wrong codes" in html.unescape(browser.get("/app/login").get_data(True))
    # The right code is too late now: the password is needed again.
    clock.value += 30
    assert browser.get("/app/login/code").status_code == 302
    assert db.session.scalar(select(PendingSignIn)) is None
    assert not signed_in(browser)


def test_the_second_step_is_rate_limited_per_address(app: Flask, enrolled: SimpleNamespace) -> None:
    app.config["FEEDBACK_LOGIN_RATE_LIMIT"] = "3 per minute"
    browser = enrolled.browser
    password_step(browser)
    statuses = [code_step(browser, "123 456").status_code for _ in range(4)]
    assert statuses == [422, 422, 422, 429]


def test_a_pending_sign_in_lasts_five_minutes(
    enrolled: SimpleNamespace, clock: SimpleNamespace
) -> None:
    browser = enrolled.browser
    password_step(browser)
    row = db.session.scalar(select(PendingSignIn))
    assert timedelta(minutes=4) < row.expires_at - utcnow() <= timedelta(minutes=5)
    db.session.execute(update(PendingSignIn).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    clock.value += 30
    token = csrf(browser, "/app/login")
    answer = browser.post(
        "/app/login/code", data={"csrf_token": token, "code": at(enrolled.secret, clock.value)}
    )
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/app/login")
    assert not signed_in(browser)


def test_malformed_codes_are_refused_with_a_reason(enrolled: SimpleNamespace) -> None:
    password_step(enrolled.browser)
    for typed in ("12345", "١٢٣٤٥٦", "<script>"):
        answer = code_step(enrolled.browser, typed)
        body = answer.get_data(as_text=True)
        assert answer.status_code == 422 and "Enter the 6-digit code" in body
        assert "<script>" not in body


# -- recovery codes and turning it off --------------------------------------------------------


def test_new_recovery_codes_replace_the_old_ones(
    app: Flask, enrolled: SimpleNamespace, client: FlaskClient
) -> None:
    token = csrf(client, "/app/account/two-factor")
    wrong = client.post(
        "/app/account/two-factor/recovery-codes",
        data={"csrf_token": token, "codes-password": "not it"},
    )
    assert wrong.status_code == 422 and "not your password" in wrong.get_data(as_text=True)
    answer = client.post(
        "/app/account/two-factor/recovery-codes",
        data={"csrf_token": token, "codes-password": PASSWORD},
    )
    fresh = re.findall(r"<li><code>([a-z2-9-]+)</code></li>", answer.get_data(as_text=True))
    assert (
        answer.status_code == 200 and len(fresh) == 10 and not set(fresh) & set(enrolled.recovery)
    )
    password_step(enrolled.browser)
    assert code_step(enrolled.browser, enrolled.recovery[0]).status_code == 422
    assert code_step(enrolled.browser, fresh[0]).status_code == 302


def test_turning_it_off_needs_the_password_and_a_code(
    enrolled: SimpleNamespace, client: FlaskClient, clock: SimpleNamespace
) -> None:
    token = csrf(client, "/app/account/two-factor")
    clock.value += 30
    code = at(enrolled.secret, clock.value)
    no_password = client.post(
        "/app/account/two-factor/off",
        data={"csrf_token": token, "off-password": "not it", "off-code": code},
    )
    assert no_password.status_code == 422 and "not your password" in no_password.get_data(True)
    wrong_code = client.post(
        "/app/account/two-factor/off",
        data={"csrf_token": token, "off-password": PASSWORD, "off-code": "000000"},
    )
    assert wrong_code.status_code == 422
    done = client.post(
        "/app/account/two-factor/off",
        data={"csrf_token": token, "off-password": PASSWORD, "off-code": code},
    )
    assert done.status_code == 302
    assert db.session.scalar(select(TotpSecret)) is None
    assert db.session.scalar(select(RecoveryCode)) is None
    # The password alone signs in again.
    assert password_step(enrolled.browser).endswith("/app/")


def test_guessing_the_password_to_turn_it_off_is_rate_limited(
    app: Flask, enrolled: SimpleNamespace, client: FlaskClient
) -> None:
    app.config["FEEDBACK_LOGIN_RATE_LIMIT"] = "2 per minute"
    token = csrf(client, "/app/account/two-factor")
    data = {"csrf_token": token, "off-password": "guess", "off-code": "000000"}
    statuses = [client.post("/app/account/two-factor/off", data=data).status_code for _ in range(3)]
    assert statuses == [422, 422, 429]


# -- a workspace that requires it -------------------------------------------------------------


def _require(client: FlaskClient) -> None:
    data = {
        "csrf_token": csrf(client, "/app/settings"),
        "name": "Acme",
        "timezone": "UTC",
        "allowed_origins": "",
        "recontact_days": "7",
        "low_n": "30",
        "require_two_factor": "y",
    }
    assert client.post("/app/settings", data=data).status_code == 302


def test_a_member_without_two_factor_is_sent_to_set_it_up(
    app: Flask, client: FlaskClient, clock: SimpleNamespace
) -> None:
    t = make_tenant(client)
    member(t, "boss@acme.example", "admin")
    member(t, "bob@acme.example", "analyst")
    sign_in(client, "boss@acme.example")
    _require(client)
    assert db.session.get(Workspace, t.workspace.id).require_two_factor is True
    bob = app.test_client()
    assert password_step(bob, "bob@acme.example").endswith("/app/")
    for page in ("/app/", "/app/verbatims", "/app/settings", "/app/account"):
        answer = bob.get(page)
        assert answer.status_code == 302, page
        assert answer.headers["Location"].endswith("/app/account/two-factor")
    assert "requires two-factor sign-in" in bob.get("/app/account/two-factor").get_data(True)
    enrol(bob, clock)
    assert bob.get("/app/verbatims").status_code == 200
    # While the workspace requires it, it cannot be turned off.
    token = csrf(bob, "/app/account/two-factor")
    clock.value += 30
    refused = bob.post(
        "/app/account/two-factor/off",
        data={
            "csrf_token": token,
            "off-password": PASSWORD,
            "off-code": at(_secret_of("bob@acme.example"), clock.value),
        },
    )
    assert refused.status_code == 403 and "requires two-factor sign-in" in refused.get_data(True)
    user = db.session.scalar(select(User).where(User.email == "bob@acme.example"))
    assert db.session.scalar(select(TotpSecret).where(TotpSecret.user_id == user.id)) is not None


def _secret_of(email: str) -> str:
    user = db.session.scalar(select(User).where(User.email == email))
    row = db.session.scalar(select(TotpSecret).where(TotpSecret.user_id == user.id))
    return codes.decrypt(row.secret_encrypted)


def test_the_requirement_can_be_set_by_api(client: FlaskClient) -> None:
    t = make_tenant(client)
    answer = t.patch("/api/v1/workspace", json={"require_two_factor": True})
    assert answer.status_code == 200 and answer.json["require_two_factor"] is True
    bad = t.patch("/api/v1/workspace", json={"require_two_factor": "yes"})
    assert bad.status_code == 422 and bad.json["error"]["field"] == "require_two_factor"


# -- what the audit log is told ---------------------------------------------------------------


def test_two_factor_events_are_in_the_audit_log_of_the_workspace(
    app: Flask, client: FlaskClient, clock: SimpleNamespace
) -> None:
    t = make_tenant(client)
    member(t, EMAIL, "viewer")
    sign_in(client, EMAIL)
    secret, _ = enrol(client, clock)
    other = app.test_client()
    password_step(other)
    code_step(other, "000000")
    clock.value += 30
    code_step(other, at(secret, clock.value))
    db.session.expire_all()
    rows = db.session.execute(
        select(AuditEvent.action, AuditEvent.workspace_id)
        .where(AuditEvent.actor == EMAIL)
        .order_by(AuditEvent.id)
    ).all()
    assert [a for a, _ in rows if a != "signin.succeeded"] == [
        "two_factor.enabled",
        "signin.two_factor_failed",
        "signin.two_factor_succeeded",
    ]
    assert {w for _, w in rows} == {t.workspace.id}

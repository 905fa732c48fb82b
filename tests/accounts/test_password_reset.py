"""A forgotten password: the same answer for every address, a link that works once and briefly,
every session ended by the new password, and requests rate-limited."""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta
from email.message import EmailMessage

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from feedback.accounts.models import LoginSession, PasswordReset, User
from feedback.database import utcnow
from feedback.extensions import db
from tests.factories import make_tenant
from tests.mail import parts, path_of
from tests.pages import PASSWORD, csrf, member, sign_in

NEW = "a fresh passphrase"


def ask(client: FlaskClient, email: str) -> object:
    return client.post(
        "/app/forgot", data={"csrf_token": csrf(client, "/app/forgot"), "email": email}
    )


def mails(smtp, address: str, count: int = 1, wait: float = 10.0) -> list[EmailMessage]:
    """The mails to `address` once `count` of them arrived (they go out after the answer)."""
    deadline = time.monotonic() + wait
    while len(smtp.inbox.to(address)) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    got = smtp.inbox.to(address)
    assert len(got) >= count, f"expected {count} mail(s) to {address}, got {len(got)}"
    return got


def link_in(message: EmailMessage) -> str:
    text, _html = parts(message)
    url = next(word for word in text.split() if "/app/reset/" in word)
    return path_of(url)


def choose(client: FlaskClient, path: str, password: str, confirm: str | None = None) -> object:
    token = csrf(client, "/app/forgot")  # the link page has no form once the link is spent
    data = {"csrf_token": token, "password": password, "confirm": confirm or password}
    return client.post(path, data=data)


def signed_in(client: FlaskClient) -> bool:
    return client.get("/app/settings").status_code == 200


def user(email: str) -> User:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def test_sign_in_page_offers_the_reset(client: FlaskClient) -> None:
    page = client.get("/app/login").get_data(as_text=True)
    assert 'href="/app/forgot"' in page and "Forgot your password?" in page


def test_known_and_unknown_addresses_get_the_same_answer_and_only_one_gets_mail(
    client: FlaskClient, smtp
) -> None:
    t = make_tenant(client)
    member(t, "ann@acme.example", "viewer")
    unknown = ask(client, "nobody@acme.example")
    known = ask(client, "Ann@Acme.example ")
    assert unknown.status_code == known.status_code == 200
    assert unknown.get_data() == known.get_data()
    assert "If an account exists for that address, we sent a link" in known.get_data(True)
    (message,) = mails(smtp, "ann@acme.example")
    assert message["Subject"] == "Choose a new password"
    assert "works once, for 30 minutes" in parts(message)[0]
    assert [str(m["To"]) for m in smtp.inbox.messages] == [message["To"]]
    # Both requests did the same work: a row each, the unknown address's tied to no account.
    rows = dict(db.session.execute(select(PasswordReset.email, PasswordReset.user_id)).all())
    assert rows == {"nobody@acme.example": None, "ann@acme.example": user("ann@acme.example").id}


def test_a_malformed_address_is_named_not_answered(client: FlaskClient, smtp) -> None:
    answer = ask(client, "not an address")
    assert answer.status_code == 422 and "Enter an email address." in answer.get_data(True)


def test_only_the_hash_of_the_link_is_stored(client: FlaskClient, smtp) -> None:
    t = make_tenant(client)
    member(t, "ann@acme.example", "viewer")
    ask(client, "ann@acme.example")
    token = link_in(mails(smtp, "ann@acme.example")[0]).rsplit("/", 1)[1]
    row = db.session.scalar(select(PasswordReset))
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest() != token
    assert timedelta(minutes=29) < row.expires_at - utcnow() <= timedelta(minutes=30)


def test_the_link_sets_a_new_password_once_and_ends_every_session(
    app: Flask, client: FlaskClient, smtp
) -> None:
    t = make_tenant(client)
    email = member(t, "ann@acme.example", "admin")
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, email)
    sign_in(phone, email)
    assert signed_in(laptop) and signed_in(phone)
    ask(client, email)
    path = link_in(mails(smtp, email)[0])

    form = client.get(path)
    assert form.status_code == 200 and "Choose a new password" in form.get_data(True)
    assert form.headers["Referrer-Policy"] == "no-referrer"
    differ = choose(client, path, NEW, "something else")
    assert differ.status_code == 422 and "The two passwords differ." in differ.get_data(True)
    short = choose(client, path, "short")
    assert short.status_code == 422 and "needs 8 to 200 characters" in short.get_data(True)
    assert user(email).check_password(PASSWORD)  # refused tries change nothing, spend nothing

    done = choose(client, path, NEW)
    assert done.status_code == 302 and done.headers["Location"].endswith("/app/login")
    assert "Sign in with the new password" in client.get("/app/login").get_data(True)
    assert not signed_in(laptop) and not signed_in(phone)
    uid = user(email).id
    assert db.session.scalar(select(LoginSession.id).where(LoginSession.user_id == uid)) is None
    assert user(email).check_password(NEW) and not user(email).check_password(PASSWORD)
    assert sign_in(app.test_client(), email, NEW).status_code == 302
    assert sign_in(app.test_client(), email, PASSWORD).status_code == 200

    notice = mails(smtp, email, count=2)[-1]
    assert notice["Subject"] == "Your password was changed"
    assert "every browser signed in to the account was signed out" in parts(notice)[0]

    again = client.get(path)
    assert again.status_code == 410 and "used already" in again.get_data(True)
    assert choose(client, path, "yet another one").status_code == 410
    assert user(email).check_password(NEW)


def test_an_expired_link_is_refused_with_a_clear_page(client: FlaskClient, smtp) -> None:
    t = make_tenant(client)
    email = member(t, "ann@acme.example", "viewer")
    ask(client, email)
    path = link_in(mails(smtp, email)[0])
    token = csrf(client, path)
    db.session.execute(update(PasswordReset).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    page = client.get(path)
    assert page.status_code == 410 and "expired" in page.get_data(True)
    assert 'href="/app/forgot"' in page.get_data(True)
    data = {"csrf_token": token, "password": NEW, "confirm": NEW}
    assert client.post(path, data=data).status_code == 410
    assert user(email).check_password(PASSWORD)


def test_rows_are_dropped_a_day_after_they_expire(client: FlaskClient) -> None:
    ask(client, "old@acme.example")
    db.session.execute(update(PasswordReset).values(expires_at=utcnow() - timedelta(hours=25)))
    db.session.commit()
    ask(client, "new@acme.example")
    assert db.session.scalars(select(PasswordReset.email)).all() == ["new@acme.example"]


def test_a_new_request_makes_the_older_link_useless(client: FlaskClient, smtp) -> None:
    t = make_tenant(client)
    email = member(t, "ann@acme.example", "viewer")
    ask(client, email)
    first = link_in(mails(smtp, email)[0])
    ask(client, email)
    second = link_in(mails(smtp, email, count=2)[1])
    assert first != second
    assert client.get(first).status_code == 410
    assert choose(client, second, NEW).status_code == 302
    assert user(email).check_password(NEW)


@pytest.mark.parametrize(
    "token", ["made-up", "x" * 5000, "%C3%A9t%C3%A9", "%27%20OR%201%3D1%20--", "%F0%9F%94%91"]
)
def test_an_unknown_link_is_a_404_page(client: FlaskClient, token: str) -> None:
    page = client.get(f"/app/reset/{token}")
    assert page.status_code == 404 and "not one we sent" in page.get_data(True)
    assert client.post(f"/app/reset/{token}", data={"password": NEW}).status_code in (400, 404)


def test_requests_for_one_address_are_limited_whoever_asks(app: Flask, client: FlaskClient):
    app.config["FEEDBACK_RESET_ADDRESS_RATE_LIMIT"] = "2 per hour"
    t = make_tenant(client)
    member(t, "ann@acme.example", "viewer")
    for address in ("ann@acme.example", "nobody@acme.example"):
        codes = [ask(client, address).status_code for _ in range(3)]
        assert codes == [200, 200, 429], address  # the same for an address without account
    page = ask(client, "ANN@acme.example")
    assert page.status_code == 429 and "Too many password reset requests" in page.get_data(True)
    assert ask(client, "ben@acme.example").status_code == 200


def test_requests_from_one_client_are_limited_across_addresses(app: Flask, client: FlaskClient):
    app.config["FEEDBACK_RESET_RATE_LIMIT"] = "3 per hour"
    codes = [ask(client, f"person{i}@acme.example").status_code for i in range(4)]
    assert codes == [200, 200, 200, 429]
    assert client.get("/app/forgot").status_code == 200  # the form itself stays readable

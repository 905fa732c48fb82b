"""Passwords stored as argon2id; older hashes upgraded the first time their password signs in."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from feedback.accounts.models import User
from feedback.extensions import db
from tests.factories import make_tenant
from tests.pages import PASSWORD, member, sign_in

pytestmark = pytest.mark.real_password_cost


def stored(email: str) -> str:
    db.session.expire_all()
    return db.session.scalar(select(User.password_hash).where(User.email == email))


def give_hash(email: str, password_hash: str) -> None:
    account = db.session.scalar(select(User).where(User.email == email))
    account.password_hash = password_hash
    db.session.commit()


def test_a_new_password_is_stored_as_argon2id_at_the_rfc_9106_low_memory_cost(
    client: FlaskClient,
) -> None:
    t = make_tenant(client)
    email = member(t, "ann@acme.example", "viewer")
    assert stored(email).startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert PASSWORD not in stored(email)


@pytest.mark.parametrize("method", ["pbkdf2:sha256", "scrypt"])
def test_an_old_werkzeug_hash_becomes_argon2id_at_sign_in(client: FlaskClient, method) -> None:
    t = make_tenant(client)
    email = member(t, "ann@acme.example", "viewer")
    old = generate_password_hash(PASSWORD, method=method)
    give_hash(email, old)
    assert sign_in(client, email, "not the password").status_code == 200
    assert stored(email) == old  # a wrong password upgrades nothing
    assert sign_in(client, email).status_code == 302
    assert stored(email).startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert sign_in(client.application.test_client(), email).status_code == 302


def test_an_argon2_hash_with_outdated_costs_is_redone_at_sign_in(client: FlaskClient) -> None:
    t = make_tenant(client)
    email = member(t, "ann@acme.example", "viewer")
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    give_hash(email, weak)
    assert sign_in(client, email).status_code == 302
    assert stored(email) != weak
    assert stored(email).startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_a_current_hash_is_kept_as_it_is(client: FlaskClient) -> None:
    t = make_tenant(client)
    email = member(t, "ann@acme.example", "viewer")
    before = stored(email)
    assert sign_in(client, email).status_code == 302
    assert stored(email) == before


def test_a_hash_of_no_known_kind_signs_nobody_in(client: FlaskClient) -> None:
    t = make_tenant(client)
    email = member(t, "ann@acme.example", "viewer")
    give_hash(email, "plain:" + PASSWORD)
    assert sign_in(client, email).status_code == 200


def test_an_unknown_address_costs_a_sign_in_the_same_hashing_as_a_wrong_password(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from feedback.accounts import password_hashes

    t = make_tenant(client)
    email = member(t, "ann@acme.example", "viewer")
    checked: list[str] = []
    real = password_hashes.verify

    def counting(stored_hash: str, password: str) -> tuple[bool, str | None]:
        checked.append(stored_hash[:9])
        return real(stored_hash, password)

    monkeypatch.setattr(password_hashes, "verify", counting)
    assert sign_in(client, email, "a wrong one").status_code == 200
    assert sign_in(client, "nobody@acme.example", "a wrong one").status_code == 200
    # One argon2id check each: the answer for an address without account is not faster.
    assert checked == ["$argon2id", "$argon2id"]

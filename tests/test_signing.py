"""The secret key: no built-in key is ever served with, and rotation keeps live links working."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer

from feedback import create_app, signing
from feedback.email import invites as invite_service

STRONG = "k" * 40
OLD = "o" * 40


def _production(tmp_path: Path, **config: Any) -> Flask:
    """An app as gunicorn would build it: not testing, not development."""
    return create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.sqlite3", "FEEDBACK_ENV": "production"}
        | config
    )


def test_production_without_a_key_refuses_to_start_and_names_the_variable(
    tmp_path: Path,
) -> None:
    with pytest.raises(signing.InsecureSecretKey, match="FEEDBACK_SECRET_KEY is not set"):
        _production(tmp_path, SECRET_KEY=None)


@pytest.mark.parametrize("key", ["dev-only-change-me", "test", "Change-Me", "short-but-random"])
def test_a_built_in_or_short_key_is_refused(tmp_path: Path, key: str) -> None:
    with pytest.raises(signing.InsecureSecretKey, match="FEEDBACK_SECRET_KEY"):
        _production(tmp_path, SECRET_KEY=key)


def test_a_built_in_fallback_key_is_refused_too(tmp_path: Path) -> None:
    with pytest.raises(signing.InsecureSecretKey, match="FEEDBACK_SECRET_KEY_FALLBACKS"):
        _production(tmp_path, SECRET_KEY=STRONG, SECRET_KEY_FALLBACKS=["dev-only-change-me"])


def test_a_key_of_its_own_serves(tmp_path: Path) -> None:
    app = _production(tmp_path, SECRET_KEY=STRONG)
    assert app.secret_key == STRONG


def test_development_makes_one_random_key_and_reuses_it(tmp_path: Path) -> None:
    def settled() -> str:
        app = Flask("dev", instance_path=str(tmp_path / "instance"))
        app.config.update(FEEDBACK_ENV="development", SECRET_KEY=None)
        signing.settle_secret_key(app)
        return app.config["SECRET_KEY"]

    first = settled()
    assert signing.weakness(first) is None
    assert settled() == first
    key_file = tmp_path / "instance" / signing.KEY_FILE
    assert key_file.stat().st_mode & 0o777 == 0o600  # readable by the app's user only


def test_a_session_cookie_signed_with_the_old_default_key_signs_nobody_in(
    tmp_path: Path,
) -> None:
    app = _production(tmp_path, SECRET_KEY=STRONG)
    with app.app_context():
        from feedback.extensions import db

        db.create_all()
    forger = Flask("forger")
    forger.secret_key = "dev-only-change-me"
    cookie = (
        SecureCookieSessionInterface()
        .get_signing_serializer(forger)
        .dumps({"_user_id": "1", "_fresh": True})
    )
    client = app.test_client()
    client.set_cookie("session", cookie)
    answer = client.get("/app/settings")
    assert answer.status_code == 302 and "/app/login" in answer.headers["Location"]


def test_a_score_link_signed_with_a_rotated_out_key_still_works(
    app: Flask, client: FlaskClient
) -> None:
    app.config.update(SECRET_KEY=STRONG, SECRET_KEY_FALLBACKS=[OLD])
    old_link = URLSafeTimedSerializer(OLD, salt=invite_service._SCORE_SALT).dumps([7, 9])
    assert invite_service.read_score_token(old_link) == (7, 9)
    # New links are signed with the new key: they survive the old key's removal.
    new_link = invite_service.score_token(7, 3)
    app.config.update(SECRET_KEY_FALLBACKS=[])
    assert invite_service.read_score_token(new_link) == (7, 3)
    with pytest.raises(signing.LinkTampered):
        invite_service.read_score_token(old_link)

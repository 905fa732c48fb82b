"""The secret key: where it comes from, which keys are refused, and what is signed with it.

Sessions, email score links, unsubscribe links and case answer links are all signed with it,
so a key anyone can read (a default, an example) hands every workspace to anyone.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer

from feedback.errors import FeedbackError, Forbidden

# Keys that appear in this code, its docs or its examples: never accepted outside tests.
BUILT_IN_KEYS = frozenset(
    {"dev-only-change-me", "change-me", "changeme", "secret", "dev", "development", "test"}
)
MIN_LENGTH = 32
KEY_FILE = "secret_key"
HOW_TO = (
    "Set FEEDBACK_SECRET_KEY to a random value of at least 32 characters, for example the "
    "output of: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
)


class InsecureSecretKey(RuntimeError):
    """The app was asked to serve with no key of its own, or a key anyone could know."""


def settle_secret_key(app: Flask) -> None:
    """Give the app its key, or refuse to start with one that is missing or public."""
    if app.testing:
        app.config["SECRET_KEY"] = app.config.get("SECRET_KEY") or secrets.token_urlsafe(32)
        return
    if not app.config.get("SECRET_KEY") and app.config.get("FEEDBACK_ENV") == "development":
        app.config["SECRET_KEY"] = instance_key(app.instance_path)
    for name, key in [("FEEDBACK_SECRET_KEY", app.config.get("SECRET_KEY"))] + [
        ("FEEDBACK_SECRET_KEY_FALLBACKS", old)
        for old in app.config.get("SECRET_KEY_FALLBACKS") or []
    ]:
        problem = weakness(key)
        if problem:
            raise InsecureSecretKey(f"{name} {problem}. {HOW_TO}")


def weakness(key: str | None) -> str | None:
    """Why `key` cannot sign anything, or None when it can."""
    if not key:
        return "is not set"
    if key.strip().lower() in BUILT_IN_KEYS:
        return "is a built-in example value that anyone can read"
    if len(key) < MIN_LENGTH:
        return f"is shorter than {MIN_LENGTH} characters"
    return None


def instance_key(instance_path: str) -> str:
    """A random key made once for this checkout (development only) and reused after."""
    path = Path(instance_path) / KEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as out:
        key = secrets.token_urlsafe(48)
        out.write(key + "\n")
    return key


def _keys() -> list[str]:
    # itsdangerous signs with the last key and accepts any of them: old keys go first.
    old = current_app.config.get("SECRET_KEY_FALLBACKS") or []
    return [*old, current_app.config["SECRET_KEY"]]


def timed_serializer(salt: str) -> URLSafeTimedSerializer:
    """Signs values whose age can be checked (score links, case answer links)."""
    return URLSafeTimedSerializer(_keys(), salt=salt)


def serializer(salt: str) -> URLSafeSerializer:
    """Signs values that never expire (unsubscribe links)."""
    return URLSafeSerializer(_keys(), salt=salt)


class LinkTampered(Forbidden):
    code = "link_invalid"


class LinkExpired(FeedbackError):
    status, code = 410, "link_expired"


def read_link(salt: str, token: str, valid: Callable[[Any], bool]) -> Any:
    """What a signed link of FEEDBACK_INVITE_DAYS' validity carries; LinkExpired when it is
    older, LinkTampered when we did not sign it or `valid` refuses what it holds."""
    days = int(current_app.config["FEEDBACK_INVITE_DAYS"])
    try:
        value = timed_serializer(salt).loads(token, max_age=days * 86400)
    except SignatureExpired as exc:
        raise LinkExpired(f"This link was valid for {days} days and has expired.") from exc
    except BadSignature as exc:
        raise LinkTampered("This link is not one we sent, or it was changed.") from exc
    if not valid(value):
        raise LinkTampered("This link is not one we sent, or it was changed.")
    return value

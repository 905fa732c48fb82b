"""The provider's client secret at rest: encrypted (Fernet) with a key derived from the app's
secret key, so a copy of the database alone does not hand it out. Old keys still open it while
they are listed in FEEDBACK_SECRET_KEY_FALLBACKS; saving the settings again seals it anew."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

from feedback.errors import FeedbackError

_PURPOSE = b"feedback: single sign-on client secret"


class SecretUnreadable(FeedbackError):
    status, code = 500, "sso_secret_unreadable"


def _fernet(key: str) -> Fernet:
    derived = HKDF(algorithm=SHA256(), length=32, salt=None, info=_PURPOSE).derive(key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def _keys() -> list[Fernet]:
    config = current_app.config
    return [_fernet(k) for k in [config["SECRET_KEY"], *(config.get("SECRET_KEY_FALLBACKS") or [])]]


def seal(secret: str) -> str:
    """`secret` encrypted under the current secret key."""
    return _keys()[0].encrypt(secret.encode()).decode()


def unseal(sealed: str) -> str:
    """The secret back, from whichever of the app's keys sealed it."""
    try:
        return MultiFernet(_keys()).decrypt(sealed.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable(
            "The client secret was sealed with a secret key this server no longer has: "
            "enter it again in Settings → Single sign-on."
        ) from exc

"""Secrets kept at rest encrypted (Fernet) under a key derived from the app's secret key, so a
copy of the database alone does not hand them out.

Each purpose derives a key of its own (HKDF's info names it), so nothing sealed or signed for
one use opens another. The current secret key seals; the old ones listed in
SECRET_KEY_FALLBACKS still open what they sealed, until `reseal` moves it to the current one.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app


def _cipher(purpose: bytes) -> MultiFernet:
    config = current_app.config
    keys = [config["SECRET_KEY"], *(config.get("SECRET_KEY_FALLBACKS") or [])]
    return MultiFernet(
        [
            Fernet(
                base64.urlsafe_b64encode(
                    HKDF(algorithm=SHA256(), length=32, salt=None, info=purpose).derive(
                        key.encode()
                    )
                )
            )
            for key in keys
        ]
    )


def seal(secret: str, purpose: bytes) -> str:
    """`secret` encrypted under the current secret key."""
    return _cipher(purpose).encrypt(secret.encode()).decode()


def unseal(sealed: str, purpose: bytes) -> str | None:
    """The secret back, or None when no key this server has can open it."""
    try:
        return _cipher(purpose).decrypt(sealed.encode()).decode()
    except InvalidToken:
        return None


def reseal(sealed: str, purpose: bytes) -> str:
    """The same secret sealed under the current key (it may have been under an old one)."""
    return _cipher(purpose).rotate(sealed.encode()).decode()

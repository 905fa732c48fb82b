"""The secrets and codes of two-factor sign-in: TOTP (RFC 6238: SHA-1, 30 s, 6 digits) by
pyotp, the secret encrypted at rest, recovery codes made and hashed, and a typed code read."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

import pyotp
import segno

from feedback import sealing

ISSUER = "Feedback"
DIGITS = 6
INTERVAL = 30
# One step either side of now: an authenticator's clock a little off still signs in.
DRIFT_STEPS = 1
RECOVERY_COUNT = 10
# 12 characters of 31 (59 bits), none that reads as another (no i, l, o, 0, 1): far beyond
# guessing within the sign-in rate limits, so a plain SHA-256 of it is enough to store.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_LENGTH = 12


# The purpose the secret is sealed for (feedback.sealing): a key of its own.
_SEALED_FOR = b"feedback totp secret v1"


def encrypt(secret: str) -> str:
    return sealing.seal(secret, _SEALED_FOR)


def decrypt(token: str) -> str | None:
    """The secret, or None when no key in use can open it (SECRET_KEY changed entirely)."""
    return sealing.unseal(token, _SEALED_FOR)


def reseal(token: str) -> str:
    """The same secret encrypted under the current key (it may have been under an old one)."""
    return sealing.reseal(token, _SEALED_FOR)


def new_secret() -> str:
    """A fresh base32 secret of 160 bits, as RFC 4226 recommends."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, email: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL).provisioning_uri(
        name=email, issuer_name=ISSUER
    )


def qr_svg(uri: str) -> str:
    """The QR code of `uri` as an inline SVG element (made here: no outside request)."""
    qr = segno.make(uri, error="m")
    return qr.svg_inline(scale=4, dark="#111", light="#fff", title="QR code to scan")


def grouped(secret: str) -> str:
    """The secret in groups of four, easier to type into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def current_step(now: float | None = None) -> int:
    return int(now if now is not None else time.time()) // INTERVAL


def matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step whose code `code` is (within the drift allowed), or None."""
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL)
    step = current_step(now)
    for candidate in range(step - DRIFT_STEPS, step + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


def new_recovery_codes() -> list[str]:
    """Ten fresh recovery codes, as shown to the person (xxxx-xxxx-xxxx)."""
    codes = []
    for _ in range(RECOVERY_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        codes.append(f"{raw[:4]}-{raw[4:8]}-{raw[8:]}")
    return codes


def recovery_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


@dataclass(frozen=True)
class Typed:
    """What a person typed at the code prompt: an app's code or a recovery code."""

    totp: str | None = None
    recovery: str | None = None


def read_code(text: str | None) -> Typed | None:
    """Tell a six-digit code from a recovery code (spaces and dashes ignored); None when
    it is neither."""
    cleaned = "".join((text or "").split()).replace("-", "").lower()
    if len(cleaned) == DIGITS and cleaned.isascii() and cleaned.isdigit():
        return Typed(totp=cleaned)
    if len(cleaned) == _RECOVERY_LENGTH and all(c in _RECOVERY_ALPHABET for c in cleaned):
        return Typed(recovery=f"{cleaned[:4]}-{cleaned[4:8]}-{cleaned[8:]}")
    return None

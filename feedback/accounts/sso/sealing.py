"""The provider's client secret at rest, sealed (feedback.sealing) for this purpose alone.
Saving the settings again seals it anew under the current secret key."""

from __future__ import annotations

from feedback import sealing
from feedback.errors import FeedbackError

_PURPOSE = b"feedback: single sign-on client secret"


class SecretUnreadable(FeedbackError):
    status, code = 500, "sso_secret_unreadable"


def seal(secret: str) -> str:
    """`secret` encrypted under the current secret key."""
    return sealing.seal(secret, _PURPOSE)


def unseal(sealed: str) -> str:
    """The secret back, from whichever of the app's keys sealed it."""
    secret = sealing.unseal(sealed, _PURPOSE)
    if secret is None:
        raise SecretUnreadable(
            "The client secret was sealed with a secret key this server no longer has: "
            "enter it again in Settings → Single sign-on."
        )
    return secret

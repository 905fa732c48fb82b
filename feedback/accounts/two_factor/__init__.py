"""Two-factor sign-in: a TOTP authenticator app (RFC 6238) and one-time recovery codes, the
second step of signing in, and a workspace's requirement of it."""

from feedback.accounts.two_factor.service import enabled, must_enrol

__all__ = ["enabled", "must_enrol"]

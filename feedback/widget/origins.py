"""Which sites may call a workspace's public API from a browser: its allow-list, read and kept.

An entry is an origin (`https://app.example.com`), `*` for any site, or, in development only,
a loopback host with any port (`http://localhost:*`): a developer's page on whatever port their
dev server picked works at once, and a production server never takes calls from pages on the
machine of whoever visits it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from feedback.errors import Invalid

LOOPBACK_ANY_PORT = ("http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*")


def allows(allowed: Iterable[str], origin: str, development: bool) -> bool:
    """Whether a page at `origin` may call; loopback entries count only in development."""
    entries = {entry.rstrip("/") for entry in allowed}
    origin = origin.rstrip("/")
    if "*" in entries or origin in entries:
        return True
    if not development:
        return False
    any_port = _any_port(origin)
    return any_port in LOOPBACK_ANY_PORT and any_port in entries


def _any_port(origin: str) -> str | None:
    """`http://localhost:*` for `http://localhost:5173`; None when it is no origin."""
    try:
        parts = urlsplit(origin)
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError:
        return None
    host = parts.hostname or ""
    return f"{parts.scheme}://{f'[{host}]' if ':' in host else host}:*"


def clean_entry(value: Any, field: str, development: bool) -> str:
    """An allow-list entry as it is kept, or Invalid naming `field` and what to write."""
    if value == "*":
        return value
    if not isinstance(value, str) or len(value) > 300:
        raise Invalid("An origin is a string like https://app.example.com.", field)
    if value.rstrip("/") in LOOPBACK_ANY_PORT:
        if not development:
            raise Invalid(
                f"{value} (any port of this machine) is allowed only in development "
                "(FEEDBACK_ENV=development); name the port, e.g. http://localhost:3000.",
                field,
            )
        return value.rstrip("/")
    if value.rstrip("/").endswith(":*"):
        raise Invalid(
            f"{value!r}: only {', '.join(LOOPBACK_ANY_PORT)} may take any port (in "
            "development); name the port.",
            field,
        )
    example = f"{value!r} is not an origin like https://app.example.com"
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  (a port that is not a number from 0 to 65535 raises)
    except ValueError as exc:  # an unclosed "[" of an IPv6 address, or a bad port
        raise Invalid(f"{example}: {exc}.", field) from exc
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        raise Invalid(f"{example}.", field)
    return f"{parts.scheme}://{parts.netloc}"

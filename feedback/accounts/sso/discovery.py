"""Finding a provider from its issuer URL (OpenID Connect Discovery 1.0), and refusing one
whose document would not let a sign-in be checked."""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

import requests

from feedback.errors import Invalid

WELL_KNOWN = "/.well-known/openid-configuration"
TIMEOUT_SECONDS = 10
_NEEDED = ("authorization_endpoint", "token_endpoint", "jwks_uri")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def clean_issuer(issuer: Any) -> str:
    """The issuer as providers write it: https (plain http on loopback only, for a provider
    on this machine), no query or fragment, no trailing slash."""
    if not isinstance(issuer, str) or not issuer.strip() or len(issuer) > 500:
        raise Invalid("Enter the provider's issuer URL (at most 500 characters).", "issuer")
    text = issuer.strip().rstrip("/")
    parts = urlsplit(text)
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host or parts.query or parts.fragment:
        raise Invalid(
            "Enter an issuer URL such as https://login.example.com, with no ?query or #part.",
            "issuer",
        )
    if parts.scheme == "http" and not _loopback(host):
        raise Invalid("The issuer URL must start with https://.", "issuer")
    return text


def discovery_url(issuer: str) -> str:
    return issuer.rstrip("/") + WELL_KNOWN


def discover(issuer: str) -> dict[str, Any]:
    """The provider's discovery document, checked: it names this issuer and the endpoints a
    code flow with PKCE needs. Invalid (on the `issuer` field) says what is wrong. Its
    `issuer` is the one to keep: tokens name it exactly so, trailing slash or not."""
    url = discovery_url(issuer)
    try:
        answer = requests.get(url, timeout=TIMEOUT_SECONDS, allow_redirects=False)
    except requests.RequestException as exc:
        raise Invalid(
            f"Could not reach {url} ({type(exc).__name__}). Check the issuer URL, and that "
            "this server can reach the provider.",
            "issuer",
        ) from exc
    if answer.status_code != 200:
        raise Invalid(
            f"{url} answered HTTP {answer.status_code}, not the provider's discovery "
            "document. Check the issuer URL (for Keycloak it ends in /realms/NAME).",
            "issuer",
        )
    try:
        document = answer.json()
    except ValueError:
        document = None
    if not isinstance(document, dict):
        raise Invalid(f"{url} is not a JSON discovery document.", "issuer")
    if str(document.get("issuer", "")).rstrip("/") != issuer:
        raise Invalid(
            f"The provider calls itself {str(document.get('issuer'))[:200]!r}, not {issuer!r}: "
            "enter the issuer exactly as it does.",
            "issuer",
        )
    missing = [name for name in _NEEDED if not isinstance(document.get(name), str)]
    if missing:
        raise Invalid(f"The discovery document has no {missing[0]}.", "issuer")
    if "code" not in document.get("response_types_supported", ["code"]):
        raise Invalid("The provider does not offer the authorization code flow.", "issuer")
    # Providers that do not list their PKCE methods (Entra ID) accept S256 all the same.
    if "S256" not in document.get("code_challenge_methods_supported", ["S256"]):
        raise Invalid("The provider does not offer PKCE with S256.", "issuer")
    return document

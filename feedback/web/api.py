"""What every JSON endpoint needs: a strict body parser and the API-key guard."""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import g, request

from feedback.accounts.workspaces import authenticate_api_key
from feedback.errors import Forbidden, Malformed, Unauthorized

F = TypeVar("F", bound=Callable[..., Any])
MAX_DEPTH = 20
# An escaped UTF-16 surrogate: fine in a pair (an emoji), not alone. Checked only when seen.
_SURROGATE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _depth(value: Any, level: int = 0) -> int:
    if level > MAX_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level


def _constant(name: str) -> Any:
    raise Malformed(f"The body holds {name}, which is not JSON; send a number.")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999: valid JSON, but no column or answer holds it
        raise Malformed(f"The number {text[:40]} is too large.")
    return value


def json_body() -> Any:
    """The request's JSON, whatever its content type (beacons send text/plain)."""
    raw = request.get_data(cache=True)
    if not raw:
        raise Malformed("The request has no body; send a JSON object.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Malformed("The body is not valid UTF-8.") from exc
    try:
        # NaN and Infinity are Python's extensions to JSON: a float column refuses NaN, and an
        # answer that echoes Infinity is not JSON.
        value = json.loads(text, parse_constant=_constant, parse_float=_finite)
    except (ValueError, RecursionError) as exc:
        raise Malformed(f"The body is not valid JSON: {exc}.") from exc
    # Only a body with more brackets than levels allowed can be too deep: count them first.
    if text.count("{") + text.count("[") > MAX_DEPTH and _depth(value) > MAX_DEPTH:
        raise Malformed(f"The JSON is nested deeper than {MAX_DEPTH} levels.")
    if "\\u0000" in text:
        # No database column can hold it, and no person types it.
        raise Malformed("The body holds a NUL character (\\u0000), which no field accepts.")
    if _SURROGATE.search(text):
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as exc:
            raise Malformed("The body holds half of a UTF-16 surrogate pair.") from exc
    return value


def bearer_key() -> str:
    """The key of an `Authorization: Bearer <key>` header."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise Unauthorized("Send your API key as 'Authorization: Bearer <key>'.")
    return header.removeprefix("Bearer ").strip()


def basic_key() -> str:
    """The key sent as the user of HTTP basic auth, the password empty (as Delighted's
    clients send theirs)."""
    header = request.headers.get("Authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        raise Unauthorized("Send your API key as the user of HTTP basic auth.")
    try:
        user = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise Unauthorized("The basic auth header is not valid base64.") from exc
    return user.partition(":")[0].strip()


def require_key(scope: str = "read", presented: Callable[[], str] = bearer_key) -> Callable[[F], F]:
    """Authenticate a management call by its secret key; `write` for changes. `presented`
    reads the key from the request."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            key = authenticate_api_key(presented())
            if key is None:
                raise Unauthorized("The API key is unknown or revoked.")
            if scope not in key.scopes:
                raise Forbidden(f"The API key lacks the {scope!r} scope.")
            g.api_key = key
            g.workspace = key.workspace
            return view(*args, **kwargs)

        return cast(F, wrapper)

    return decorator

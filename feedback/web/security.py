"""Security headers: strict on the dashboard, none that would stop the widget being embedded."""

from __future__ import annotations

from flask import Flask, Response, request

from feedback.errors import Malformed

# Scripts only from our own origin (the survey preview runs the real widget from here);
# inline style attributes stay allowed for the bars drawn by width. No framing, no plugins.
DASHBOARD_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; form-action 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'"
)


def _holds_nul() -> bool:
    if "\x00" in request.path or b"%00" in request.query_string:
        return True
    if request.method == "POST" and request.mimetype in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        return any("\x00" in value for value in request.form.values())
    return False


def register_security_headers(app: Flask, strict: set[str]) -> None:
    """Headers on every answer; the dashboard's policy on the blueprints in `strict` (the pages a
    person signs in to and reads), none that would stop the widget loading on a host page."""

    @app.before_request
    def _refuse_nul() -> None:
        # No column can store a NUL character (PostgreSQL refuses it outright): refuse it at
        # the door with a clear answer, whichever part of the request carries it.
        if _holds_nul():
            raise Malformed("The request holds a NUL character (%00), which no field accepts.")

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if request.blueprint in strict:
            response.headers.setdefault("Content-Security-Policy", DASHBOARD_POLICY)
            response.headers.setdefault("X-Frame-Options", "DENY")
            response.headers.setdefault("Referrer-Policy", "same-origin")
            response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
            if app.config.get("SESSION_COOKIE_SECURE"):
                # Served over HTTPS: browsers should never try plain HTTP again.
                response.headers.setdefault(
                    "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
                )
        return response

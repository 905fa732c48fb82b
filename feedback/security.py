"""Security headers: strict on the dashboard, none that would stop the widget being embedded."""

from __future__ import annotations

from flask import Flask, Response, request

# Scripts only from our own origin (the survey preview runs the real widget from here);
# inline style attributes stay allowed for the bars drawn by width. No framing, no plugins.
DASHBOARD_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; form-action 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
# Pages a person signs in to and reads; the widget, the public API and the hosted pages set
# their own (the widget must load and post from any allowed site).
STRICT_BLUEPRINTS = frozenset({"dashboard", "home"})


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if request.blueprint in STRICT_BLUEPRINTS:
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

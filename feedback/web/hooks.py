"""What the public API runs without: a cookie session and the extensions' request hooks.

Flask-WTF (CSRF), Flask-Login (the remember cookie) and Flask-Limiter (limits declared on
views) each run a hook before or after every request, and every request opens a cookie
session. The public API takes no form and no cookie, nobody signs in there, and it counts its
own calls (feedback.widget.api), so there all of that would only decide to do nothing, and
deciding cost every recorded response more than storing its effect row.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

# The public API's paths (its blueprint adds the workspace's public key).
PUBLIC_PREFIX = "/api/public"


class Sessions(SecureCookieSessionInterface):
    """No cookie session on the public API: opening one would cost every recorded response a
    signing serializer. It is opened before the URL is matched, so it goes by the path."""

    def open_session(self, app: Flask, request: Any) -> SecureCookieSession | None:
        if request.path.startswith(PUBLIC_PREFIX + "/"):
            return None  # Flask makes a null session: reading it finds nothing
        return super().open_session(app, request)


def _ours(hook: Callable[..., Any]) -> bool:
    function = getattr(hook, "func", hook)  # a functools.partial names its function
    return getattr(function, "__module__", "").split(".")[0] == "feedback"


def keep_extensions_off(app: Flask, blueprint: str) -> None:
    """Run the extensions' app-wide hooks on every request except `blueprint`'s; the app's own
    hooks (security headers, the NUL check) still run everywhere. Call after every extension
    has registered its hooks."""

    def before(hook: Callable[[], Any]) -> Callable[[], Any]:
        def run() -> Any:
            return None if request.blueprint == blueprint else hook()

        return run

    def after(hook: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def run(response: Any) -> Any:
            return response if request.blueprint == blueprint else hook(response)

        return run

    def teardown(hook: Callable[[BaseException | None], Any]) -> Callable[..., Any]:
        def run(error: BaseException | None = None) -> None:
            if request.blueprint != blueprint:
                hook(error)

        return run

    for registry, wrap in (
        (app.before_request_funcs, before),
        (app.after_request_funcs, after),
        (app.teardown_request_funcs, teardown),
    ):
        hooks = registry.get(None, [])
        hooks[:] = [hook if _ours(hook) else wrap(hook) for hook in hooks]

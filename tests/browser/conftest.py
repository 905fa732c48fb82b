"""Real-browser fixtures: the app and the host page on two origins, and a headless Chromium.

The app runs on one port and host pages on another, so every widget call is a cross-origin
request that goes through the workspace's allow-list, as it does on a customer's site.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import make_server

from feedback import create_app
from feedback.accounts.workspaces import create_workspace
from feedback.extensions import db, writing
from feedback.responses.models import Display, Response
from feedback.surveys.service import create_survey
from tests.browser.helpers import SNIPPET
from tests.effects import apply_effects_after_requests

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


class _Server:
    """A WSGI app served from a thread on a free port of 127.0.0.1."""

    def __init__(self, wsgi: Callable[..., Any]) -> None:
        self.httpd = make_server("127.0.0.1", 0, wsgi, threaded=True)
        self.port = self.httpd.server_port
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.thread.join(timeout=5)


@dataclass
class Page:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    csp: str | None = None


@dataclass
class HostSite:
    """The customer's site: pages registered per test, served on their own origin."""

    pages: dict[str, Page] = field(default_factory=dict)
    port: int = 0

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def other_origin(self) -> str:
        """The same server under a name that no workspace allows."""
        return f"http://localhost:{self.port}"

    def add(
        self,
        path: str,
        body: str,
        content_type: str = "text/html; charset=utf-8",
        csp: str | None = None,
    ) -> str:
        self.pages[path] = Page(body.encode(), content_type, csp)
        return self.origin + path

    def wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        page = self.pages.get(environ.get("PATH_INFO", ""))
        if page is None:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        headers = [("Content-Type", page.content_type), ("Cache-Control", "no-store")]
        if page.csp:
            headers.append(("Content-Security-Policy", page.csp))
        start_response("200 OK", headers)
        return [page.body]


@dataclass
class Live:
    """The running app with its database, the host site, and what the app was asked."""

    app: Flask
    host: HostSite
    port: int
    calls: list[tuple[str, str, str, int]] = field(default_factory=list)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def query(self, fn: Callable[[], Any]) -> Any:
        with self.app.app_context():
            return fn()

    def responses(self, workspace_id: int) -> list[dict[str, Any]]:
        def load() -> list[dict[str, Any]]:
            rows = db.session.scalars(
                select(Response).where(Response.workspace_id == workspace_id)
            ).all()
            return [r.to_dict() | {"display_id": r.display_id} for r in rows]

        return self.query(load)

    def displays(self, workspace_id: int) -> list[Display]:
        def load() -> list[Display]:
            rows = db.session.scalars(
                select(Display).where(Display.workspace_id == workspace_id)
            ).all()
            db.session.expunge_all()
            return list(rows)

        return self.query(load)


def _recording(app: Flask, calls: list[tuple[str, str, str, int]]) -> Callable[..., Any]:
    """Wrap the app to note (method, path, origin, status) of every request."""

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        def start(status: str, headers: list[Any], *args: Any) -> Any:
            calls.append(
                (
                    environ["REQUEST_METHOD"],
                    environ.get("PATH_INFO", ""),
                    environ.get("HTTP_ORIGIN", ""),
                    int(status.split()[0]),
                )
            )
            return start_response(status, headers, *args)

        return app(environ, start)

    return wsgi


@contextmanager
def _serving(tmp: Path) -> Iterator[Live]:
    """An app on a fresh SQLite file, served on loopback with a host site beside it."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "t",
            "FEEDBACK_ENV": "development",  # serves /demo
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/b.sqlite3",
            # One browser signs in and answers for every test of the session, from one address.
            "FEEDBACK_LOGIN_RATE_LIMIT": "1000 per minute",
            "FEEDBACK_PUBLIC_RATE_LIMIT": "100000 per second",
            # Each step of a flow is checked on the page at once; keeping figures for a minute
            # is tested on its own (tests/dashboard, tests/services).
            "FEEDBACK_FIGURES_TTL": 0,
        }
    )
    with app.app_context():
        db.create_all()
    apply_effects_after_requests(app)
    site = HostSite()
    host_server = _Server(site.wsgi)
    site.port = host_server.port
    state = Live(app=app, host=site, port=0)
    app_server = _Server(_recording(app, state.calls))
    state.port = app_server.port
    app.config["FEEDBACK_BASE_URL"] = state.origin  # the demo page loads the widget from here
    yield state
    app_server.stop()
    host_server.stop()


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with _serving(tmp_path_factory.mktemp("browser")) as state:
        yield state


@pytest.fixture(scope="module")
def demo_live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """A server of its own holding the demo workspace, apart from the other tests' tenants."""
    from feedback.demo.seed import seed_demo_workspace

    with _serving(tmp_path_factory.mktemp("demo")) as state:
        state.query(lambda: seed_demo_workspace(responses=1500))
        yield state


@dataclass
class Tenant:
    id: int
    key: str
    surveys: dict[str, str]  # name -> public id


@pytest.fixture
def tenant(live: Live, request: pytest.FixtureRequest) -> Callable[..., Tenant]:
    """Make a workspace allowing the host origin, with surveys from definitions by name."""

    def make(surveys: dict[str, dict[str, Any]], **settings: Any) -> Tenant:
        def build() -> Tenant:
            with writing():
                return _build()

        def _build() -> Tenant:
            slug = f"ws-{uuid.uuid4().hex[:16]}"
            ws = create_workspace(request.node.name[:200], slug, allowed_origins=[live.host.origin])
            for name, value in settings.items():
                setattr(ws, name, value)
            ids = {name: create_survey(ws, spec).public_id for name, spec in surveys.items()}
            db.session.commit()
            return Tenant(ws.id, ws.public_key, ids)

        return live.query(build)

    return make


@pytest.fixture
def host_page(live: Live) -> Iterator[Callable[..., str]]:
    """Register a host page embedding the widget; returns its URL."""
    added: list[str] = []

    def make(
        key: str,
        body: str = "",
        script: str = "",
        head: str = "",
        path: str = "/app",
        csp: str | None = None,
    ) -> str:
        html = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Acme Analytics</title>{head}
<script>{SNIPPET.format(app=live.origin, key=key)}</script>
<script>{script}</script>
</head><body style="font-family: sans-serif; margin: 24px">
<h1>Acme Analytics</h1>
<nav><a href="#reports">Reports</a> <a href="#dashboards">Dashboards</a></nav>
<main>{body}</main>
</body></html>"""
        added.append(path)
        return live.host.add(path, html, csp=csp)

    yield make
    for path in added:
        live.host.pages.pop(path, None)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1024, "height": 720}, reduced_motion="reduce")
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


@dataclass
class Watched:
    """A page and what it said: console lines, uncaught errors and dialogs."""

    page: Any
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


@pytest.fixture
def watched(context: Any) -> Watched:
    page = context.new_page()
    seen = Watched(page)
    page.on("console", lambda m: seen.console.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: seen.errors.append(f"{e.message}\n{e.stack or ''}"))

    def on_dialog(dialog: Any) -> None:
        seen.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return seen


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Callable[..., Path]:
    """Save a screenshot under test-artifacts/, named after the test."""

    def save(page: Any, suffix: str = "", **options: Any) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        name = request.node.name.replace("[", "-").replace("]", "")
        path = ARTIFACTS / f"{name}{'-' + suffix if suffix else ''}.png"
        page.screenshot(path=str(path), **options)
        return path

    return save

"""The Flask application factory: a table of contents of the app."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from flask import Flask
from werkzeug.routing import IntegerConverter

from feedback import config as settings
from feedback import signing
from feedback.errors import MAX_ID
from feedback.extensions import (
    csrf,
    db,
    init_sqlite,
    limiter,
    limiter_storage_uri,
    login_manager,
    migrate,
)
from feedback.web.hooks import Sessions, keep_extensions_off
from feedback.web.security import register_security_headers
from feedback.web.uploads import Request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app; `config` overrides what the environment says (tests use it)."""
    app = App(
        __name__,
        instance_relative_config=True,
        template_folder=os.path.join(ROOT, "templates"),
    )
    app.request_class = Request
    app.session_interface = Sessions()
    app.config.from_mapping(settings.from_environment(app.instance_path))
    if config:
        app.config.update(config)
    signing.settle_secret_key(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        os.makedirs(app.instance_path, exist_ok=True)

    # An id in a path is the digits 0-9 and fits the database's integer columns, or the route
    # does not match (404): a larger number would otherwise reach the database and fail there.
    app.url_map.converters["int"] = RowId
    register_extensions(app)
    register_blueprints(app)
    register_errors(app)
    register_commands(app)
    if app.config["FEEDBACK_RUN_JOBS"] and not app.testing:
        from feedback.jobs import build_scheduler

        build_scheduler(app, blocking=False).start()
    return app


class App(Flask):
    """Flask, with each hook's and view's check for `async def` made once, not per call."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sync: dict[Callable[..., Any], Callable[..., Any]] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        found = self._sync.get(func)
        if found is None:
            found = self._sync[func] = super().ensure_sync(func)
        return found


class RowId(IntegerConverter):
    # Werkzeug's \d+ also matches other scripts' digits ("/cases/٣" would be case 3).
    regex = r"[0-9]+"

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def register_extensions(app: Flask) -> None:
    from feedback import schema  # noqa: F401  (every table known to the metadata)

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(ROOT, "migrations"))
    init_sqlite(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    app.config["RATELIMIT_STORAGE_URI"] = limiter_storage_uri(app.config["RATELIMIT_STORAGE_URI"])
    limiter.init_app(app)


def register_blueprints(app: Flask) -> None:
    """Each domain's pages, APIs and public routes."""
    from feedback.accounts import api as accounts_api
    from feedback.accounts import reset_views, settings_views
    from feedback.accounts import views as accounts_views
    from feedback.accounts.sso import views as sso_views
    from feedback.accounts.two_factor import views as two_factor_views
    from feedback.audit import api as audit_api
    from feedback.audit import views as audit_views
    from feedback.cases import api as cases_api
    from feedback.cases import rule_views as case_rule_views
    from feedback.cases import views as case_views
    from feedback.delighted import api as delighted_api
    from feedback.email import api as email_api
    from feedback.email import hosted
    from feedback.helpdesk import api as helpdesk_api
    from feedback.helpdesk import views as helpdesk_views
    from feedback.imports import views as imports_views
    from feedback.openapi import document, reference
    from feedback.responses import api as responses_api
    from feedback.responses import views as responses_views
    from feedback.scorecard import api as metrics_api
    from feedback.scorecard import kpi_api, target_views
    from feedback.scorecard import views as scorecard_views
    from feedback.surveys import api as surveys_api
    from feedback.surveys import views as surveys_views
    from feedback.themes import api as themes_api
    from feedback.themes import views as themes_views
    from feedback.web import home
    from feedback.web.pages import register_template_helpers
    from feedback.webhooks import api as webhooks_api
    from feedback.widget import api as widget_api
    from feedback.widget import script

    # Pages a person signs in to and reads: the dashboard's strict security headers.
    pages = (
        home,
        reference,
        scorecard_views,
        target_views,
        themes_views,
        responses_views,
        case_views,
        case_rule_views,
        helpdesk_views,
        surveys_views,
        settings_views,
        imports_views,
        audit_views,
        accounts_views,
        reset_views,
        two_factor_views,
        sso_views,
    )
    # Keys, not cookies, authenticate these: a forged cross-site request carries no key.
    apis = (
        widget_api,
        accounts_api,
        surveys_api,
        responses_api,
        metrics_api,
        kpi_api,
        themes_api,
        email_api,
        helpdesk_api,
        webhooks_api,
        cases_api,
        delighted_api,
        audit_api,
    )
    # Embedded in or linked from other sites: they set their own headers.
    public = (script, hosted, document)
    for module in apis:
        csrf.exempt(module.bp)
    for module in (*pages, *apis, *public):
        app.register_blueprint(module.bp)
    register_template_helpers(app)
    register_security_headers(app, strict={module.bp.name for module in pages})
    keep_extensions_off(app, widget_api.bp.name)


def register_errors(app: Flask) -> None:
    from feedback.errors import register_error_handlers

    register_error_handlers(app)


def register_commands(app: Flask) -> None:
    from feedback.cli import feedback_cli

    app.cli.add_command(feedback_cli)

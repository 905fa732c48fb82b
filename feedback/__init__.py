"""The Flask application factory: a table of contents of the app."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask
from werkzeug.routing import IntegerConverter

from feedback import config as settings
from feedback import signing
from feedback.errors import MAX_ID
from feedback.extensions import csrf, db, init_sqlite, limiter, login_manager, migrate
from feedback.security import register_security_headers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app; `config` overrides what the environment says (tests use it)."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=os.path.join(ROOT, "templates"),
    )
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
    register_security_headers(app)
    register_commands(app)
    if app.config["FEEDBACK_RUN_JOBS"] and not app.testing:
        from feedback.jobs import build_scheduler

        build_scheduler(app, blocking=False).start()
    return app


class RowId(IntegerConverter):
    # Werkzeug's \d+ also matches other scripts' digits ("/cases/٣" would be case 3).
    regex = r"[0-9]+"

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def register_extensions(app: Flask) -> None:
    from feedback import models  # noqa: F401  (every table known to the metadata)

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(ROOT, "migrations"))
    init_sqlite(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)


def register_blueprints(app: Flask) -> None:
    from feedback.api import cases, helpdesk, invites, kpis, manage, public, themes, webhooks
    from feedback.dashboard import bp as dashboard
    from feedback.home import bp as home
    from feedback.hosted import bp as hosted
    from feedback.openapi import bp as openapi_bp
    from feedback.reference import bp as reference
    from feedback.widget import bp as widget

    apis = (
        public.bp,
        manage.bp,
        themes.bp,
        invites.bp,
        helpdesk.bp,
        webhooks.bp,
        kpis.bp,
        cases.bp,
    )
    for api in apis:
        # Keys, not cookies, authenticate these: a forged cross-site request carries no key.
        csrf.exempt(api)
        app.register_blueprint(api)
    app.register_blueprint(home)
    app.register_blueprint(openapi_bp)
    app.register_blueprint(reference)
    app.register_blueprint(widget)
    app.register_blueprint(hosted)
    app.register_blueprint(dashboard)


def register_errors(app: Flask) -> None:
    from feedback.errors import register_error_handlers

    register_error_handlers(app)


def register_commands(app: Flask) -> None:
    from feedback.cli import feedback_cli

    app.cli.add_command(feedback_cli)

"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import os
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from feedback import create_app
from feedback.extensions import db
from tests.conftest import BASE_CONFIG, PG_URL, pg_config


@pytest.fixture(params=["sqlite", "postgres"])
def empty_app(request: pytest.FixtureRequest, tmp_path: Any) -> Any:
    if request.param == "postgres":
        request.getfixturevalue("pg_schema")
        schema = f"t_migrations_{os.getpid()}"
        engine = create_engine(PG_URL)
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        config = {**BASE_CONFIG, **pg_config(schema)}
    else:
        config = {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/m.sqlite3"}
    app = create_app(config)
    with app.app_context():
        yield app
        db.engine.dispose()
    if request.param == "postgres":
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        engine.dispose()


def test_upgrade_from_empty_matches_the_models(empty_app: Any) -> None:
    upgrade()
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == [], f"models and migrations disagree: {diff}"


def test_upgrade_installs_the_triggers_that_file_changed_days(empty_app: Any) -> None:
    """A migrated database files a change to a summed day, as one made by create_all does."""
    from datetime import datetime

    from feedback.models import RollupMark, RollupStale
    from feedback.services import surveys, workspaces
    from tests.factories import add_response

    upgrade()
    ws = workspaces.create_workspace("W", "w")
    survey = surveys.create_survey(ws, {"kind": "nps"})
    old = add_response(survey, 9, datetime(2026, 1, 5, 10))
    db.session.add(
        RollupMark(workspace_id=ws.id, timezone="UTC", rolled_until=datetime(2026, 2, 1))
    )
    db.session.commit()
    old.score, old.band = 3, "detractor"
    add_response(survey, 10, datetime(2026, 1, 9, 10))
    add_response(survey, 10, datetime(2026, 2, 3, 10))  # after the mark: not filed
    db.session.commit()
    days = db.session.scalars(db.select(RollupStale.day).order_by(RollupStale.day)).all()
    assert days == ["2026-01-05", "2026-01-09"]


def test_downgrade_to_base_removes_every_table(empty_app: Any) -> None:
    upgrade()
    downgrade(revision="base")
    tables = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
    assert tables == set()


def test_sqlite_runs_in_wal_with_foreign_keys(tmp_path: Any) -> None:
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/w.sqlite3"})
    with app.app_context():
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000
        db.engine.dispose()

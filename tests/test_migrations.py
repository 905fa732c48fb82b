"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Integer,
    MetaData,
    Numeric,
    Table,
    create_engine,
    inspect,
    text,
)

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
    from feedback.accounts import workspaces
    from feedback.metrics.models import RollupMark, RollupStale
    from feedback.surveys import service as surveys
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


def _insert(table_name: str, **values: Any) -> int:
    """A row as an older revision stores it: every NOT NULL column it does not name filled."""
    table = Table(table_name, MetaData(), autoload_with=db.engine)
    row: dict[str, Any] = {}
    for column in table.columns:
        if column.name in values or column.nullable or column.primary_key:
            continue
        kind = column.type
        if isinstance(kind, Boolean):
            row[column.name] = False
        elif isinstance(kind, Integer | Numeric):
            row[column.name] = 0
        elif isinstance(kind, DateTime):
            row[column.name] = datetime(2026, 1, 5, 10)
        elif isinstance(kind, JSON):
            row[column.name] = {}
        else:
            row[column.name] = f"{column.name}-{len(values)}"[: getattr(kind, "length", None)]
    with db.engine.begin() as conn:
        return conn.execute(table.insert().values(**row, **values).returning(table.c.id)).scalar()


def test_upgrade_keeps_only_the_addresses_an_invite_vouches_for(empty_app: Any) -> None:
    """Before 0010 any public call could set a respondent's email: only an address an invite
    went to for that respondent stays verified; the others become claims on their responses."""
    upgrade(revision="0009")
    ws = _insert("workspace", slug="w", public_key="pk_w", allowed_origins=[])
    survey = _insert("survey", workspace_id=ws, public_id="s1", kind="nps")
    invited = _insert("respondent", workspace_id=ws, external_id="u-1", email="ann@example.com")
    claimed = _insert("respondent", workspace_id=ws, external_id="u-2", email="evil@example.com")
    _insert(
        "email_invite",
        workspace_id=ws,
        survey_id=survey,
        respondent_id=invited,
        email="ann@example.com",
        secret="a" * 32,
        status="sent",
    )
    said = _insert(
        "response", workspace_id=ws, survey_id=survey, respondent_id=claimed, client_id="r-2"
    )
    case = _insert(
        "feedback_case", workspace_id=ws, response_id=said, respondent_id=claimed, survey_id=survey
    )
    waiting = _insert(
        "email_invite",
        workspace_id=ws,
        survey_id=survey,
        respondent_id=claimed,
        case_id=case,
        email="evil@example.com",
        secret="b" * 32,
        status="scheduled",
    )
    upgrade()
    with db.engine.connect() as conn:
        emails = dict(conn.execute(text("SELECT id, email FROM respondent")).all())
        response = conn.execute(
            text("SELECT claimed_email, identity FROM response WHERE id = :id"), {"id": said}
        ).one()
        invite = conn.execute(
            text("SELECT status, suppressed_reason FROM email_invite WHERE id = :id"),
            {"id": waiting},
        ).one()
        secret = conn.execute(text("SELECT identity_secret FROM workspace")).scalar()
        required = conn.execute(text("SELECT require_verified_identity FROM workspace")).scalar()
    assert emails == {invited: "ann@example.com", claimed: None}
    assert tuple(response) == ("evil@example.com", None)
    assert tuple(invite) == ("suppressed", "the address was not verified")
    assert secret and len(secret) == 64 and not required


def test_upgrade_makes_the_audit_log_append_only(empty_app: Any) -> None:
    """A migrated database refuses to change an audit entry, as one made by create_all does;
    the retention purge may still delete it."""
    from sqlalchemy.exc import DBAPIError

    upgrade()
    entry = _insert("audit_event", actor="ann@example.com", action="signin.failed")
    with pytest.raises(DBAPIError, match="cannot be changed"), db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_event SET actor = 'x' WHERE id = :id"), {"id": entry})
    with db.engine.begin() as conn:
        assert conn.execute(text("DELETE FROM audit_event")).rowcount == 1
    downgrade(revision="0016")
    assert "audit_event" not in inspect(db.engine).get_table_names()

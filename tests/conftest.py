"""Fixtures: a fresh app and database per test, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from flask import Flask, g, request_finished, request_started
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from feedback import create_app
from feedback.extensions import db
from tests.effects import apply_effects, apply_effects_after_requests

PG_URL = os.environ.get("FEEDBACK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"
REDIS_URL = os.environ.get("FEEDBACK_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def pytest_configure(config: pytest.Config) -> None:
    from tests.url_builders import reuse_url_builders

    reuse_url_builders()  # each test's create_app compiles no route already compiled


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The tests marked slow first: the workers start on them together, so that a minute-long
    # one is not begun last, while the other worker waits with nothing left to take.
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def postgres_available() -> bool:
    try:
        engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def pg_schema() -> Iterator[str]:
    """A schema of its own for this test worker, so parallel runs do not collide."""
    if not postgres_available():
        if IN_CI:
            pytest.fail(f"PostgreSQL is not reachable at {PG_URL}; CI needs it.")
        pytest.skip("PostgreSQL is not reachable")
    schema = f"t_{_worker()}_{os.getpid()}"  # concurrent runs on one server stay apart
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    yield schema
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    engine.dispose()


def pg_config(schema: str) -> dict[str, Any]:
    return {
        "SQLALCHEMY_DATABASE_URI": PG_URL,
        "SQLALCHEMY_ENGINE_OPTIONS": {
            "connect_args": {"options": f"-csearch_path={schema}"},
            "pool_pre_ping": True,
        },
    }


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The Redis server that shares rate-limit counts between processes."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError:
        if IN_CI:
            pytest.fail(f"Redis is not reachable at {REDIS_URL}; CI needs it.")
        pytest.skip("Redis is not reachable")
    return REDIS_URL


# Tests send far faster than any visitor; the rate-limit tests set their own low limits.
BASE_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test",
    "WTF_CSRF_ENABLED": True,
    "FEEDBACK_PUBLIC_RATE_LIMIT": "100000 per second",
}


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file with the full schema and no rows, made once; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "empty.sqlite3"
    template_app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with template_app.app_context():
        db.create_all()
        db.engine.dispose()  # the last connection closed folds the write-ahead log into the file
    assert not path.with_name(path.name + "-wal").exists()
    return path


@pytest.fixture(params=["sqlite", "postgres"])
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    """An app on an empty database with the full schema."""
    if request.param == "postgres":
        schema = request.getfixturevalue("pg_schema")
        config = {**BASE_CONFIG, **pg_config(schema)}
    else:
        # A copy of a file create_all made: the same schema, without building it again.
        database = tmp_path / "test.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), database)
        config = {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}"}
    flask_app = create_app(config)
    request_started.connect(_fresh_g, flask_app)
    apply_effects_after_requests(flask_app)
    with flask_app.app_context():
        if request.param == "postgres":
            db.create_all()  # once a worker; later tests find every table there, emptied
        yield flask_app
        db.session.remove()
        if request.param == "postgres":
            _empty_postgres()
        _close_held_connection()
        db.engine.dispose()


def _close_held_connection() -> None:
    # The write path keeps a driver connection out of the pool, which dispose() leaves open
    # until the engine is garbage: with tests this quick, enough wait for the collector to
    # reach PostgreSQL's limit of clients.
    from feedback import extensions

    held = getattr(extensions._held, "connections", {}).pop(db.engine, None)
    if held is not None:
        held.close()


# Sequences back to their first value, as TRUNCATE ... RESTART IDENTITY leaves them.
_RESTART_SEQUENCES = (
    "SELECT setval(s.seqrelid, s.seqstart, false) FROM pg_sequence s "
    "JOIN pg_class c ON c.oid = s.seqrelid WHERE c.relnamespace = current_schema()::regnamespace"
)


def _empty_postgres() -> None:
    """Leave the worker's schema as a fresh one: no rows, sequences restarted.

    DELETE rather than TRUNCATE: TRUNCATE makes new files for all forty tables, about half a
    second a test, while the tables a test fills hold a few rows. A delete fires the tables'
    triggers, which may file a row elsewhere (a deleted response marks its day stale), so the
    deletes are repeated until a pass finds every table empty.
    """
    # Children before their parents; read here, once create_app has imported every model.
    names = [table.name for table in reversed(db.metadata.sorted_tables)]
    deletes = "; ".join(f'DELETE FROM "{name}"' for name in names)
    filled = " UNION ALL ".join(f"(SELECT '{name}' FROM \"{name}\" LIMIT 1)" for name in names)
    with db.engine.begin() as conn:
        for _ in range(3):
            conn.exec_driver_sql(deletes)
            left = conn.exec_driver_sql(filled).scalars().all()
            if not left:
                break
        else:
            raise AssertionError(f"rows left after emptying the test schema: {left}")
        conn.exec_driver_sql(_RESTART_SEQUENCES)


@pytest.fixture
def effects_later(app: Flask) -> None:
    """Leave stored responses' effects to the job, as in production."""
    request_finished.disconnect(apply_effects, app)


def _fresh_g(_app: Flask, **_extra: Any) -> None:
    # The test holds one app context, which every request would share; in production each
    # request has its own `g` (signed-in user, CSRF token), so each test request does too.
    for name in list(g):
        g.pop(name)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


@pytest.fixture
def smtp(app: Flask) -> Iterator[Any]:
    """A loopback SMTP server the app sends to; `smtp.inbox.messages` is what arrived."""
    from tests.mail import SmtpServer

    server = SmtpServer()
    app.config.update(server.config(), FEEDBACK_BASE_URL="http://feedback.test")
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def resolver(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Name lookups answered from a table the test fills in: no test, and nothing a fuzzer
    generates (a webhook URL naming any host), ever asks a real DNS server."""
    import socket

    from tests.resolver import Resolver

    fake = Resolver()
    fake.add("localhost", ["127.0.0.1"])
    monkeypatch.setattr(socket, "getaddrinfo", fake.getaddrinfo)
    return fake


# argon2id at the lowest cost it accepts: one pass over 8 KiB instead of three over 64 MiB.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(autouse=True)
def password_cost(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Passwords hashed at the lowest argon2id cost, unless the test is marked
    `real_password_cost`: the product's cost takes a tenth of a second a hash, and a test that
    signs members in needs only that the hash is argon2id and checks the password. What the
    hashes cost is tested where it is marked (tests/accounts/test_password_hashes.py)."""
    from feedback.accounts import password_hashes

    # The hash unknown addresses are checked against is made anew in each test, at its cost.
    monkeypatch.setattr(password_hashes, "_decoy", [])
    if request.node.get_closest_marker("real_password_cost") is None:
        monkeypatch.setattr(password_hashes, "_HASHER", CHEAP_HASHER)

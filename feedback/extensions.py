"""Extensions are created here and bound to the app in create_app."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from limits.storage import MemoryStorage
from sqlalchemy import MetaData, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Sessions live for one request; keeping loaded values after commit saves a reload per row.
db = SQLAlchemy(
    metadata=MetaData(naming_convention=NAMING), session_options={"expire_on_commit": False}
)
migrate = Migrate()
login_manager = LoginManager()
login_manager.login_view = "accounts.login"
login_manager.login_message = "Sign in to see this page."


class SweptMemoryStorage(MemoryStorage):
    """limits' in-process counts, their expired keys swept by a caller at most once a second.

    The stock storage starts a timer thread to sweep them whenever the last one has ended, 10
    ms after it began: under load, a new thread for every few requests, which cost the public
    API more than counting did. A count is checked for expiry when it is read either way.
    """

    STORAGE_SCHEME = ["feedback+memory"]
    SWEEP_SECONDS = 1.0

    def __init__(self, uri: str | None = None, **options: Any) -> None:
        super().__init__(uri, **options)
        self._swept = time.monotonic()

    def _MemoryStorage__schedule_expiry(self) -> None:  # the stock storage's hook, by name
        now = time.monotonic()
        if now - self._swept >= self.SWEEP_SECONDS:
            self._swept = now
            self._MemoryStorage__expire_events()


def limiter_storage_uri(configured: str) -> str:
    """The storage for RATELIMIT_STORAGE_URI: memory:// counts in the swept storage above."""
    return "feedback+memory://" if configured == "memory://" else configured


# Storage from RATELIMIT_STORAGE_URI: memory:// alone, redis://… when several processes serve.
limiter = Limiter(key_func=get_remote_address)
# Every HTML form carries a token; the JSON APIs are exempted in create_app (they authenticate
# by key, not by cookie, so a cross-site form cannot act for anyone).
csrf = CSRFProtect()


def upsert(table: Any) -> Any:
    """An INSERT that can say ON CONFLICT, for the dialect in use (SQLite or PostgreSQL)."""
    if db.engine.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


# Set while a service runs its writes (see `writing`): on SQLite the next transaction then
# takes the write lock at BEGIN, instead of every transaction taking it.
_write_intent: ContextVar[bool] = ContextVar("write_intent", default=False)


class _WriteLock:
    """One writer at a time across threads and processes, handed over without polling.

    SQLite's busy handler sleeps 1, 2, 5, 10 ms... between tries, so under load two workers
    waste most of their time asleep; a file lock wakes the next writer the moment it is free.
    """

    def __init__(self, path: str | None) -> None:
        self.path = path
        self.thread_lock = threading.Lock()
        # One descriptor per process (a forked worker opens its own): flock belongs to the
        # open file, and opening it for every transaction cost as much as the write.
        self._fd: tuple[int, int] | None = None
        self.local = threading.local()

    def _descriptor(self) -> int:
        if self._fd is None or self._fd[0] != os.getpid():
            self._fd = (os.getpid(), os.open(self.path or "", os.O_RDWR | os.O_CREAT, 0o600))
        return self._fd[1]

    def acquire(self) -> None:
        self.thread_lock.acquire()
        if self.path:
            try:
                fcntl.flock(self._descriptor(), fcntl.LOCK_EX)
            except BaseException:
                self.thread_lock.release()
                raise
        self.local.held = True

    def release(self) -> None:
        """Let the next writer in, if this thread holds the lock."""
        if not getattr(self.local, "held", False):
            return
        self.local.held = False
        if self.path and self._fd is not None:
            fcntl.flock(self._fd[1], fcntl.LOCK_UN)
        self.thread_lock.release()


_locks: dict[str | None, _WriteLock] = {}


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _release_write_locks(_session: Session) -> None:
    # After the COMMIT itself: releasing at the engine's "commit" event would come too early.
    for lock in _locks.values():
        lock.release()


@contextmanager
def writing() -> Iterator[None]:
    """Run the enclosed statements as one short write transaction.

    Reads done before stay in their own transaction (ended here), so on SQLite the write lock
    is held only for the writes themselves; on PostgreSQL this changes nothing.
    """
    if db.engine.dialect.name != "sqlite":
        yield
        return
    db.session.commit()
    token = _write_intent.set(True)
    try:
        yield
    except BaseException:
        db.session.rollback()
        raise
    finally:
        _write_intent.reset(token)


# One driver connection per thread and engine for `driver_transaction`, kept between
# requests: taking one from the pool would first ping PostgreSQL, a round trip as long as
# the write itself.
_held = threading.local()


def _held_connection(engine: Any) -> Any:
    connections = getattr(_held, "connections", None)
    if connections is None:
        connections = _held.connections = weakref.WeakKeyDictionary()
    connection = connections.get(engine)
    if connection is None:
        connection = connections[engine] = engine.raw_connection()
    return connection


@contextmanager
def driver_transaction() -> Iterator[Any]:
    """A driver connection outside the session, for a write path whose cost would otherwise be
    mostly the ORM's; what the block writes is committed when it ends.

    On SQLite the block holds the write lock in a BEGIN IMMEDIATE transaction, as `writing`
    does. On PostgreSQL the connection is in autocommit mode: each statement is its own
    transaction, so such a path writes everything it must in one statement, one round trip.
    A connection the server closed is dropped and StaleConnection raised: run the block again.
    """
    engine = db.engine
    connection = _held_connection(engine)
    driver = connection.driver_connection
    try:
        if engine.dialect.name == "sqlite":
            lock = _locks[_lock_path(engine)]
            lock.acquire()
            try:
                driver.execute("BEGIN IMMEDIATE")
                try:
                    yield driver
                    driver.execute("COMMIT")
                except BaseException:
                    driver.execute("ROLLBACK")
                    raise
            finally:
                lock.release()
        else:
            driver.autocommit = True
            yield driver
    except engine.dialect.loaded_dbapi.Error as error:
        if not engine.dialect.is_disconnect(error, driver, None):
            raise
        # The server closed it (a restart, an idle timeout): nothing was written on it.
        _held.connections.pop(engine, None)
        connection.invalidate()
        raise StaleConnection(str(error)) from error


def checkpoint_wal() -> tuple[int, int]:
    """Copy SQLite's write-ahead log into the database file without waiting for or blocking
    any reader or writer (a PASSIVE checkpoint): (pages in the log, pages of it now in the
    file). Nothing to do elsewhere: (0, 0).

    Run by the job runner: a commit that checkpoints by itself copies a thousand pages while
    the write lock waits, and the same hot pages are copied again at every checkpoint.
    """
    if db.engine.dialect.name != "sqlite":
        return 0, 0
    connection = db.engine.raw_connection()
    try:
        _busy, logged, copied = connection.driver_connection.execute(
            "PRAGMA wal_checkpoint(PASSIVE)"
        ).fetchone()
    finally:
        connection.close()
    return max(0, logged), max(0, copied)  # -1 each when the file is not in WAL mode


class StaleConnection(Exception):
    """A held connection the server had closed: the block may run again on a new one."""


def _lock_path(engine: Any) -> str | None:
    """The file whose lock a SQLite database's writers take turns on; None in memory."""
    database = engine.url.database
    return database + ".write-lock" if database and database != ":memory:" else None


def init_sqlite(app: Flask) -> None:
    """WAL, a busy timeout, foreign keys and real transactions on SQLite engines."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        return
    busy_ms = int(app.config["FEEDBACK_SQLITE_BUSY_MS"])
    # Below 1 SQLite would never checkpoint by itself: a log growing for ever without a runner.
    checkpoint_pages = max(1, int(app.config["FEEDBACK_SQLITE_CHECKPOINT_PAGES"]))
    path = _lock_path(engine)
    lock = _locks.setdefault(path, _WriteLock(path))

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # Take transaction control from the driver so SAVEPOINT and BEGIN IMMEDIATE work.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # WAL lets readers work while a response is written; the busy timeout turns lock
        # contention with other programs into a short wait instead of an error.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # The job runner copies the log into the database every few seconds
        # (`checkpoint_wal`), so a response's commit seldom does it itself; past this many
        # pages (no runner, or one far behind) the commit that crosses it still does.
        cursor.execute(f"PRAGMA wal_autocheckpoint={checkpoint_pages}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        if _write_intent.get():
            # IMMEDIATE takes the write lock up front: the writes cannot fail half-way with
            # "database is locked" because another worker wrote meanwhile.
            lock.acquire()
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            except Exception:
                lock.release()
                raise
        else:
            conn.exec_driver_sql("BEGIN")

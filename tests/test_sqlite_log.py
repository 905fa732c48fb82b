"""SQLite's write-ahead log: the job runner copies it into the database file, and without a
runner it still stays within the size the settings allow."""

from __future__ import annotations

import shutil
from pathlib import Path

from flask import Flask

from feedback import create_app, jobs
from feedback.extensions import checkpoint_wal, db
from tests.conftest import BASE_CONFIG
from tests.factories import make_survey, make_tenant


def _answer(app: Flask, count: int) -> None:
    client = app.test_client()
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps").public_id
    for n in range(count):
        score = n % 7  # a detractor's follow-up is "improve"
        body = {"survey": survey, "score": score, "answers": {"improve": f"Comment {n}"}}
        assert client.put(t.public(f"/responses/log-{n:06d}"), json=body).status_code == 201
    db.session.remove()  # no read left open: a checkpoint cannot pass a reader's snapshot


def _sqlite_app(template: Path, folder: Path, **config: object) -> Flask:
    database = folder / "log.sqlite3"
    shutil.copyfile(template, database)
    return create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}", **config})


def test_the_job_runner_copies_the_log_into_the_database_file(app: Flask) -> None:
    if db.engine.dialect.name != "sqlite":
        assert jobs.checkpoint_database() == 0  # nothing to copy on a server database
        return
    _answer(app, 40)
    copied = jobs.checkpoint_database()
    assert copied > 40  # every answer wrote pages of its own
    logged, done = checkpoint_wal()  # nothing left to copy: the figures only
    assert done == logged  # the whole log is in the database file


def test_without_a_runner_the_log_stays_within_its_setting(
    sqlite_template: Path, tmp_path: Path
) -> None:
    pages = 40
    sizes = {}
    for setting in (pages, 1_000_000):
        folder = tmp_path / str(setting)
        folder.mkdir()
        app = _sqlite_app(sqlite_template, folder, FEEDBACK_SQLITE_CHECKPOINT_PAGES=setting)
        with app.app_context():
            _answer(app, 60)
            sizes[setting] = (folder / "log.sqlite3-wal").stat().st_size
            db.engine.dispose()
    page = 4096 + 24  # a page and its frame header
    # 60 answers write hundreds of pages; the log restarts once past the setting.
    assert sizes[1_000_000] > 10 * pages * page
    assert sizes[pages] < 3 * pages * page

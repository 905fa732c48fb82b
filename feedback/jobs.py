"""Background jobs (APScheduler): thin wrappers that give each service an app context.

`flask feedback worker` runs them in a process of their own; with FEEDBACK_RUN_JOBS=true (as
`make run` sets) they run inside the web process instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from feedback.cases import mail, opening, resurveys
from feedback.email import delivery, digest, score_clicks
from feedback.extensions import checkpoint_wal, db
from feedback.imports import running as imports
from feedback.metrics import refresh
from feedback.responses import effects, retention
from feedback.scorecard import review
from feedback.themes import analysis, training
from feedback.webhooks import delivery as webhook_delivery

log = logging.getLogger(__name__)


def drain(batch: Callable[[], int], batches: int) -> int:
    """Run `batch` until it handles nothing or `batches` runs are done, so other jobs get
    their turn; the number handled."""
    total = 0
    for _ in range(batches):
        handled = batch()
        total += handled
        if handled == 0:
            break
    return total


def analyse_comments(batches: int = 20) -> int:
    """Analyse waiting comments, a few batches per run."""
    return drain(analysis.analyse_pending, batches)


def apply_response_effects(batches: int = 25) -> int:
    """Open the cases and queue the webhook events of the responses just stored."""
    return drain(effects.apply_pending, batches)


def route_cases(batches: int = 10) -> int:
    """Give newly opened cases their owner, a few batches per run."""
    return drain(opening.route_new_cases, batches)


def train_models() -> None:
    """Train the workspaces that asked for it or gathered enough new labels."""
    for workspace in training.due_for_training():
        try:
            result = training.train_workspace(workspace)
            log.info("training %s: %s", workspace.slug, result.get("status"))
        except Exception:
            db.session.rollback()
            log.exception("training %s failed", workspace.slug)


def send_due_invites(batches: int = 10) -> int:
    """Mail the invites whose time has come, a few batches per run."""
    return drain(delivery.send_due_invites, batches)


def count_score_clicks() -> int:
    """Record the scores clicked in mails whose scanner window has passed."""
    return score_clicks.count_clicks()


def send_reminders() -> int:
    """Remind, once, those who neither answered nor unsubscribed."""
    return delivery.send_reminders()


def send_case_replies(batches: int = 10) -> int:
    """Mail the replies written on cases, a few batches per run."""
    return drain(mail.send_case_replies, batches)


def send_resurveys() -> int:
    """Invite the respondents of resolved cases whose re-survey is due."""
    return resurveys.send_resurveys()


def deliver_webhooks(batches: int = 10) -> int:
    """Post the webhook events that are due, a few batches per run."""
    return drain(webhook_delivery.deliver_due, batches)


def send_digest(now: datetime | None = None) -> int:
    """Mail each workspace's weekly digest once it is due (Monday 08:00, local time), with each
    KPI owner's weekly review."""
    return digest.send_due_digests(now, reviews=review.digest_reviews)


def refresh_rollups() -> int:
    """Sum the days that closed or changed into each workspace's daily sums."""
    return refresh.refresh_all()


def run_imports() -> int:
    """Run the oldest queued import of a history file (one per run: it may take minutes)."""
    return imports.run_queued()


def checkpoint_database() -> int:
    """Copy SQLite's write-ahead log into the database file, off the responses' path."""
    return checkpoint_wal()[1]


def purge_old_data() -> dict[str, int]:
    """Delete responses, displays, deliveries and audit entries older than each workspace's
    retention."""
    return retention.purge_old_data()


JOBS: dict[str, tuple[Callable[[], Any], int]] = {
    # Each run drains what waits, so a stored score has its case within about a second.
    "apply_response_effects": (apply_response_effects, 1),
    "analyse_comments": (analyse_comments, 2),
    "route_cases": (route_cases, 2),
    "train_models": (train_models, 300),
    "send_due_invites": (send_due_invites, 30),
    "count_score_clicks": (count_score_clicks, 5),
    "send_reminders": (send_reminders, 600),
    "send_case_replies": (send_case_replies, 5),
    "send_resurveys": (send_resurveys, 60),
    "deliver_webhooks": (deliver_webhooks, 10),
    # A due check every 15 minutes finds each workspace's Monday 08:00 in its own timezone.
    "send_digest": (send_digest, 900),
    "purge_old_data": (purge_old_data, 3600),
    "refresh_rollups": (refresh_rollups, 60),
    "run_imports": (run_imports, 5),
    "checkpoint_database": (checkpoint_database, 2),
}


def _in_context(app: Flask, job: Callable[[], Any]) -> Callable[[], None]:
    def run() -> None:
        with app.app_context():
            try:
                job()
            except Exception:
                db.session.rollback()
                log.exception("job %s failed", job.__name__)
            finally:
                db.session.remove()

    return run


def build_scheduler(app: Flask, blocking: bool) -> BaseScheduler:
    # A long batch makes the next tick wait; APScheduler would warn about it every 2 seconds.
    logging.getLogger("apscheduler.scheduler").setLevel(logging.ERROR)
    scheduler: BaseScheduler = BlockingScheduler() if blocking else BackgroundScheduler(daemon=True)
    for name, (job, seconds) in JOBS.items():
        scheduler.add_job(
            _in_context(app, job),
            "interval",
            seconds=seconds,
            id=name,
            max_instances=1,
            coalesce=True,
        )
    return scheduler

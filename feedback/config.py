"""Settings, read from the environment in one place."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

PREFIX = "FEEDBACK_"


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(PREFIX + name, default)


def _int(name: str, default: int) -> int:
    raw = _env(name)
    return int(raw) if raw not in (None, "") else default


def _bool(name: str, default: bool) -> bool:
    raw = _env(name)
    if raw in (None, ""):
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _list(name: str) -> list[str]:
    return [item.strip() for item in (_env(name, "") or "").split(",") if item.strip()]


def from_environment(instance_path: str) -> dict[str, Any]:
    """Build the Flask config mapping from FEEDBACK_* variables, with safe local defaults."""
    default_db = "sqlite:///" + str(Path(instance_path) / "feedback.sqlite3")
    database_url = _env("DATABASE_URL", default_db) or default_db
    base_url = _env("BASE_URL", "http://127.0.0.1:5000") or "http://127.0.0.1:5000"
    # Behind https, cookies never travel in the clear (FEEDBACK_SECURE_COOKIES can force it).
    secure = _bool("SECURE_COOKIES", base_url.startswith("https://"))
    return {
        # "development" is what `make run` sets: a key of its own kept under instance/, and the
        # demo host page. Anything else is production and must be given a key.
        "FEEDBACK_ENV": (_env("ENV", "production") or "production").strip().lower(),
        "SECRET_KEY": _env("SECRET_KEY") or None,
        # Older keys still accepted while links signed with them are alive (rotation).
        "SECRET_KEY_FALLBACKS": _list("SECRET_KEY_FALLBACKS"),
        # A signed-in session lasts this long at most, however active.
        "FEEDBACK_SESSION_HOURS": _int("SESSION_HOURS", 24 * 14),
        "SQLALCHEMY_DATABASE_URI": database_url,
        # A server connection may die between requests; a file never does, so no ping there.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": not database_url.startswith("sqlite")},
        # A public request bigger than this is refused with 413 before it is parsed.
        "MAX_CONTENT_LENGTH": _int("MAX_BODY_BYTES", 64 * 1024),
        "FEEDBACK_MAX_TEXT_LENGTH": _int("MAX_TEXT_LENGTH", 5000),
        "FEEDBACK_MAX_ANSWERS": _int("MAX_ANSWERS", 20),
        "FEEDBACK_MAX_CONTEXT_KEYS": _int("MAX_CONTEXT_KEYS", 50),
        "FEEDBACK_MAX_CONTEXT_VALUE": _int("MAX_CONTEXT_VALUE", 500),
        "FEEDBACK_LOW_N": _int("LOW_N", 30),
        "FEEDBACK_PAGE_SIZE_MAX": _int("PAGE_SIZE_MAX", 500),
        "FEEDBACK_BASE_URL": base_url,
        "FEEDBACK_SQLITE_BUSY_MS": _int("SQLITE_BUSY_MS", 10000),
        # Log pages after which a commit copies the log into the database itself (SQLite).
        "FEEDBACK_SQLITE_CHECKPOINT_PAGES": _int("SQLITE_CHECKPOINT_PAGES", 10000),
        "FEEDBACK_LOOKUP_TTL": _int("LOOKUP_TTL", 5),
        "FEEDBACK_FIGURES_TTL": _int("FIGURES_TTL", 60),
        "FEEDBACK_MIN_LABELS": _int("MIN_LABELS", 150),
        # Theme discovery: a topic needs this many comments in the period to be offered, and
        # is compared with this many periods before it (one alone is too few to tell a new
        # topic of a handful of comments from chance).
        "FEEDBACK_TOPIC_MIN_COUNT": _int("TOPIC_MIN_COUNT", 5),
        "FEEDBACK_TOPIC_BASELINE_PERIODS": _int("TOPIC_BASELINE_PERIODS", 4),
        "FEEDBACK_MODEL_DIR": _env("MODEL_DIR", str(Path(instance_path) / "models")),
        # Uploaded history files waiting for the worker, and the reports of refused rows.
        "FEEDBACK_IMPORT_DIR": _env("IMPORT_DIR", str(Path(instance_path) / "imports")),
        # A history file uploaded in Settings may be this large (every other body: above).
        "FEEDBACK_MAX_IMPORT_BYTES": _int("MAX_IMPORT_BYTES", 200 * 1024 * 1024),
        "FEEDBACK_EMBEDDINGS_PATH": _env("EMBEDDINGS_PATH", ""),
        "FEEDBACK_RUN_JOBS": _bool("RUN_JOBS", False),
        # Email: no SMTP host means invites wait, unsent, until one is configured.
        "FEEDBACK_SMTP_HOST": _env("SMTP_HOST", "") or "",
        "FEEDBACK_SMTP_PORT": _int("SMTP_PORT", 587),
        "FEEDBACK_SMTP_USER": _env("SMTP_USER", "") or "",
        "FEEDBACK_SMTP_PASSWORD": _env("SMTP_PASSWORD", "") or "",
        "FEEDBACK_SMTP_STARTTLS": _bool("SMTP_STARTTLS", True),
        "FEEDBACK_SMTP_TIMEOUT": _int("SMTP_TIMEOUT", 20),
        "FEEDBACK_MAIL_FROM": _env("MAIL_FROM", "feedback@localhost") or "feedback@localhost",
        "FEEDBACK_INVITE_DAYS": _int("INVITE_DAYS", 28),
        "FEEDBACK_REMINDER_DAYS": _int("REMINDER_DAYS", 3),
        # A score clicked in a mail counts once this long has passed without another score of
        # the same mail being opened: link scanners open them all within seconds.
        "FEEDBACK_SCORE_CLICK_SECONDS": _int("SCORE_CLICK_SECONDS", 10),
        # Helpdesk CSAT: the mail goes this long after the ticket is solved.
        "FEEDBACK_HELPDESK_DELAY_HOURS": _int("HELPDESK_DELAY_HOURS", 24),
        # Outgoing webhooks to private, loopback or link-local addresses are refused unless
        # this is set: otherwise anyone with a key could make the server probe its own network.
        "FEEDBACK_WEBHOOKS_ALLOW_PRIVATE": _bool("WEBHOOKS_ALLOW_PRIVATE", False),
        "FEEDBACK_WEBHOOK_TIMEOUT": _int("WEBHOOK_TIMEOUT", 5),
        # A low score's case waits this long for its comment to be analysed before routing
        # without it: the comment usually follows the score within seconds.
        "FEEDBACK_CASE_SETTLE_SECONDS": _int("CASE_SETTLE_SECONDS", 120),
        # Where a respondent's mail reply to a case reply goes, when a mailbox is set up for it.
        "FEEDBACK_CASE_REPLY_TO": _env("CASE_REPLY_TO", "") or "",
        # A worker that dies mid-batch leaves its claim; after this long another takes over.
        "FEEDBACK_ANALYSIS_CLAIM_SECONDS": _int("ANALYSIS_CLAIM_SECONDS", 600),
        "FEEDBACK_EMAIL_CLAIM_SECONDS": _int("EMAIL_CLAIM_SECONDS", 900),
        "FEEDBACK_WEBHOOK_CLAIM_SECONDS": _int("WEBHOOK_CLAIM_SECONDS", 300),
        # Calls to the public API per visitor address and workspace: far above what a widget,
        # a hosted page or an email click sends, low enough to blunt a flood from one address.
        "FEEDBACK_PUBLIC_RATE_LIMIT": _env("PUBLIC_RATE_LIMIT", "600 per minute;60 per second"),
        # Sign-in attempts per address: enough for a typo or two, too few to guess passwords.
        "FEEDBACK_LOGIN_RATE_LIMIT": _env("LOGIN_RATE_LIMIT", "10 per minute"),
        # Password reset requests, per client address and per email address asked about: a
        # person who lost a mail asks again, a script filling someone's inbox is stopped.
        "FEEDBACK_RESET_RATE_LIMIT": _env("RESET_RATE_LIMIT", "10 per hour"),
        "FEEDBACK_RESET_ADDRESS_RATE_LIMIT": _env("RESET_ADDRESS_RATE_LIMIT", "3 per hour"),
        # Failed sign-ins to no account are logged in no workspace; kept this many days.
        "FEEDBACK_UNSCOPED_AUDIT_DAYS": _int("UNSCOPED_AUDIT_DAYS", 90),
        "RATELIMIT_STORAGE_URI": _env("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure,
        "REMEMBER_COOKIE_SECURE": secure,
    }

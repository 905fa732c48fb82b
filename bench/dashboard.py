"""Dashboard speed: every page's server time on a workspace of N responses (default 1,000,000).

Builds the workspace with bulk inserts (SQLite file and, unless skipped, PostgreSQL), signs in
through the login form and times each page (and GET /api/v1/scorecard) with the Flask test
client (server time only), next to a trivial page as the reference. Target: every one within
500 ms. Last line: one JSON object.
With --cold the kept figures are off (FEEDBACK_FIGURES_TTL 0) and each page's first request is
timed, as a page is first seen after the cache expires.
With --without-read-indexes the response table's read indexes are dropped before the workspace
is built (its unique key stays): what storing each response with fewer indexes, as an ingest
rate closer to a plain table's would need (bench/ingest.py, the required floor), costs the pages.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Every app this run starts (in process or served) signs with one random key of its own.
os.environ.setdefault("FEEDBACK_SECRET_KEY", secrets.token_urlsafe(48))
sys.path.insert(0, ROOT)

from sqlalchemy import insert, text  # noqa: E402

from bench.read_indexes import drop_read_indexes  # noqa: E402
from feedback import create_app  # noqa: E402
from feedback.accounts import workspaces  # noqa: E402
from feedback.accounts.models import User  # noqa: E402
from feedback.cases.models import Case  # noqa: E402
from feedback.database import utcnow  # noqa: E402
from feedback.extensions import db  # noqa: E402
from feedback.metrics import refresh as rollups  # noqa: E402
from feedback.responses.models import Response  # noqa: E402
from feedback.surveys import service as surveys  # noqa: E402
from feedback.surveys.kinds import band_for  # noqa: E402
from feedback.themes.models import ResponseTheme, Theme  # noqa: E402
from nlp.discover import phrase_sets  # noqa: E402

PG_URL = os.environ.get(
    "FEEDBACK_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
SCHEMA = "bench_dashboard"
PAGES = [
    "/app/",
    "/app/verbatims",
    "/app/agents",
    "/app/themes",
    "/app/surveys",
    "/app/settings",
    "/app/cases",
    "/app/cases/all",
    "/app/cases/all?status=active&theme=pricing",
    "/app/cases/rules",
    "/app/cases/1",
    "/api/v1/scorecard",
]
TARGET_MS = 500
WORDS = [
    "slow",
    "price",
    "support",
    "export",
    "crash",
    "setup",
    "invoice",
    "mobile",
    "great",
    "love",
]


def build(n: int, rng: random.Random) -> None:
    ws = workspaces.create_workspace("Bench", "bench", "UTC")
    workspaces.add_user(ws, "bench@example.com", "bench-password", "owner")
    by_kind = {k: surveys.create_survey(ws, {"kind": k}) for k in ("nps", "csat", "psat", "ces")}
    db.session.commit()
    rows = db.session.scalars(db.select(Theme).where(Theme.workspace_id == ws.id)).all()
    themes = [t.id for t in rows]
    other = next(t.id for t in rows if t.slug == "other")
    now = utcnow()
    batch, tags, next_id = [], [], 1
    for _ in range(n):
        kind = rng.choices(("nps", "csat", "psat", "ces"), (4, 3, 2, 1))[0]
        survey = by_kind[kind]
        score = rng.randint(survey.scale["min"], survey.scale["max"])
        commented = rng.random() < 0.4
        batch.append(
            {
                "id": next_id,
                "workspace_id": ws.id,
                "survey_id": survey.id,
                "client_id": uuid.UUID(int=rng.getrandbits(128)).hex,
                "channel": "widget",
                "kind": kind,
                "question": survey.question,
                "score": score,
                "band": band_for(kind, survey.scale, score),
                "answers": {},
                "comment": " ".join(rng.choices(WORDS, k=8)) if commented else None,
                "plan": rng.choice(("Free", "Pro", "Enterprise")),
                "agent": f"agent {rng.randint(1, 40)}" if kind == "csat" else None,
                "team": f"team {rng.randint(1, 6)}" if kind == "csat" else None,
                "context": {},
                "nlp_status": "done" if commented else "none",
                "phrases": None,
                "submitted_at": now - timedelta(seconds=rng.randint(0, 182 * 86400)),
                "updated_at": now,
            }
        )
        if commented:
            theme_id = rng.choice(themes)
            if theme_id == other:
                # Analysis stores the phrases of every comment; discovery reads the uncovered.
                batch[-1]["phrases"] = phrase_sets([batch[-1]["comment"]])[0]
            tags.append(
                {
                    "workspace_id": ws.id,
                    "response_id": next_id,
                    "theme_id": theme_id,
                    "sentiment": rng.choice(("positive", "negative", "neutral")),
                    "confidence": 0.9,
                    "evidence": [],
                    "source": "auto",
                    "removed": False,
                    "created_at": now,
                }
            )
        next_id += 1
        if len(batch) >= 20000:
            db.session.execute(insert(Response), batch)
            db.session.execute(insert(ResponseTheme), tags)
            db.session.commit()
            batch, tags = [], []
    if batch:
        db.session.execute(insert(Response), batch)
        if tags:
            db.session.execute(insert(ResponseTheme), tags)
    db.session.commit()
    build_cases(ws.id, rng)
    if db.engine.dialect.name == "postgresql":
        db.session.execute(
            text("SELECT setval(pg_get_serial_sequence('response', 'id'), :n)"), {"n": next_id}
        )
        db.session.commit()
        # A settled database: autovacuum would have set the visibility map that index-only
        # scans rely on (and this server may run with autovacuum off).
        tables = ", ".join(f'"{name}"' for name in db.metadata.tables)
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f"VACUUM ANALYZE {tables}"))
    else:
        db.session.execute(text("ANALYZE"))
    db.session.commit()
    # What the rollup job does within a minute of the rows arriving: sum the closed days.
    started = time.perf_counter()
    rollups.refresh(ws, grace=timedelta(0))
    print(f"summed the days in {time.perf_counter() - started:.1f} s", file=sys.stderr)


def build_cases(workspace_id: int, rng: random.Random) -> None:
    """A case per low score (a quarter of the responses), some closed, a fifth the bench user's;
    first actions a few hours after opening and resolutions a day or two later, spread out."""
    me = db.session.scalar(db.select(User.id).where(User.email == "bench@example.com"))
    low = (
        db.select(Response.id, Response.survey_id, Response.kind, Response.score, Response.team)
        .where(
            Response.workspace_id == workspace_id,
            Response.band.in_(("detractor", "negative", "difficult")),
        )
        .order_by(Response.id)
    )
    now, batch = utcnow(), []
    for response_id, survey_id, kind, score, team in db.session.execute(low).all():
        opened = now - timedelta(hours=rng.randint(0, 182 * 24))
        status = rng.choices(("open", "in_progress", "waiting", "resolved"), (2, 1, 1, 6))[0]
        acted = opened + timedelta(hours=rng.expovariate(1 / 6)) if status != "open" else None
        closed = acted + timedelta(hours=rng.expovariate(1 / 30)) if status == "resolved" else None
        batch.append(
            {
                "workspace_id": workspace_id,
                "response_id": response_id,
                "survey_id": survey_id,
                "kind": kind,
                "score": score,
                "status": status,
                "owner_id": me if rng.random() < 0.2 else None,
                "team": team,
                "source": "auto",
                "opened_at": opened,
                "due_at": opened + timedelta(days=2),
                "routed_at": opened,
                "first_action_at": acted,
                "resolved_at": closed,
                "updated_at": now,
            }
        )
        if len(batch) >= 20000:
            db.session.execute(insert(Case), batch)
            batch = []
    if batch:
        db.session.execute(insert(Case), batch)
    db.session.commit()


def signed_in(app: Any, email: str, password: str) -> Any:
    """A test client signed in through the login form, CSRF token and all."""
    client = app.test_client()
    page = client.get("/app/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    client.post("/app/login", data={"email": email, "password": password, "csrf_token": token})
    return client


# Untimed requests first: a running worker has compiled its templates and SQL statements and
# loaded the text pipeline long before a page's figures expire. Other periods than the timed
# pages', so no figure they compute is reused.
WARM_UP = ["/app/?period=last_7_days", "/app/themes?period=last_7_days", "/app/agents?period=all"]


def measure(app: Any, repeats: int) -> dict[str, float]:
    """Each page's best time over `repeats` requests (its first alone when repeats is 1), in
    a process warmed as a running worker is (WARM_UP)."""
    client = signed_in(app, "bench@example.com", "bench-password")
    key = workspaces.create_api_key(workspaces.get_workspace("bench"), "bench").secret
    db.session.commit()
    api = {"Authorization": f"Bearer {key}"}
    for path in WARM_UP:
        assert client.get(path).status_code == 200, path
    times = {}
    for path in ["/healthz", *PAGES]:
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            res = client.get(path, headers=api if path.startswith("/api/") else None)
            elapsed = (time.perf_counter() - start) * 1000
            assert res.status_code == 200, (path, res.status_code)
            best = min(best, elapsed)
        times[path] = round(best, 1)
    return times


def run(
    url: str,
    n: int,
    repeats: int,
    options: dict[str, Any] | None = None,
    cold: bool = False,
    read_indexes: bool = True,
) -> dict[str, float]:
    config = {"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False}
    if cold:
        config["FEEDBACK_FIGURES_TTL"] = 0
    if options:
        config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    app = create_app(config)
    with app.app_context():
        db.create_all()
        if not read_indexes:
            drop_read_indexes()
        started = time.perf_counter()
        build(n, random.Random(3))
        print(f"built {n} responses in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        result = measure(app, repeats)
        db.engine.dispose()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument(
        "--cold", action="store_true", help="no kept figures; time each page's first request"
    )
    parser.add_argument(
        "--without-read-indexes",
        action="store_true",
        help="drop the response table's read indexes (its unique key stays)",
    )
    args = parser.parse_args()
    repeats = 1 if args.cold else args.repeats
    indexes = not args.without_read_indexes
    results: dict[str, Any] = {
        "responses": args.responses,
        "target_ms": TARGET_MS,
        "cold": args.cold,
        "read_indexes": indexes,
    }
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{tmp}/bench.sqlite3"
            results["sqlite"] = run(
                url, args.responses, repeats, cold=args.cold, read_indexes=indexes
            )
            print(f"sqlite: {json.dumps(results['sqlite'])}", file=sys.stderr)
    if not args.skip_postgres:
        import psycopg

        with psycopg.connect(PG_URL.replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
            conn.execute(f"CREATE SCHEMA {SCHEMA}")
        options = {"connect_args": {"options": f"-csearch_path={SCHEMA}"}}
        results["postgres"] = run(
            PG_URL, args.responses, repeats, options, cold=args.cold, read_indexes=indexes
        )
        print(f"postgres: {json.dumps(results['postgres'])}", file=sys.stderr)
    slow = [
        f"{db_name} {path}"
        for db_name in ("sqlite", "postgres")
        for path, ms in results.get(db_name, {}).items()
        if path in PAGES and ms > TARGET_MS
    ]
    results["over_target"] = slow
    results["ok"] = not slow
    print(json.dumps(results))
    return 0 if not slow else 1


if __name__ == "__main__":
    sys.exit(main())

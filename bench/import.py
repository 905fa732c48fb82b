"""Import speed: a Delighted JSON export of N survey responses (default 100,000) imported into
an empty workspace on SQLite (a file) and, unless skipped, PostgreSQL.

Times the whole job as `flask feedback import` runs it (reading, checking every row, the bulk
writes, queueing the comments and rebuilding the daily sums), next to two references from the
same run: reading the file with json.load alone, and checking its rows without writing.
Target: under two minutes for each database; exits non-zero above it. Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import sys
import tempfile
import time
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("FEEDBACK_SECRET_KEY", secrets.token_urlsafe(48))
sys.path.insert(0, ROOT)

from sqlalchemy import func, select  # noqa: E402

from feedback import create_app  # noqa: E402
from feedback.accounts import workspaces  # noqa: E402
from feedback.extensions import db  # noqa: E402
from feedback.imports import formats, running  # noqa: E402
from feedback.responses.models import Response  # noqa: E402

PG_URL = os.environ.get(
    "FEEDBACK_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
SCHEMA = "bench_import"
TARGET_S = 120
START = 1_609_459_200  # 2021-01-01: three years of history
WORDS = ["slow", "price", "support", "export", "crash", "invoice", "mobile", "great", "love"]
TYPES = (("nps", 0, 10, 6), ("csat", 1, 5, 3), ("ces", 1, 7, 1))


def note(i: int, at: int) -> dict[str, Any]:
    return {"id": str(i), "text": "Called back", "user_email": "a@example.com", "created_at": at}


def build_file(path: str, n: int, rng: random.Random) -> None:
    """A file shaped as Delighted's API lists survey responses, with the person expanded."""
    people = max(1, n // 3)
    with open(path, "w", encoding="utf-8") as out:
        out.write("[\n")
        for i in range(n):
            kind, low, high, weight = rng.choices(TYPES, [t[3] for t in TYPES])[0]
            score = rng.randint(low, high)
            person = rng.randrange(people)
            at = START + rng.randrange(3 * 365 * 86400)
            item = {
                "id": str(i + 1),
                "person": {
                    "id": str(person),
                    "email": f"person{person}@example.com",
                    "name": f"Person {person}",
                    "created_at": START,
                },
                "survey_type": kind,
                "score": score,
                "comment": " ".join(rng.choices(WORDS, k=8)) if rng.random() < 0.4 else None,
                "permalink": f"https://app.delighted.com/r/{i + 1}",
                "created_at": at,
                "updated_at": at + 60,
                "person_properties": {
                    "plan": rng.choice(("Free", "Pro", "Enterprise")),
                    "Country": rng.choice(("PT", "US", "DE")),
                },
                "notes": [note(i, at)] if score <= low + 1 and rng.random() < 0.1 else [],
                "tags": [rng.choice(WORDS)] if rng.random() < 0.05 else [],
                "additional_answers": [],
            }
            out.write(json.dumps(item))
            out.write(",\n" if i < n - 1 else "\n")
        out.write("]\n")


def run(url: str, path: str, n: int, options: dict[str, Any] | None = None) -> dict[str, Any]:
    config: dict[str, Any] = {"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False}
    if options:
        config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    with tempfile.TemporaryDirectory() as reports:
        config["FEEDBACK_IMPORT_DIR"] = reports
        app = create_app(config)
        with app.app_context():
            db.create_all()
            ws = workspaces.create_workspace("Bench", "bench", "UTC")
            db.session.commit()
            started = time.perf_counter()
            with open(path, encoding="utf-8") as source:
                json.load(source)
            json_s = time.perf_counter() - started
            started = time.perf_counter()
            with open(path, "rb") as source:
                formats.parse("delighted-json", source.read())
            check_s = time.perf_counter() - started
            started = time.perf_counter()
            job = running.start_import(ws, path, "bench.json", "delighted-json")
            job = running.run_import(job.id)
            seconds = time.perf_counter() - started
            stored = db.session.scalar(select(func.count()).select_from(Response))
            result = {
                "status": job.status,
                "imported": job.counts.get("imported"),
                "stored": stored,
                "seconds": round(seconds, 1),
                "responses_per_s": round(n / seconds),
                "reference_json_load_s": round(json_s, 2),
                "reference_check_rows_s": round(check_s, 2),
            }
            db.session.remove()
            db.engine.dispose()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    results: dict[str, Any] = {"responses": args.responses, "target_s": TARGET_S}
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "delighted.json")
        build_file(path, args.responses, random.Random(5))
        results["file_mb"] = round(os.path.getsize(path) / 1e6, 1)
        if not args.skip_sqlite:
            results["sqlite"] = run(f"sqlite:///{tmp}/bench.sqlite3", path, args.responses)
            print(f"sqlite: {json.dumps(results['sqlite'])}", file=sys.stderr)
        if not args.skip_postgres:
            import psycopg

            with psycopg.connect(PG_URL.replace("+psycopg", ""), autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
                conn.execute(f"CREATE SCHEMA {SCHEMA}")
            options = {"connect_args": {"options": f"-csearch_path={SCHEMA}"}}
            results["postgres"] = run(PG_URL, path, args.responses, options)
            print(f"postgres: {json.dumps(results['postgres'])}", file=sys.stderr)
            with psycopg.connect(PG_URL.replace("+psycopg", ""), autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
    measured = [results[name] for name in ("sqlite", "postgres") if name in results]
    results["ok"] = all(
        r["status"] == "done" and r["stored"] == args.responses and r["seconds"] <= TARGET_S
        for r in measured
    )
    print(json.dumps(results))
    return 0 if results["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())

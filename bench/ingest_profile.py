"""Where a recorded response's time goes outside the network: cProfile over the WSGI app.

Drives the public upsert endpoint in process (no HTTP server, no load generator), with the
bodies bench/ingest.lua sends, on a fresh SQLite database, and prints the top entries by own
time. Beside it, the same count of calls to the floor endpoint (bench/floor_app.py), so the
figures say how much of the time is the product's, and the product's statements alone (the
rows it built, stored again without the request around them), so they say how much of that is
its schema's writes. It also counts the pages each side adds to SQLite's write-ahead log per
call: a commit copies every page it changed (the row, each index's leaf, the respondent, the
effect row) while the other writers wait. Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import secrets
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("FEEDBACK_SECRET_KEY", secrets.token_urlsafe(48))

PREFIXES = ["Search is slow", "Love the reports", "Pricing is steep", "Support was great"]
PLANS = ["Free", "Starter", "Pro", "Enterprise"]


def bodies(survey: str, count: int) -> list[tuple[str, bytes]]:
    rng = random.Random(7)
    out = []
    for n in range(count):
        score = rng.randint(0, 10)
        fid = "improve" if score <= 6 else "make_it_10" if score <= 8 else "love"
        body = {
            "survey": survey,
            "score": score,
            "answers": {fid: f"{rng.choice(PREFIXES)} ({n})"},
            "context": {"plan": rng.choice(PLANS)},
            "respondent": {"id": f"u-{n % 500}"},
        }
        out.append((f"r-{n:09d}", json.dumps(body).encode()))
    return out


def call(app: Any, path: str, body: bytes) -> str:
    environ = {
        "REQUEST_METHOD": "PUT",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "5000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_HOST": "127.0.0.1:5000",
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }
    status: list[str] = []
    chunks = app(environ, lambda s, h, e=None: status.append(s))
    b"".join(chunks)
    if hasattr(chunks, "close"):
        chunks.close()
    return status[0]


def timed(app: Any, calls: list[tuple[str, bytes]], profile: cProfile.Profile | None) -> float:
    start = time.perf_counter()
    if profile:
        profile.enable()
    for path, body in calls:
        status = call(app, path, body)
        if not status.startswith("201"):
            raise SystemExit(f"{path}: {status}")
    if profile:
        profile.disable()
    return time.perf_counter() - start


def statements_only(app: Any, product_calls: list[tuple[str, bytes]]) -> float:
    """The product's own writes for as many new responses, with none of its Python around them:
    the rows its write path built for the calls, stored again under new ids through the same
    statements (feedback.responses.storing.insert_new)."""
    from feedback.responses import storing

    captured: list[tuple[dict[str, Any], Any, Any]] = []
    insert_new = storing.insert_new

    def capture(row: dict[str, Any], person: Any, shape: Any) -> int | None:
        captured.append((dict(row), person, shape))
        return insert_new(row, person, shape)

    storing.insert_new = capture
    try:
        timed(app, [(p + "s", b) for p, b in product_calls], None)
    finally:
        storing.insert_new = insert_new
    with app.app_context():
        start = time.perf_counter()
        for row, person, shape in captured:
            insert_new({**row, "client_id": row["client_id"] + "t"}, person, shape)
        return time.perf_counter() - start


def log_pages_per_call(app: Any, calls: list[tuple[str, bytes]], database: str) -> float:
    """Pages each call adds to SQLite's write-ahead log: what its commit copies, page by page,
    while every other writer waits. Emptied first, so only these calls are counted."""
    connection = sqlite3.connect(database)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
    finally:
        connection.close()
    timed(app, calls, None)
    frames = (os.path.getsize(database + "-wal") - 32) / (page_size + 24)  # header, then frames
    return frames / len(calls)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--sort", default="tottime")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp()
    url = f"sqlite:///{tmp}/profile.sqlite3"
    os.environ["FEEDBACK_DATABASE_URL"] = url
    os.environ["FEEDBACK_PUBLIC_RATE_LIMIT"] = "1000000 per second"
    os.environ["FLOOR_DATABASE_URL"] = url
    subprocess.run(
        [str(Path(sys.executable).parent / "flask"), "db", "upgrade"],
        cwd=ROOT,
        env={**os.environ, "FLASK_APP": "wsgi"},
        check=True,
        capture_output=True,
    )
    from bench import floor_app
    from feedback import create_app
    from feedback.accounts import workspaces
    from feedback.extensions import db
    from feedback.surveys import service as surveys

    app = create_app()
    with app.app_context():
        ws = workspaces.create_workspace("Profile", "profile")
        survey = surveys.create_survey(ws, {"kind": "nps"})
        db.session.commit()
        key, survey_id = ws.public_key, survey.public_id
    floor_app.create_table()
    warm = bodies(survey_id, 200)
    work = bodies(survey_id, args.calls)
    product = [(f"/api/public/{key}/responses/w{cid}", b) for cid, b in warm]
    timed(app, product, None)
    timed(floor_app.app, [(f"/api/public/k/responses/w{c}", b) for c, b in warm], None)

    product_calls = [(f"/api/public/{key}/responses/{cid}", b) for cid, b in work]
    floor_calls = [(f"/api/public/k/responses/{cid}", b) for cid, b in work]
    floor_s = timed(floor_app.app, floor_calls, None)
    plain_s = timed(app, [(p + "x", b) for p, b in product_calls], None)
    statements_s = statements_only(app, product_calls)
    # Few enough calls that neither side's log reaches its checkpoint while they are counted.
    few = work[:200]
    database = f"{tmp}/profile.sqlite3"
    product_pages = log_pages_per_call(
        app, [(f"/api/public/{key}/responses/p{c}", b) for c, b in few], database
    )
    floor_pages = log_pages_per_call(
        floor_app.app, [(f"/api/public/k/responses/p{c}", b) for c, b in few], database
    )
    profile = cProfile.Profile()
    timed(app, product_calls, profile)
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out).strip_dirs().sort_stats(args.sort)
    stats.print_stats(args.top)
    print(out.getvalue(), file=sys.stderr)
    figures = {
        "calls": args.calls,
        "product_us_per_call": round(plain_s / args.calls * 1e6, 1),
        "floor_us_per_call": round(floor_s / args.calls * 1e6, 1),
        "statements_us_per_call": round(statements_s / args.calls * 1e6, 1),
        "in_process_share_of_floor": round(floor_s / plain_s, 3),
        "log_pages_per_call": round(product_pages, 1),
        "floor_log_pages_per_call": round(floor_pages, 1),
    }
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())

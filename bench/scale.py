"""Scale on PostgreSQL: ingest and the heaviest reads at 100k, 1M and 5M responses.

The schema comes from the migrations (so the indexes measured are the ones shipped). The table
grows in steps, generated inside PostgreSQL; at each size the bench times
- ingest: the upsert endpoint through gunicorn (2 workers) under wrk, as a ratio to a bare Flask
  endpoint measured in the same window, so background load does not read as slowing down;
- reads: the dashboard pages and the metrics API calls that aggregate the most rows (server
  time through the Flask test client, best of a few), after the rollup job has summed the
  closed days (its time is printed as summing_s).
Targets: every read under 500 ms at the largest size, and ingest at the largest size at least
0.8 of its ratio at the smallest (it does not slow as the table grows).
Last line: one JSON object. Exit 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Every app this run starts (in process or served) signs with one random key of its own.
os.environ.setdefault("FEEDBACK_SECRET_KEY", secrets.token_urlsafe(48))
sys.path.insert(0, str(ROOT))

from bench.dashboard import signed_in  # noqa: E402
from bench.ingest import PG_URL, UNLIMITED, gunicorn, migrate, stop, wrk  # noqa: E402

SCHEMA = "bench_scale"
URL = f"{PG_URL}?options=-csearch_path%3D{SCHEMA}"
TARGET_MS = 500
MIN_INGEST_KEPT = 0.8
PAGES = ["/app/", "/app/themes", "/app/agents", "/app/verbatims", "/app/cases/all"]
METRICS = [
    "/api/v1/metrics/nps?period=last_90_days&interval=week&compare=previous",
    "/api/v1/metrics/nps?period=last_90_days&group_by=plan",
    "/api/v1/metrics/csat?period=last_90_days&group_by=agent",
    "/api/v1/themes/summary?period=last_90_days",
]

# Generated rows: the kind by the id, scores spread over the scale, 40% with a comment and one
# theme tag each, six months of submissions. Bands follow feedback.surveys.band_for.
GROW_RESPONSES = """
INSERT INTO response (workspace_id, survey_id, client_id, channel, kind, question, score, band,
                      answers, comment, plan, agent, team, context, nlp_status, nlp_attempts,
                      submitted_at, updated_at)
SELECT :ws, s.id, 'g' || g, 'widget', s.kind, s.question, sc.score,
       CASE WHEN s.kind = 'nps' THEN CASE WHEN sc.score <= 6 THEN 'detractor'
                                          WHEN sc.score <= 8 THEN 'passive' ELSE 'promoter' END
            WHEN s.kind IN ('csat', 'psat') THEN CASE WHEN sc.score <= 2 THEN 'negative'
                                          WHEN sc.score = 3 THEN 'neutral' ELSE 'positive' END
            ELSE CASE WHEN sc.score <= 3 THEN 'difficult'
                      WHEN sc.score = 4 THEN 'neutral' ELSE 'easy' END END,
       '{}', CASE WHEN g % 5 < 2 THEN 'slow export and the price is high ' || g END,
       (ARRAY['Free', 'Pro', 'Enterprise'])[1 + g % 3],
       CASE WHEN s.kind = 'csat' THEN 'agent ' || (1 + g % 40) END,
       CASE WHEN s.kind = 'csat' THEN 'team ' || (1 + g % 6) END,
       '{}', CASE WHEN g % 5 < 2 THEN 'done' ELSE 'none' END, 0,
       now() AT TIME ZONE 'UTC' - make_interval(secs => (g * 7919) % (182 * 86400)),
       now() AT TIME ZONE 'UTC'
FROM generate_series(CAST(:start AS bigint), CAST(:stop AS bigint)) AS g
JOIN survey s ON s.workspace_id = :ws
 AND s.kind = (ARRAY['nps', 'nps', 'nps', 'nps', 'csat', 'csat', 'csat', 'psat', 'psat', 'ces'])
              [1 + g % 10]
CROSS JOIN LATERAL (SELECT CASE s.kind WHEN 'nps' THEN (g * 31) % 11
                                       WHEN 'ces' THEN 1 + (g * 31) % 7
                                       ELSE 1 + (g * 31) % 5 END AS score) sc
"""
GROW_TAGS = """
INSERT INTO response_theme (workspace_id, response_id, theme_id, sentiment, confidence, evidence,
                            source, removed, created_at)
SELECT r.workspace_id, r.id,
       (SELECT t.id FROM theme t WHERE t.workspace_id = r.workspace_id
        ORDER BY t.id OFFSET (r.id % 8) LIMIT 1),
       (ARRAY['positive', 'negative', 'neutral'])[1 + r.id % 3], 0.9, '[]', 'auto', false,
       r.submitted_at
FROM response r
WHERE r.workspace_id = :ws AND r.comment IS NOT NULL AND r.id > :after
"""


def _pg(sql: str) -> str:
    """`:name` parameters in psycopg's style, with SQL's own `%` kept."""
    return re.sub(r":(\w+)", r"%(\1)s", sql.replace("%", "%%"))


def psql(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_URL.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(sql)


def prepare() -> dict[str, Any]:
    """An empty schema migrated to head, a workspace with four surveys, a login and a key."""
    psql(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE; CREATE SCHEMA {SCHEMA}")
    env = migrate(URL)
    code = (
        "import json\n"
        "from feedback import create_app\n"
        "from feedback.extensions import db\n"
        "from feedback.accounts import workspaces\n"
        "from feedback.surveys import service as surveys\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    ws = workspaces.create_workspace('Scale', 'scale', 'UTC')\n"
        "    workspaces.add_user(ws, 'scale@example.com', 'scale-password', 'owner')\n"
        "    s = {k: surveys.create_survey(ws, {'kind': k}) for k in ('nps','csat','psat','ces')}\n"
        "    key = workspaces.create_api_key(ws, 'scale', ['read'])\n"
        "    db.session.commit()\n"
        "    print(json.dumps({'ws': ws.id, 'public_key': ws.public_key,\n"
        "                      'survey': s['nps'].public_id, 'key': key.secret}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def grow(ws: int, target: int) -> int:
    """Add generated responses (and their tags) until the table holds `target` rows.

    Generated ids start past the rows already there, ingested ones included, so none repeats.
    """
    import psycopg

    step = 500_000
    with psycopg.connect(PG_URL.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f"SET search_path TO {SCHEMA}")
        after = conn.execute("SELECT coalesce(max(id), 0) FROM response").fetchone()[0]
        have = conn.execute("SELECT count(*) FROM response").fetchone()[0]
        for start in range(have + 1, target + 1, step):
            stop_at = min(start + step - 1, target)
            params = {"ws": ws, "start": start, "stop": stop_at}
            conn.execute(_pg(GROW_RESPONSES), params)
        conn.execute(_pg(GROW_TAGS), {"ws": ws, "after": after})
        # What autovacuum does on a live table: statistics and the visibility map.
        conn.execute("VACUUM ANALYZE response")
        conn.execute("VACUUM ANALYZE response_theme")
        return conn.execute("SELECT count(*) FROM response").fetchone()[0]


def reads(key: str, repeats: int) -> dict[str, float]:
    from feedback import create_app

    # Nothing kept between requests: every timing computes its page.
    config = {
        "SQLALCHEMY_DATABASE_URI": URL,
        "RATELIMIT_ENABLED": False,
        "FEEDBACK_FIGURES_TTL": 0,
    }
    app = create_app(config)
    client = signed_in(app, "scale@example.com", "scale-password")
    times = {}
    with app.app_context():
        from datetime import timedelta

        from feedback.metrics.refresh import refresh_all

        # What the rollup job does after rows arrive: sum the new and changed days.
        started = time.perf_counter()
        refresh_all(grace=timedelta(0))
        times["summing_s"] = round(time.perf_counter() - started, 1)
        for path in [*PAGES, *METRICS]:
            headers = {"Authorization": f"Bearer {key}"} if path.startswith("/api/") else {}
            best = float("inf")
            for _ in range(repeats):
                started = time.perf_counter()
                res = client.get(path, headers=headers)
                best = min(best, (time.perf_counter() - started) * 1000)
                assert res.status_code == 200, (path, res.status_code, res.get_data()[:300])
            times[path] = round(best, 1)
        from feedback.extensions import db

        db.engine.dispose()
    return times


def ingest(setup: dict[str, Any], seconds: int) -> dict[str, Any]:
    env = {"FEEDBACK_DATABASE_URL": URL, "FEEDBACK_PUBLIC_RATE_LIMIT": UNLIMITED}
    bare_proc, bare_port = gunicorn("bench.bare_app:app", {}, 2)
    try:
        bare = wrk(bare_port, "/api/public/pk", "s", seconds, 0, 8)
    finally:
        stop(bare_proc)
    proc, port = gunicorn("wsgi:app", env, 2)
    try:
        path = f"/api/public/{setup['public_key']}"
        app = wrk(port, path, setup["survey"], seconds, 0, 8)
    finally:
        stop(proc)
    return {
        "responses_per_s": app["per_s"],
        "bare_per_s": bare["per_s"],
        "ratio": round(app["per_s"] / bare["per_s"], 3),
        "p99_ms": app["p99_ms"],
        "errors": app["errors"] + app["socket_errors"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100000,1000000,5000000")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--ingest-seconds", type=int, default=8)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    setup = prepare()
    results: dict[str, Any] = {"sizes": {}, "target_ms": TARGET_MS}
    for size in sizes:
        started = time.perf_counter()
        grow(setup["ws"], size)
        built = round(time.perf_counter() - started)
        step = {"built_s": built, "reads_ms": reads(setup["key"], args.repeats)}
        step["ingest"] = ingest(setup, args.ingest_seconds)
        results["sizes"][str(size)] = step
        print(f"{size}: {json.dumps(step)}", file=sys.stderr)
    first, last = results["sizes"][str(sizes[0])], results["sizes"][str(sizes[-1])]
    slowest = max(
        ((path, ms) for path, ms in last["reads_ms"].items() if path != "summing_s"),
        key=lambda kv: kv[1],
    )
    kept = round(last["ingest"]["ratio"] / first["ingest"]["ratio"], 3)
    results["slowest_read_at_largest"] = {"path": slowest[0], "ms": slowest[1]}
    results["read_growth"] = {
        path: round(last["reads_ms"][path] / max(first["reads_ms"][path], 0.1), 2)
        for path in last["reads_ms"]
        if path != "summing_s"
    }
    results["ingest_kept"] = kept
    errors = sum(s["ingest"]["errors"] for s in results["sizes"].values())
    results["ok"] = slowest[1] <= TARGET_MS and kept >= MIN_INGEST_KEPT and errors == 0
    print(json.dumps(results))
    return 0 if results["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())

"""Ingest benchmark: the response upsert endpoint through gunicorn, against the floor.

The floor (bench/floor_app.py) is the least a durable write costs on this server: a Flask
endpoint storing the body with one INSERT (with an idempotency key) into a plain table and a
COMMIT, with the product's durability settings, served with the same workers and threads.
What the product adds (its indexes, triggers, respondent, validation) counts against it.

For SQLite and PostgreSQL: rounds of the product, the floor and the schema floor (below) under
the same load, in turning order with every server up (responses/s, p50/p99; share_of_floor is
the median of the rounds' product/floor ratios, each round's figures taken seconds apart), then
an exactness run whose last seconds send no upserts, so every acknowledged response can be
counted in the database. The job runner (`flask feedback worker`) starts after the rounds and,
once it has applied what they left, runs beside the exactness run: the delay from a response
stored to its case opened is reported for it (p50, p99).

A third server, the schema floor (bench/schema_floor_app.py), stores each body through the
product's own write function and no other product code: the respondent, the response row with
every index and trigger of the schema, and the effect row. schema_floor_share is what the
schema's writes alone leave of the floor; share_of_schema_floor is the product's share of it:
what validation, look-ups, limits and headers cost on top of the writes.

A fourth server, the required floor, is the schema floor on a database without the response
table's read indexes (the ones the dashboards read; its unique key, trigger, respondent and
effect row stay): only what a response needs before it is acknowledged. required_floor_share
is what those writes leave of the floor, the most any product storing them could keep; what
lies between it and schema_floor_share is what the dashboards' indexes cost every response.

Targets: share_of_floor (product responses/s over floor responses/s, same run) >= 0.6,
share_of_schema_floor >= 0.75 (the product's code costs at most a third over its writes), no
errors, stored = acknowledged, no duplicates, every effect applied. A bare Flask endpoint is
measured too, for the ratios the machine allows; on PostgreSQL the floor runs again with
commits that do not wait for the disk: the ceiling of group commit. Last line: one JSON
object. Exit 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Every app this run starts (in process or served) signs with one random key of its own.
os.environ.setdefault("FEEDBACK_SECRET_KEY", secrets.token_urlsafe(48))
VENV_BIN = Path(sys.executable).parent
PG_URL = os.environ.get(
    "FEEDBACK_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
SCHEMA = "bench_ingest"
SCHEMA_FLOOR = "bench_ingest_schema_floor"
REQUIRED_FLOOR = "bench_ingest_required_floor"
TARGET_SHARE = 0.6
TARGET_OF_SCHEMA_FLOOR = 0.75
UNLIMITED = "1000000 per second"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(port: int, path: str = "/") -> None:
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server on port {port} did not start")


def gunicorn(
    app: str, env: dict[str, str], workers: int, threads: int = 1
) -> tuple[subprocess.Popen, int]:
    """Serve `app`; every server of one run gets the same workers and threads."""
    port = free_port()
    proc = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            "-w",
            str(workers),
            "--threads",
            str(threads),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            app,
        ],
        cwd=ROOT,
        env={**os.environ, **env},
        start_new_session=True,
    )
    wait_until_up(port)
    return proc, port


def stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=30)


def wrk(
    port: int, path: str, survey: str, seconds: int, upsert_seconds: int, conns: int
) -> dict[str, Any]:
    env = {
        **os.environ,
        "BENCH_PATH": path,
        "BENCH_SURVEY": survey,
        "BENCH_UPSERT_SECONDS": str(upsert_seconds),
        "BENCH_RUN": f"r{time.monotonic_ns() % 10**9}",
    }
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{conns}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(ROOT / "bench/ingest.lua"),
            f"http://127.0.0.1:{port}",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(x for x in out.stdout.splitlines() if x.startswith("WRK "))
    stats = json.loads(line[4:])
    stats["per_s"] = round(stats["created"] / (stats["duration_us"] / 1e6), 1)
    return stats


def migrate(url: str) -> dict[str, str]:
    """Bring an empty database to the latest revision; the environment that points at it."""
    env = {**os.environ, "FEEDBACK_DATABASE_URL": url, "FLASK_APP": "wsgi"}
    subprocess.run(
        [str(VENV_BIN / "flask"), "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    return env


def prepare(url: str) -> tuple[str, str]:
    """Migrate an empty database and create a workspace with an NPS survey."""
    env = migrate(url)
    code = (
        "from feedback import create_app\n"
        "from feedback.extensions import db\n"
        "from feedback.accounts import workspaces\n"
        "from feedback.surveys import service as surveys\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    ws = workspaces.create_workspace('Bench', 'bench')\n"
        "    s = surveys.create_survey(ws, {'kind': 'nps'})\n"
        "    db.session.commit()\n"
        "    print(ws.public_key, s.public_id)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    key, survey = out.stdout.split()
    return key, survey


def stored(url: str) -> tuple[int, int]:
    code = (
        "from sqlalchemy import func, select\n"
        "from feedback import create_app\n"
        "from feedback.extensions import db\n"
        "from feedback.responses.models import Response\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    print(db.session.scalar(select(func.count()).select_from(Response)),\n"
        "          db.session.scalar(select(func.count(func.distinct(Response.client_id)))))\n"
    )
    env = {**os.environ, "FEEDBACK_DATABASE_URL": url}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    total, distinct = out.stdout.split()
    return int(total), int(distinct)


def reset_pg_schema(schema: str) -> None:
    import psycopg

    with psycopg.connect(PG_URL.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        conn.execute(f"CREATE SCHEMA {schema}")


def floor_server(url: str, args: argparse.Namespace, no_wait: bool = False) -> tuple[Any, int]:
    """The floor (bench/floor_app.py), served like the product: one raw INSERT and COMMIT."""
    env = {"FLOOR_DATABASE_URL": url, **({"FLOOR_NO_WAIT": "1"} if no_wait else {})}
    subprocess.run(
        [sys.executable, "-c", "from bench.floor_app import create_table; create_table()"],
        cwd=ROOT,
        env={**os.environ, **env},
        check=True,
    )
    return gunicorn("bench.floor_app:app", env, args.workers, args.threads)


def floor_run(url: str, args: argparse.Namespace, no_wait: bool = False) -> dict[str, Any]:
    proc, port = floor_server(url, args, no_wait)
    try:
        return wrk(port, "/api/public/pk", "s", args.seconds, 0, args.connections)
    finally:
        stop(proc)


def rounds(targets: dict[str, tuple[int, str, str]], args: argparse.Namespace) -> dict[str, Any]:
    """The product and the floors under the same load in rounds whose order turns (P F S R,
    F S R P, ...), every server up throughout: this machine's speed drifts by a third within
    minutes, and a share taken from rounds seconds apart holds where two runs a minute apart
    do not."""
    sides = list(targets)
    per_s: dict[str, list[float]] = {side: [] for side in sides}
    p50s, p99s, errors = [], [], 0
    for n in range(args.rounds):
        order = sides[n % len(sides) :] + sides[: n % len(sides)]
        got = {side: wrk(*targets[side], args.seconds, 0, args.connections) for side in order}
        for side in sides:
            per_s[side].append(got[side]["per_s"])
            errors += got[side]["errors"] + got[side]["socket_errors"]
        p50s.append(got["product"]["p50_ms"])
        p99s.append(got["product"]["p99_ms"])

    def shares(side: str, of: str) -> list[float]:
        """`side` over `of`, round by round."""
        return [a / b for a, b in zip(per_s[side], per_s[of], strict=True)]

    def median(values: list[float], digits: int = 1) -> float:
        return round(statistics.median(values), digits)

    return {
        "floor_per_s": median(per_s["floor"]),
        "responses_per_s": median(per_s["product"]),
        "share_of_floor": median(shares("product", "floor"), 3),
        "round_shares": [round(x, 3) for x in shares("product", "floor")],
        "schema_floor_per_s": median(per_s["schema_floor"]),
        "schema_floor_share": median(shares("schema_floor", "floor"), 3),
        "share_of_schema_floor": median(shares("product", "schema_floor"), 3),
        "required_floor_per_s": median(per_s["required_floor"]),
        "required_floor_share": median(shares("required_floor", "floor"), 3),
        "p50_ms": median(p50s, 2),
        "p99_ms": max(p99s),
        "errors": errors,
    }


DROP_READ_INDEXES = """
from bench.read_indexes import drop_read_indexes
from feedback import create_app
with create_app().app_context():
    drop_read_indexes()
"""


def schema_floor_server(
    url: str, args: argparse.Namespace, read_indexes: bool = True
) -> tuple[Any, int, str]:
    """The schema floor (bench/schema_floor_app.py) on a database of its own, migrated like
    the product's, without the response table's read indexes unless `read_indexes`;
    (process, port, survey id)."""
    key, survey = prepare(url)
    if not read_indexes:
        python(url, DROP_READ_INDEXES)
    env = {"FEEDBACK_DATABASE_URL": url, "FLOOR_PUBLIC_KEY": key, "FLOOR_SURVEY": survey}
    proc, port = gunicorn("bench.schema_floor_app:app", env, args.workers, args.threads)
    return proc, port, survey


DELAYS = """
import json, sys
from sqlalchemy import func, select
from feedback import create_app
from feedback.extensions import db
from feedback.cases.models import Case
from feedback.responses.models import Response, ResponseEffect
app = create_app()
with app.app_context():
    waiting = db.session.scalar(select(func.count()).select_from(ResponseEffect))
    rows = db.session.execute(select(Case.created_at, Response.submitted_at)
        .join(Response, Response.id == Case.response_id)
        .where(Response.id > int(sys.argv[1]))).all()
    delays = sorted((made - at).total_seconds() for made, at in rows)
    pick = lambda q: round(1000 * delays[min(len(delays) - 1, int(q * len(delays)))], 1)
    print(json.dumps({"effects_waiting": waiting, "cases_opened": len(delays),
                      "case_delay_p50_ms": pick(0.5) if delays else None,
                      "case_delay_p99_ms": pick(0.99) if delays else None}))
"""
LAST_ID = """
from sqlalchemy import func, select
from feedback import create_app
from feedback.extensions import db
from feedback.responses.models import Response
app = create_app()
with app.app_context():
    print(db.session.scalar(select(func.coalesce(func.max(Response.id), 0))))
"""


def python(url: str, code: str, *argv: str) -> str:
    env = {**os.environ, "FEEDBACK_DATABASE_URL": url}
    out = subprocess.run(
        [sys.executable, "-c", code, *argv],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


def job_runner(url: str) -> subprocess.Popen:
    """`flask feedback worker`, as production runs it beside the web servers."""
    return subprocess.Popen(
        [str(VENV_BIN / "flask"), "feedback", "worker"],
        cwd=ROOT,
        env={**os.environ, "FLASK_APP": "wsgi", "FEEDBACK_DATABASE_URL": url},
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def applied(url: str, last_id: str, seconds: float = 60) -> dict[str, Any]:
    """The effects' figures once none waits (or after `seconds`)."""
    deadline = time.time() + seconds
    while True:
        figures = json.loads(python(url, DELAYS, last_id))
        if figures["effects_waiting"] == 0 or time.time() > deadline:
            return figures
        time.sleep(0.5)


def bench_database(
    name: str, url: str, schema_url: str, required_url: str, args: argparse.Namespace
) -> dict[str, Any]:
    key, survey = prepare(url)
    # One load generator is one address: lift the per-visitor limit (it is still checked).
    env = {"FEEDBACK_DATABASE_URL": url, "FEEDBACK_PUBLIC_RATE_LIMIT": UNLIMITED}
    proc, port = gunicorn("wsgi:app", env, args.workers, args.threads)
    # On SQLite the floor has a file of its own: sharing one, each side would copy the other's
    # write-ahead log into the database at its checkpoints.
    floor_url = url.replace(".sqlite3", "-floor.sqlite3") if url.startswith("sqlite") else url
    floor_proc, floor_port = floor_server(floor_url, args)
    schema_proc, schema_port, schema_survey = schema_floor_server(schema_url, args)
    required_proc, required_port, required_survey = schema_floor_server(
        required_url, args, read_indexes=False
    )
    runner = None
    try:
        path = f"/api/public/{key}"
        # The acknowledgement path alone, as the floor: the work that follows a response (its
        # case, events, analysis) runs in the job runner, measured below and in bench/nlp.
        try:
            speed = rounds(
                {
                    "product": (port, path, survey),
                    "floor": (floor_port, "/api/public/pk", "s"),
                    "schema_floor": (schema_port, "/api/public/pk", schema_survey),
                    "required_floor": (required_port, "/api/public/pk", required_survey),
                },
                args,
            )
        finally:
            stop(floor_proc)
            stop(schema_proc)
            stop(required_proc)
        # The job runner, as production runs it beside the servers: once it has caught up with
        # the throughput runs, the exactness run's delays are its own.
        runner = job_runner(url)
        applied(url, python(url, LAST_ID))
        before, _ = stored(url)
        last_id = python(url, LAST_ID)
        exact = wrk(
            port, path, survey, args.exact_seconds, args.exact_seconds - 3, args.connections
        )
        after, distinct = stored(url)
        effects = applied(url, last_id)
    finally:
        stop(proc)
        if runner is not None:
            os.killpg(runner.pid, signal.SIGKILL)
            runner.wait(timeout=30)
    result = {
        **speed,
        "errors": speed["errors"] + exact["errors"] + exact["socket_errors"],
        "acknowledged": exact["created"],
        "stored": after - before,
        "duplicates": after - distinct,
        **effects,
    }
    if name == "postgres":
        # Commits that do not wait for the disk: what sharing one flush among requests (group
        # commit) could reach at best, since each request still makes its round trips.
        result["floor_no_wait_per_s"] = floor_run(url, args, no_wait=True)["per_s"]
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=8, help="length of each round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of product and floor")
    parser.add_argument("--exact-seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    # Threads let a worker take the next request while a commit waits on the disk.
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2

    def bare_run() -> dict[str, Any]:
        proc, port = gunicorn("bench.bare_app:app", {}, args.workers, args.threads)
        try:
            return wrk(port, "/api/public/pk", "s", args.seconds, 0, args.connections)
        finally:
            stop(proc)

    # The reference runs right before and after each database, so background load drifting
    # during the run cannot favour either side of a ratio.
    bare = [bare_run()]
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        targets = {
            "sqlite": tuple(
                f"sqlite:///{tmp}/{name}.sqlite3" for name in ("bench", "schema", "required")
            )
        }
        if not args.skip_postgres:
            for schema in (SCHEMA, SCHEMA_FLOOR, REQUIRED_FLOOR):
                reset_pg_schema(schema)
            targets["postgres"] = tuple(
                f"{PG_URL}?options=-csearch_path%3D{schema}"
                for schema in (SCHEMA, SCHEMA_FLOOR, REQUIRED_FLOOR)
            )
        for name, (url, schema_url, required_url) in targets.items():
            result = bench_database(name, url, schema_url, required_url, args)
            bare.append(bare_run())
            reference = (bare[-2]["per_s"] + bare[-1]["per_s"]) / 2
            result["bare_per_s"] = round(reference, 1)
            result["ratio"] = round(result["responses_per_s"] / reference, 3)
            # The ceiling any durable ingest reaches here, and how much of it the product gets.
            result["floor_ratio"] = round(result["floor_per_s"] / reference, 3)
            if "floor_no_wait_per_s" in result:
                result["floor_no_wait_ratio"] = round(result["floor_no_wait_per_s"] / reference, 3)
            results[name] = result
            print(f"{name}: {json.dumps(result)}", file=sys.stderr)
    results["bare_p50_ms"] = bare[0]["p50_ms"]
    ok = all(
        r["share_of_floor"] >= TARGET_SHARE
        and r["share_of_schema_floor"] >= TARGET_OF_SCHEMA_FLOOR
        and r["errors"] == 0
        and r["effects_waiting"] == 0
        and r["stored"] == r["acknowledged"]
        and r["duplicates"] == 0
        for k, r in results.items()
        if isinstance(r, dict)
    )
    results["target_share_of_floor"] = TARGET_SHARE
    results["target_share_of_schema_floor"] = TARGET_OF_SCHEMA_FLOOR
    results["workers"], results["threads"] = args.workers, args.threads
    results["ok"] = ok
    print(json.dumps(results))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""Durability under crashes: SIGKILL the server and the worker mid-load, count what survived.

1. Responses: threads PUT responses at the API through gunicorn while the whole server
   (master and workers) is killed with SIGKILL several times and restarted. A response the
   API acknowledged must be stored; one whose call failed is retried with the same id after
   the restart, as the widget's queue does. Target: lost 0, duplicated 0, and every stored
   score the one sent. Beside the server, the job runner (`flask feedback worker`) applies
   the stored responses' effects, and is killed with it, mid-batch. Target: every stored
   response whose score opens a case has exactly one, no other has one, and each response has
   exactly one response.created webhook event; the delay from stored to case opened is
   reported (p50, p99, max: kills included).
2. Analysis: a worker (`flask feedback worker`) is killed mid-batch several times. Target:
   afterwards every comment analysed, none twice (no duplicate theme rows).
3. Email: the invite job is killed while it mails a batch of invites to a loopback SMTP
   server, many times (each round runs the worker's job at once, in a process of its own: the
   worker itself first runs it 30 s after it starts), then a worker takes over what the killed
   ones left. Target: every invite sent and marked sent, and one Message-ID per invite. A crash
   between the server accepting a message and the database recording it sends that one again
   (SMTP has no way to ask whether a message arrived); it keeps its Message-ID, so a mail store
   that drops repeated ids shows it once. Such resends are counted and reported as duplicates.

On SQLite and PostgreSQL. Last line: one JSON object. Exit 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from bench.ingest import (  # noqa: E402
    PG_URL,
    UNLIMITED,
    VENV_BIN,
    free_port,
    prepare,
    wait_until_up,
)

SCHEMA = "bench_crash"


def reset_pg_schema() -> None:
    import psycopg

    with psycopg.connect(PG_URL.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        conn.execute(f"CREATE SCHEMA {SCHEMA}")


def _score(client_id: str) -> int:
    return sum(client_id.encode()) % 11


def start_server(url: str, port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT,
        env={
            **os.environ,
            "FEEDBACK_DATABASE_URL": url,
            "FEEDBACK_RUN_JOBS": "false",
            "FEEDBACK_PUBLIC_RATE_LIMIT": UNLIMITED,  # one load generator is one address
        },
        start_new_session=True,
        stderr=subprocess.DEVNULL,
    )
    wait_until_up(port, "/healthz")
    return proc


def kill(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


class Load:
    """Threads sending responses; what was acknowledged and what must be retried."""

    def __init__(self, port: int, key: str, survey: str, threads: int) -> None:
        self.port, self.key, self.survey = port, key, survey
        self.acked: set[str] = set()
        self.unsure: set[str] = set()
        self.lock = threading.Lock()
        self.running = True
        self.workers = [
            threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(threads)
        ]
        self.sent = 0

    def put(self, client_id: str) -> bool:
        body = json.dumps(
            {
                "survey": self.survey,
                "score": _score(client_id),
                "answers": {},
                "respondent": {"id": "crash-" + client_id[-3:]},
            }
        )
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            conn.request(
                "PUT",
                f"/api/public/{self.key}/responses/{client_id}",
                body,
                {"Content-Type": "application/json"},
            )
            status = conn.getresponse().status
            conn.close()
        except OSError:
            return False
        return status in (200, 201)

    def _run(self, n: int) -> None:
        i = 0
        while self.running:
            i += 1
            client_id = f"crash-{n:02d}-{i:08d}"
            ok = self.put(client_id)
            with self.lock:
                self.sent += 1
                (self.acked if ok else self.unsure).add(client_id)
            if not ok:
                time.sleep(0.05)

    def start(self) -> None:
        for worker in self.workers:
            worker.start()

    def stop(self) -> None:
        self.running = False
        for worker in self.workers:
            worker.join(timeout=30)

    def retry_unsure(self) -> int:
        """Send again, with the same ids, every call whose answer was lost."""
        for client_id in sorted(self.unsure - self.acked):
            for _ in range(50):
                if self.put(client_id):
                    self.acked.add(client_id)
                    break
                time.sleep(0.2)
        return len(self.unsure - self.acked)


def run_python(url: str, code: str, extra_env: dict[str, str] | None = None) -> str:
    env = {**os.environ, "FEEDBACK_DATABASE_URL": url, **(extra_env or {})}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return out.stdout


STORED = """
import json
from sqlalchemy import select
from feedback import create_app
from feedback.extensions import db
from feedback.responses.models import Response
app = create_app()
with app.app_context():
    rows = db.session.execute(select(Response.client_id, Response.score)).all()
    print(json.dumps([[c, s] for c, s in rows]))
"""


# Every response.created event goes to a webhook nobody listens on: the events stay queued,
# one row each, and can be counted.
SUBSCRIBE = """
from sqlalchemy import select
from feedback import create_app
from feedback.extensions import db
from feedback.accounts.models import Workspace
from feedback.webhooks import service
app = create_app()
with app.app_context():
    workspace = db.session.scalar(select(Workspace))
    service.create_webhook(workspace, {"url": "http://127.0.0.1:9/in",
                                       "events": ["response.created"]})
    db.session.commit()
"""

EFFECTS = """
import json
from collections import Counter
from sqlalchemy import func, select
from feedback import create_app
from feedback.extensions import db
from feedback.cases.models import Case
from feedback.cases.opening import opens_case
from feedback.responses.models import Response, ResponseEffect
from feedback.surveys.models import Survey
from feedback.webhooks.models import WebhookDelivery
app = create_app()
with app.app_context():
    waiting = db.session.scalar(select(func.count()).select_from(ResponseEffect))
    survey = db.session.scalar(select(Survey))
    rows = db.session.execute(select(Response.id, Response.score, Response.submitted_at)).all()
    cases = Counter(db.session.scalars(select(Case.response_id)))
    made = dict(db.session.execute(select(Case.response_id, Case.created_at)).all())
    expected = {rid for rid, score, _ in rows if opens_case(survey, score)}
    created = Counter(db.session.scalars(select(WebhookDelivery.payload["data"]["id"].as_integer())
        .where(WebhookDelivery.event == "response.created")))
    delays = sorted((made[rid] - at).total_seconds() for rid, _s, at in rows if rid in made)
    def pick(q):
        return round(delays[min(len(delays) - 1, int(q * len(delays)))], 3) if delays else None
    print(json.dumps({
        "waiting": waiting,
        "cases_expected": len(expected),
        "cases_missing": len(expected - set(cases)),
        "cases_unexpected": len(set(cases) - expected),
        "cases_duplicated": sum(n - 1 for n in cases.values() if n > 1),
        "events_missing": sum(1 for rid, _s, _a in rows if created[rid] == 0),
        "events_duplicated": sum(n - 1 for n in created.values() if n > 1),
        "delay_p50_s": pick(0.5), "delay_p99_s": pick(0.99),
        "delay_max_s": round(delays[-1], 3) if delays else None,
    }))
"""
EFFECTS_WAITING = "SELECT count(*) FROM response_effect"
WORKER_ENV = {"FEEDBACK_WEBHOOKS_ALLOW_PRIVATE": "true"}


def responses(url: str, key: str, survey: str, args: argparse.Namespace) -> dict[str, Any]:
    run_python(url, SUBSCRIBE, WORKER_ENV)
    port = free_port()
    server = start_server(url, port)
    worker = start_worker(url, WORKER_ENV)
    load = Load(port, key, survey, args.threads)
    load.start()
    kills = worker_kills = 0
    try:
        for _ in range(args.kills):
            time.sleep(args.round_seconds * random.uniform(0.6, 1.4))
            kill(server)
            kills += 1
            # The job runner too, at a random point of its once-a-second batches.
            time.sleep(random.uniform(0, 1))
            kill(worker)
            worker_kills += 1
            time.sleep(0.5)
            server = start_server(url, port)
            worker = start_worker(url, WORKER_ENV)
        time.sleep(args.round_seconds)
        load.stop()
        unanswered = load.retry_unsure()
        engine = create_engine(url)
        with engine.connect() as conn:
            wait_for(
                lambda: True if conn.execute(text(EFFECTS_WAITING)).scalar_one() == 0 else None,
                args.wait,
            )
        engine.dispose()
    finally:
        load.running = False
        kill(server)
        kill(worker)
    effects = json.loads(run_python(url, EFFECTS))
    stored = json.loads(run_python(url, STORED))
    ids = [c for c, _ in stored]
    wrong_score = sum(1 for c, s in stored if c.startswith("crash-") and s != _score(c))
    return {
        "kills": kills,
        "sent": load.sent,
        "acknowledged": len(load.acked),
        "retried": len(load.unsure),
        "never_answered": unanswered,
        "stored": len(set(ids)),
        "lost": len(load.acked - set(ids)),
        "duplicates": len(ids) - len(set(ids)),
        "wrong_score": wrong_score,
        "worker_kills": worker_kills,
        **{f"effects_{k}": v for k, v in effects.items()},
    }


SEED_COMMENTS = """
import random, uuid
from feedback import create_app
from feedback.extensions import db
from feedback.responses.models import Response
from feedback.surveys.models import Survey
from feedback.accounts.models import Workspace
from sqlalchemy import insert, select
app = create_app()
with app.app_context():
    survey = db.session.scalar(select(Survey))
    words = ["slow", "crashes", "pricing", "support was great", "export fails", "love reports",
             "billing charged twice", "setup took ages", "mobile app", "integration with Slack"]
    rng = random.Random(3)
    rows = []
    for n in range({count}):
        text = " and ".join(rng.sample(words, 3)) + f". Case {{n}}."
        rows.append(dict(workspace_id=survey.workspace_id, survey_id=survey.id,
            client_id=f"nlp-{{n:06d}}", channel="api", kind="nps", question="q", score=5,
            band="detractor", answers={{}}, comment=text, context={{}}, nlp_status="pending"))
    db.session.execute(insert(Response), rows)
    db.session.commit()
"""

ANALYSED = """
import json
from sqlalchemy import func, select
from feedback import create_app
from feedback.extensions import db
from feedback.responses.models import Response
from feedback.themes.models import ResponseTheme
app = create_app()
with app.app_context():
    status = dict(db.session.execute(select(Response.nlp_status, func.count())
        .where(Response.client_id.like("nlp-%")).group_by(Response.nlp_status)).all())
    pairs = db.session.execute(select(ResponseTheme.response_id, ResponseTheme.theme_id,
        func.count()).group_by(ResponseTheme.response_id, ResponseTheme.theme_id)
        .having(func.count() > 1)).all()
    print(json.dumps({"status": status, "duplicate_theme_rows": len(pairs)}))
"""


def start_worker(
    url: str, env: dict[str, str], command: list[str] | None = None
) -> subprocess.Popen:
    return subprocess.Popen(
        command or [str(VENV_BIN / "flask"), "feedback", "worker"],
        cwd=ROOT,
        env={**os.environ, "FLASK_APP": "wsgi", "FEEDBACK_DATABASE_URL": url, **env},
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


# The worker's invite job, run at once: a kill round then takes seconds, not the 30 s the
# worker waits before its first run, so a run can afford many.
SEND_INVITES = """
from feedback import create_app
from feedback.jobs import send_due_invites
app = create_app()
with app.app_context():
    send_due_invites(batches=1000)
"""


def kill_mid_work(worker: subprocess.Popen, progress: Any, total: int, further: float = 1.0) -> int:
    """SIGKILL the worker once it has started on the work and before it has finished it."""
    start = progress()
    deadline = time.time() + 120
    # A process that ends on its own found nothing it could take: no need to wait for it.
    while time.time() < deadline and worker.poll() is None:
        now = progress()
        if now > start or now >= total:
            break
        time.sleep(0.2)
    # A moment further into the batch, at a random point.
    time.sleep(random.uniform(0.1 * further, further))
    kill(worker)
    return progress()


def wait_for(check: Any, seconds: float) -> Any:
    deadline = time.time() + seconds
    while True:
        value = check()
        if value is not None or time.time() > deadline:
            return value
        time.sleep(1)


def analysis(url: str, args: argparse.Namespace) -> dict[str, Any]:
    run_python(url, SEED_COMMENTS.format(count=args.comments))
    env = {"FEEDBACK_ANALYSIS_CLAIM_SECONDS": "3"}
    kills, at_kill = 0, []

    # Counted straight from the database: starting a Python process per look would see the
    # work only once it was over, and the kill would land after the batch, not in it.
    engine = create_engine(url)
    done_count = text(
        "SELECT count(*) FROM response WHERE nlp_status = 'done' AND client_id LIKE 'nlp-%'"
    )

    def done() -> int:
        with engine.connect() as conn:
            return int(conn.execute(done_count).scalar_one())

    for _ in range(args.kills):
        worker = start_worker(url, env)
        at_kill.append(kill_mid_work(worker, done, args.comments))
        kills += 1
    worker = start_worker(url, env)

    def finished() -> dict[str, Any] | None:
        figures = json.loads(run_python(url, ANALYSED))
        left = {k: v for k, v in figures["status"].items() if k in ("pending", "running")}
        return figures if not left else None

    try:
        figures = wait_for(finished, args.wait)
    finally:
        kill(worker)
    engine.dispose()
    figures = figures or json.loads(run_python(url, ANALYSED))
    status = figures["status"]
    return {
        "kills": kills,
        "done_at_each_kill": at_kill,
        "comments": args.comments,
        "analysed": status.get("done", 0),
        "failed": status.get("failed", 0),
        "left": status.get("pending", 0) + status.get("running", 0),
        "duplicate_theme_rows": figures["duplicate_theme_rows"],
    }


SEED_INVITES = """
from feedback import create_app
from feedback.extensions import db
from feedback.surveys.models import Survey
from feedback.accounts.models import Workspace
from feedback.email import invites
from feedback.surveys import service as surveys
from feedback.email.invites import InviteInput
from sqlalchemy import select
app = create_app()
with app.app_context():
    workspace = db.session.scalar(select(Workspace))
    survey = surveys.create_survey(workspace, {{"kind": "csat", "channels": ["email"]}})
    db.session.commit()
    people = [InviteInput(email=f"person{{n}}@crash.example", external_id=None, name=None,
              context={{}}, scheduled_at=None) for n in range({count})]
    invites.create_invites(workspace, survey.public_id, people)
"""

SENT = """
import json
from sqlalchemy import func, select
from feedback import create_app
from feedback.extensions import db
from feedback.email.models import EmailInvite
app = create_app()
with app.app_context():
    print(json.dumps(dict(db.session.execute(select(EmailInvite.status, func.count())
        .group_by(EmailInvite.status)).all())))
"""


def email(url: str, args: argparse.Namespace) -> dict[str, Any]:
    from tests.mail import SmtpServer

    server = SmtpServer()
    run_python(url, SEED_INVITES.format(count=args.invites))
    smtp = server.config()
    env = {
        "FEEDBACK_SMTP_HOST": smtp["FEEDBACK_SMTP_HOST"],
        "FEEDBACK_SMTP_PORT": str(smtp["FEEDBACK_SMTP_PORT"]),
        "FEEDBACK_SMTP_STARTTLS": "false",
        "FEEDBACK_EMAIL_CLAIM_SECONDS": "3",
    }
    kills, at_kill = 0, []
    sender = [sys.executable, "-c", SEND_INVITES]
    try:
        for _ in range(args.email_kills):
            # Sometimes past the claim time, so a killed batch is taken over and killed again.
            time.sleep(random.uniform(0, 4))
            worker = start_worker(url, env, sender)
            # Killed sooner than the analysis worker: the job mails dozens of invites a second.
            mailed = kill_mid_work(
                worker, lambda: len(server.inbox.messages), args.invites, further=0.5
            )
            if worker.returncode == -signal.SIGKILL:  # not ended on its own first
                kills += 1
                at_kill.append(mailed)
        worker = start_worker(url, env)

        def finished() -> dict[str, int] | None:
            status = json.loads(run_python(url, SENT))
            return status if set(status) <= {"sent", "failed", "suppressed"} else None

        try:
            status = wait_for(finished, args.wait) or json.loads(run_python(url, SENT))
        finally:
            kill(worker)
        received = [m["To"] for m in server.inbox.messages]
        message_ids = {m["Message-ID"] for m in server.inbox.messages}
    finally:
        server.stop()
    return {
        "kills": kills,
        "sent_at_each_kill": at_kill,
        "invites": args.invites,
        "marked_sent": status.get("sent", 0),
        # Anything but "sent" names what went wrong: left "sending", suppressed, failed.
        "status": status,
        "received_distinct": len(set(received)),
        "received": len(received),
        "duplicates": len(received) - len(set(received)),
        # A mail sent again after a crash carries its first Message-ID: shown once.
        "distinct_message_ids": len(message_ids),
        "missing": args.invites - len(set(received)),
    }


def met(result: dict[str, Any]) -> bool:
    """Whether one database's phases all met their targets."""
    checks = {
        "responses": lambda r: (
            r["lost"] == r["duplicates"] == r["wrong_score"] == r["never_answered"] == 0
            and r["effects_waiting"] == r["effects_cases_missing"] == 0
            and r["effects_cases_unexpected"] == r["effects_cases_duplicated"] == 0
            and r["effects_events_missing"] == r["effects_events_duplicated"] == 0
        ),
        "analysis": lambda r: r["left"] == r["failed"] == r["duplicate_theme_rows"] == 0,
        "email": lambda r: (
            r["missing"] == 0 and r["marked_sent"] == r["distinct_message_ids"] == r["invites"]
        ),
    }
    return all(checks[phase](figures) for phase, figures in result.items())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kills", type=int, default=3, help="server and analysis kills")
    parser.add_argument("--email-kills", type=int, default=12)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--round-seconds", type=float, default=3.0)
    parser.add_argument("--comments", type=int, default=4000)
    parser.add_argument("--invites", type=int, default=300)
    parser.add_argument("--wait", type=float, default=240.0)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument(
        "--phases",
        type=lambda v: set(v.split(",")),
        default={"responses", "analysis", "email"},
        help="comma-separated: responses,analysis,email (default all three)",
    )
    args = parser.parse_args()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        targets = {"sqlite": f"sqlite:///{tmp}/crash.sqlite3"}
        if not args.skip_postgres:
            reset_pg_schema()
            targets["postgres"] = f"{PG_URL}?options=-csearch_path%3D{SCHEMA}"
        for name, url in targets.items():
            key, survey = prepare(url)
            results[name] = {}
            if "responses" in args.phases:
                results[name]["responses"] = responses(url, key, survey, args)
            if "analysis" in args.phases:
                results[name]["analysis"] = analysis(url, args)
            if "email" in args.phases:
                results[name]["email"] = email(url, args)
            print(f"{name}: {json.dumps(results[name])}", file=sys.stderr)
    ok = all(met(r) for r in results.values())
    results["ok"] = ok
    print(json.dumps(results))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

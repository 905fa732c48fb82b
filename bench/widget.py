"""What a host page pays for the widget: the bytes that travel, and the time to a visible card.

    python bench/widget.py [--runs 5]

Serves the app through gunicorn (development mode, a freshly seeded demo workspace on SQLite),
then:

- asks for the script (the versioned URL the snippet names) and for a new visitor's first
  eligibility answer with Accept-Encoding identity, gzip and br, and counts the body bytes each
  answer carries as it travels (compressed, as sent);
- pastes the printed snippet as it is into a plain page served on another loopback port, and
  in headless Chromium times the card becoming visible against the page's own load event, each
  run a new visitor with an empty cache; the same in a warm run (script cached, a new visitor).

Budgets: the script at most 10 KB and the first eligibility answer at most 1 KB in any coding
a browser takes (gzip, br) and as Chromium received them; the median card within 1,000 ms of
the load event. Last line: one JSON object. Exit 1 when a budget is missed.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# Every app this run starts signs with one random key of its own.
os.environ.setdefault("FEEDBACK_SECRET_KEY", secrets.token_urlsafe(48))

from bench.ingest import VENV_BIN, gunicorn, migrate, stop  # noqa: E402
from feedback.widget.script import embed_snippet  # noqa: E402

SCRIPT_BUDGET = 10 * 1024
ELIGIBILITY_BUDGET = 1024
CARD_AFTER_LOAD_MS = 1000
CODINGS = ("identity", "gzip", "br")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update"]
# Measuring only: notes when the card has a size (the widget renders in an open shadow root).
WATCH = (
    "<script>(function(){function look(){var h=document.querySelector('feedback-widget');"
    "var c=h&&h.shadowRoot&&h.shadowRoot.querySelector('.card');"
    "if(c&&c.getBoundingClientRect().height>0){window.__card=performance.now();return}"
    "requestAnimationFrame(look)}requestAnimationFrame(look)})();</script>"
)


def seed(env: dict[str, str]) -> str:
    """The demo workspace, seeded as `make run` does; its public key."""
    out = subprocess.run(
        [str(VENV_BIN / "flask"), "feedback", "seed-demo", "--responses", "300"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return re.search(r"Public key\s+(pk_\S+)", out.stdout).group(1)


def fetch(port: int, method: str, path: str, coding: str, **extra: Any) -> dict[str, Any]:
    """One call; the body's bytes as sent (not decoded) and the headers' size."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Accept-Encoding": coding, **extra.pop("headers", {})}
    conn.request(method, path, headers=headers, **extra)
    res = conn.getresponse()
    body = res.read()
    conn.close()
    head = sum(len(f"{k}: {v}\r\n") for k, v in res.getheaders()) + len(f"HTTP/1.1 {res.status}")
    return {
        "status": res.status,
        "coding": res.getheader("Content-Encoding") or "identity",
        "body": len(body),
        "headers": head,
        "cache": res.getheader("Cache-Control"),
    }


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


def host_site(page: bytes) -> tuple[Any, int]:
    """A plain page on a loopback port of its own: the developer's app."""

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [page]

    server = make_server("127.0.0.1", 0, app, handler_class=_Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_port


def time_card(page_url: str, runs: int) -> dict[str, Any]:
    """Load event and card visible, in ms from navigation start, cold and then warm."""
    from playwright.sync_api import sync_playwright

    cold: list[dict[str, float]] = []
    warm: list[dict[str, float]] = []
    seen: dict[str, Any] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        for _ in range(runs):
            context = browser.new_context()  # a new visitor, nothing cached
            page = context.new_page()
            page.on("requestfinished", lambda r: _note(r, seen))
            cold.append(_visit(page, page_url))
            page.evaluate("localStorage.clear()")  # another new visitor, the script cached
            warm.append(_visit(page, page_url))
            context.close()
        browser.close()

    def median(rows: list[dict[str, float]], key: str) -> float:
        return round(statistics.median(r[key] for r in rows), 1)

    return {
        "runs": runs,
        "load_ms": median(cold, "load"),
        "card_ms": median(cold, "card"),
        "card_after_load_ms": median(cold, "after"),
        "warm_card_after_load_ms": median(warm, "after"),
        "browser": seen,
    }


def _visit(page: Any, url: str) -> dict[str, float]:
    page.goto(url, wait_until="load")
    page.wait_for_function("window.__card", timeout=15_000)
    load, card = page.evaluate(
        "[performance.getEntriesByType('navigation')[0].loadEventStart, window.__card]"
    )
    return {"load": load, "card": card, "after": card - load}


def _note(request: Any, seen: dict[str, Any]) -> None:
    """What Chromium itself received for the script and the first eligibility answer."""
    name = "script" if "/widget.js" in request.url else None
    if request.url.endswith("/eligibility") and request.method == "POST":
        name = "eligibility"
    if name is None or name in seen:
        return
    response = request.response()
    sizes = request.sizes()
    seen[name] = {
        "coding": response.headers.get("content-encoding", "identity"),
        "body": sizes["responseBodySize"],
        "headers": sizes["responseHeadersSize"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = migrate(f"sqlite:///{tmp}/bench.sqlite3")
        env["FEEDBACK_ENV"] = "development"  # as make run: pages on any loopback port allowed
        key = seed(env)
        proc, port = gunicorn("wsgi:app", env, args.workers)
        try:
            app = f"http://127.0.0.1:{port}"
            snippet = embed_snippet(app, key)
            script_path = re.search(r'"http://[^"]+(/widget\.js\?v=\w+)"', snippet).group(1)
            site, site_port = host_site(
                f"<!doctype html><html><head><meta charset='utf-8'><title>Plain page</title>"
                f"{snippet}{WATCH}</head><body><h1>A plain page</h1>"
                f"<p>Nothing here but the snippet.</p></body></html>".encode()
            )
            page_url = f"http://127.0.0.1:{site_port}/"
            script = {c: fetch(port, "GET", script_path, c) for c in CODINGS}
            eligibility = {
                c: fetch(
                    port,
                    "POST",
                    f"/api/public/{key}/eligibility",
                    c,
                    body=json.dumps({"url": page_url, "anonymous_id": f"anon-bench-{c}"}),
                    headers={
                        "Content-Type": "application/json",
                        "Origin": page_url.rstrip("/"),
                    },
                )
                for c in CODINGS
            }
            card = time_card(page_url, args.runs)
            site.shutdown()
        finally:
            stop(proc)

    def sent(rows: dict[str, dict[str, Any]]) -> dict[str, int]:
        return {coding: row["body"] for coding, row in rows.items()}

    result: dict[str, Any] = {
        "script_bytes": sent(script),
        "script_cache": script["br"]["cache"],
        "eligibility_bytes": sent(eligibility),
        "eligibility_status": sorted({row["status"] for row in eligibility.values()}),
        "snippet_bytes": len(snippet.encode()),
        "loader_bytes": len(snippet.splitlines()[1].encode()),  # the one line that runs
        "card": card,
        "budgets": {
            "script_bytes": SCRIPT_BUDGET,
            "eligibility_bytes": ELIGIBILITY_BUDGET,
            "card_after_load_ms": CARD_AFTER_LOAD_MS,
        },
    }
    browser = card["browser"]
    missed = []
    for name, rows, budget in (
        ("script", script, SCRIPT_BUDGET),
        ("eligibility", eligibility, ELIGIBILITY_BUDGET),
    ):
        # Every browser takes gzip, and each engine in use today br: those are what travel.
        travelled = [rows["gzip"]["body"], rows["br"]["body"], browser[name]["body"]]
        if max(travelled) > budget:
            missed.append(f"{name} {max(travelled)} bytes > {budget}")
    if result["eligibility_status"] != [200]:
        missed.append(f"eligibility answered {result['eligibility_status']}")
    if card["card_after_load_ms"] > CARD_AFTER_LOAD_MS:
        missed.append(f"card {card['card_after_load_ms']} ms after load > {CARD_AFTER_LOAD_MS}")
    result["missed"] = missed
    result["ok"] = not missed
    for line in missed:
        print(f"missed: {line}", file=sys.stderr)
    print(json.dumps(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())

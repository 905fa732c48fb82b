"""What the browser tests do over and over: find the card, move focus, wait for the server."""

from __future__ import annotations

import gzip
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

WIDGET = Path(__file__).resolve().parents[2] / "feedback" / "static" / "widget.js"
CARD = "feedback-widget .card"

# The loader from docs/widget.md, with the key and the address filled in.
SNIPPET = (
    "!function(w,d,u,k){{w.feedback=w.feedback||function(){{(w.feedback.q=w.feedback.q||[])"
    '.push(arguments)}};var s=d.createElement("script");s.async=1;s.src=u;'
    'd.head.appendChild(s);w.feedback("init",{{key:k,host:u.replace(/\\/widget\\.js.*$/,"")'
    ',debug:true}})}}(window,document,"{app}/widget.js","{key}");'
)


def widget_gzip_size() -> int:
    return len(gzip.compress(WIDGET.read_bytes(), compresslevel=9))


FOCUSED = """() => {
  const outer = document.activeElement;
  const inner = outer && outer.shadowRoot && outer.shadowRoot.activeElement;
  if (!inner) return null;
  return {tag: inner.tagName, score: inner.dataset.score || null,
          label: inner.getAttribute('aria-label'), text: inner.textContent};
}"""


def eventually(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Poll `check` until it returns something truthy; fail after `timeout` seconds.

    For the database only: Playwright's sync API delivers page events (console lines) during
    its own calls, not while this sleeps; wait for those with `page.expect_*`.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout}s: {check}")
        time.sleep(0.1)


def focused(page: Any) -> dict[str, Any] | None:
    """The element focused inside the widget's shadow root, or None."""
    return page.evaluate(FOCUSED)


def tab_into_widget(page: Any, limit: int = 20) -> dict[str, Any]:
    """Press Tab until the focus enters the card, as a keyboard user would."""
    # The card appears only once the server has answered; a busy machine may take a while.
    page.locator(CARD).first.wait_for(state="visible", timeout=15_000)
    for _ in range(limit):
        page.keyboard.press("Tab")
        inside = focused(page)
        if inside:
            return inside
    raise AssertionError("Tab never reached the survey card")


def eligibility_answer(page: Any, action: Callable[[], Any]) -> dict[str, Any]:
    """Run `action` (a load or a click) and return the server's eligibility answer."""

    def is_eligibility(response: Any) -> bool:
        return response.url.endswith("/eligibility") and response.request.method == "POST"

    with page.expect_response(is_eligibility) as info:
        action()
    return info.value.json()


def sign_in(page: Any, live: Any, email: str, password: str = "correct horse battery") -> None:
    """Sign in through the login form and land on the scorecard."""
    page.goto(f"{live.origin}/app/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live.origin}/app/")

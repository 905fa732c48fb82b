"""The widget on host pages that fight it, answered by mouse and by keyboard.

Each page below carries one hazard real sites have: built-ins patched or replaced (Prototype.js's
toJSON, a broken JSON, a polluted Object.prototype, an AMD loader, a fetch wrapper), errors of
its own, a strict Content-Security-Policy, CSS that resets everything, fixed bars at the top
z-index, or a right-to-left layout. On every one the card works unchanged, each answer is
stored exactly once, and nothing is thrown into the page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Live
from tests.browser.helpers import CARD, SNIPPET, eventually, focused, tab_into_widget

pytestmark = pytest.mark.browser

IDENTIFY = (
    "feedback('identify', {id: 'host-user', traits: {plan: 'Pro',"
    " since: new Date(Date.UTC(2024, 0, 2))}});"
)
# Rejections the page never handles, kept where the test can read them.
REJECTIONS = (
    "window.__rejections = [];"
    "window.addEventListener('unhandledrejection', function (e) {"
    " window.__rejections.push(String(e.reason && e.reason.stack || e.reason)); });"
)
LAST_LINK = '<p><a id="last" href="#end">Last link on the page</a></p>'


@dataclass
class Hazard:
    """A host page's <html> attributes, what it puts before the snippet, and its page body."""

    head: str = ""
    body: str = ""
    html: str = 'lang="en"'
    errors: tuple[str, ...] = ()  # the page's own uncaught errors, expected in the log
    csp: str = ""  # "file": the snippet in a file of the site; "nonce": inline with a nonce


PROTOTYPE_JS = """<script>
// Prototype.js 1.6 serialises arrays itself: JSON.stringify([1]) becomes the string "[1]".
Array.prototype.toJSON = function () {
  return "[" + this.map(function (v) { return JSON.stringify(v); }).join(", ") + "]";
};
String.prototype.toJSON = function () { return "s:" + this; };
</script>"""

TOJSON = """<script>
Object.prototype.toJSON = function () { return "an object"; };
Date.prototype.toJSON = function () { return "a date"; };
</script>"""

BROKEN_JSON = """<script>
// An old JSON shim that knows only some values, and a parse that revives nothing.
JSON.stringify = function (v) { return typeof v === "string" ? '"' + v + '"' : "{}"; };
JSON.parse = function () { return "[object Object]"; };
</script>"""

# Every name the widget reads from an options object, a survey or an answer of the server,
# and some that fetch() and attachShadow() read from theirs.
POLLUTED = """<script>
Object.assign(Object.prototype, {
  polluted: "yes", error: {code: "invalid", message: "polluted"}, show: false,
  target: "#nowhere", context: {polluted: "context"}, debug: false, auto: false,
  host: "http://127.0.0.1:9", key: "pk_polluted", when: {score: [99, 99]},
  answer: {followup: "nope", in: ["x"]}, labels: {low: "LOW", high: "HIGH"}, low: "LOW",
  max_length: 3, placeholder: "polluted", theme: "dark", accent: "#ff0000",
  product_name: "Polluted", dir: "rtl", lang: "xx", closed: true, back: "x", love: true,
  improve: true, mode: "no-cors", signal: "not a signal", priority: "bogus",
  slotAssignment: "bogus", delay_seconds: 30, reasons: 1, survey: "s_polluted"
});
Array.prototype.extra = function () {};
</script>"""

AMD = """<script>
// RequireJS: an anonymous define() from a script it did not load is an error.
window.__defines = 0;
window.define = function () {
  window.__defines++;
  throw new Error("Mismatched anonymous define() module");
};
window.define.amd = {jQuery: true};
window.require = window.requirejs = function () {};
window.module = {exports: {}};
window.exports = window.module.exports;
</script>"""

WRAPPED_FETCH = """<script>
// An analytics wrapper: counts calls, rebuilds the request, and hands back a bare thenable.
(function () {
  var original = window.fetch;
  window.__fetches = 0;
  window.fetch = function (input, init) {
    window.__fetches++;
    var p = original(new Request(input, init)).then(function (r) { return r; });
    return {then: function (ok, fail) { return p.then(ok, fail); }};
  };
})();
</script>"""

HOST_ERRORS = """<script>
window.onerror = function () { return false; };
setTimeout(function () { Promise.reject(new Error("host rejection")); }, 10);
setTimeout(function () { throw new Error("host noise"); }, 20);
</script>
<script>throw new Error("early host failure");</script>"""

HOSTILE_CSS = """<style>
* { all: unset !important; }
* { display: block !important; }
html { font-size: 40px !important; }
div, button, p { color: red !important; font: 30px serif !important; padding: 20px !important; }
feedback-widget, :host, :popover-open, [popover] {
  display: none !important; opacity: 0 !important; visibility: hidden !important;
  transform: scale(0) !important; pointer-events: none !important; position: static !important;
  z-index: -1 !important; zoom: 3 !important; filter: blur(4px) !important; }
feedback-widget::before { content: "HOST TEXT" !important; display: block !important;
  font-size: 60px !important; }
feedback-widget::part(card), feedback-widget *, feedback-widget .card { display: none !important; }
::backdrop { background: rgba(0, 0, 0, .8) !important; }
:root { --fb-accent: red !important; --fb-bg: black !important; --n: 1 !important; }
script, style, title { display: none !important; }
</style>"""

FIXED_BARS = """<style>
html, body { height: 100%; overflow: hidden; }
body { transform: translateZ(0); margin: 0; }
header.bar { position: fixed; top: 0; left: 0; right: 0; height: 64px; background: #111827;
  color: #fff; z-index: 2147483647; padding: 16px; }
.cookies { position: fixed; left: 0; right: 0; bottom: 0; height: 45vh; background: #1e3a8a;
  color: #fff; z-index: 2147483647; padding: 16px; }
main { padding-top: 80px; }
</style>"""
FIXED_BODY = (
    '<header class="bar">Acme Analytics: a header fixed at the top z-index</header>'
    '<div class="cookies">A cookie banner fixed over the bottom of the page, also at the top'
    " z-index.</div>"
)

RTL_BODY = (
    "<h2>لوحة التحكم</h2><p>مرحبا بك في لوحة التحكم. هذه صفحة من اليمين إلى اليسار.</p>"
    '<nav><a href="#a">التقارير</a> <a href="#b">الإعدادات</a></nav>'
)

HAZARDS = {
    "prototype-js-toJSON": Hazard(head=PROTOTYPE_JS),
    "object-and-date-toJSON": Hazard(head=TOJSON),
    "replaced-JSON": Hazard(head=BROKEN_JSON),
    "polluted-Object.prototype": Hazard(head=POLLUTED),
    "AMD-define": Hazard(head=AMD),
    "wrapped-fetch": Hazard(head=WRAPPED_FETCH),
    "host-errors": Hazard(
        head=HOST_ERRORS, errors=("early host failure", "host noise", "host rejection")
    ),
    "strict-CSP-snippet-in-a-file": Hazard(csp="file"),
    "strict-CSP-nonce": Hazard(csp="nonce"),
    "hostile-CSS": Hazard(head=HOSTILE_CSS),
    "fixed-bars-top-z-index": Hazard(head=FIXED_BARS, body=FIXED_BODY),
    "right-to-left": Hazard(html='dir="rtl" lang="ar"', body=RTL_BODY),
}

NONCE = "r4nd0m-n0nce"
WATCH_CSP = (
    "document.addEventListener('securitypolicyviolation', function (e) {"
    " (window.__violations = window.__violations || []).push(e.violatedDirective + ' '"
    " + e.blockedURI); });"
)


@pytest.fixture
def hostile_page(live: Live) -> Iterator[Callable[[str, Hazard], str]]:
    """Register the host page of a hazard embedding the widget for `key`; returns its URL."""
    added: list[str] = []

    def make(key: str, hazard: Hazard) -> str:
        path = f"/hazard/{len(added)}-{key}"
        loader = WATCH_CSP + REJECTIONS + SNIPPET.format(app=live.origin, key=key) + IDENTIFY
        csp = None
        if hazard.csp == "file":
            live.host.add(f"{path}.js", loader, "text/javascript")
            scripts = f'<script src="{path}.js"></script>'
            csp = f"default-src 'none'; script-src 'self' {live.origin}; connect-src {live.origin}"
        elif hazard.csp == "nonce":
            scripts = f'<script nonce="{NONCE}">{loader}</script>'
            csp = (
                f"default-src 'none'; script-src 'nonce-{NONCE}' 'strict-dynamic';"
                f" connect-src {live.origin}"
            )
        else:
            scripts = f"<script>{loader}</script>"
        if csp:
            csp += "; style-src 'self'; img-src 'self'"
        html = f"""<!doctype html>
<html {hazard.html}><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Host page</title>{hazard.head}{scripts}</head>
<body><h1>Acme Analytics</h1>{hazard.body}
<nav><a href="#reports">Reports</a> <a href="#dashboards">Dashboards</a></nav>
{LAST_LINK}</body></html>"""
        added.append(path)
        return live.host.add(path, html, csp=csp)

    yield make
    for path in added:
        live.host.pages.pop(path, None)
        live.host.pages.pop(f"{path}.js", None)


def _answered_once(live: Live, workspace_id: int, answers: dict[str, Any]) -> dict[str, Any]:
    """The one response of the workspace, once its answers are in; fails on a second one."""

    def complete() -> list[dict[str, Any]] | None:
        rows = live.responses(workspace_id)
        return rows if rows and rows[0]["answers"] == answers else None

    eventually(complete)
    (response,) = live.responses(workspace_id)  # exactly once
    (display,) = live.displays(workspace_id)
    assert display.dismissed_at is None  # a card closed after its score is not a dismissal
    assert response["display_id"] == display.id
    return response


def _nothing_thrown(page: Any, watched: Any, hazard: Hazard) -> None:
    widget_errors = [e for e in watched.errors if not any(x in e for x in hazard.errors)]
    assert widget_errors == []
    rejections = page.evaluate("window.__rejections || []")
    assert [r for r in rejections if "host rejection" not in r] == []
    assert [line for line in watched.console if line.startswith("warning: [feedback]")] == []
    assert page.evaluate("window.__violations || []") == []
    assert page.evaluate("window.__defines || 0") == 0  # the widget never calls define()


def _check_the_card_is_the_surveys(page: Any) -> None:
    """Left to right and in English whatever the page, with 0 on the left."""
    card = page.locator(CARD)
    expect(card).to_have_attribute("dir", "ltr")
    expect(card).to_have_attribute("lang", "en")
    zero = page.locator("feedback-widget [data-score='0']").bounding_box()
    ten = page.locator("feedback-widget [data-score='10']").bounding_box()
    assert zero["x"] < ten["x"] and zero["y"] == ten["y"]
    question = page.locator("feedback-widget .q")
    assert question.evaluate("q => getComputedStyle(q).direction") == "ltr"
    # The question reads from its first word on the left to its "?" on the right.
    ends = question.evaluate(
        """q => {
          const text = q.firstChild, range = document.createRange();
          const at = i => { range.setStart(text, i); range.setEnd(text, i + 1);
                            return range.getBoundingClientRect().x; };
          return [at(0), at(text.length - 1)];
        }"""
    )
    assert ends[0] < ends[1]
    # Nothing the page generates on the card's element (text, a dimming backdrop) shows.
    pseudo = page.evaluate(
        """() => ['::before', '::after', '::backdrop'].map(
             p => getComputedStyle(document.querySelector('feedback-widget'), p).display)"""
    )
    assert pseudo == ["none", "none", "none"]
    low, high = page.locator("feedback-widget .ends span").all()
    assert low.inner_text() == "Not at all likely"
    assert low.bounding_box()["x"] < high.bounding_box()["x"]


def _on_top(page: Any, score: int) -> bool:
    """Whether a click in the middle of this score button lands on the card."""
    box = page.locator(f"feedback-widget [data-score='{score}']").bounding_box()
    return page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y)?.tagName === 'FEEDBACK-WIDGET'",
        [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
    )


@pytest.mark.parametrize("name", list(HAZARDS))
def test_answered_by_mouse_on_a_hostile_page(live, tenant, hostile_page, watched, name):
    hazard = HAZARDS[name]
    t = tenant({"nps": {"kind": "nps"}})
    page = watched.page
    page.goto(hostile_page(t.key, hazard))
    expect(page.locator(CARD)).to_be_visible()
    _check_the_card_is_the_surveys(page)
    assert _on_top(page, 9)
    page.locator("feedback-widget [data-score='9']").click()
    textarea = page.locator("feedback-widget textarea")
    expect(page.locator("feedback-widget label")).to_have_text("What did you love?")
    textarea.fill("Fast exports")
    page.locator("feedback-widget .send").click()
    expect(page.locator("feedback-widget .live")).to_have_text("Thank you for your feedback!")
    page.locator("feedback-widget .x").click()
    expect(page.locator(CARD)).to_have_count(0)

    response = _answered_once(live, t.id, {"love": "Fast exports"})
    assert response["score"] == 9
    assert response["respondent"] == "host-user"
    assert response["context"]["plan"] == "Pro"
    assert str(response["context"]["since"]).startswith("2024-01-02")
    page.wait_for_timeout(300)
    assert len(live.responses(t.id)) == 1
    _nothing_thrown(page, watched, hazard)


@pytest.mark.parametrize("name", list(HAZARDS))
def test_answered_by_keyboard_on_a_hostile_page(live, tenant, hostile_page, watched, name):
    hazard = HAZARDS[name]
    t = tenant({"nps": {"kind": "nps"}})
    page = watched.page
    page.goto(hostile_page(t.key, hazard))
    expect(page.locator(CARD)).to_be_visible()
    assert not focused(page)  # the card does not take the focus when it shows

    first = tab_into_widget(page)
    assert first["label"] == "0 out of 10, Not at all likely"
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    assert focused(page)["label"] == "3 out of 10"
    page.keyboard.press(("Enter", "Space")[list(HAZARDS).index(name) % 2])
    textarea = page.locator("feedback-widget textarea")
    expect(textarea).to_be_focused()
    expect(page.locator("feedback-widget label")).to_have_text("What can we improve?")
    page.keyboard.type("Too slow")
    page.keyboard.press("Tab")  # Skip
    page.keyboard.press("Tab")  # Send
    assert focused(page)["text"] == "Send"
    page.keyboard.press("Enter")
    expect(page.locator("feedback-widget .live")).to_have_text("Thank you for your feedback!")
    page.keyboard.press("Escape")
    expect(page.locator(CARD)).to_have_count(0)
    # The focus goes back where it was before Tab took it into the card.
    assert page.evaluate("document.activeElement.id") == "last"

    response = _answered_once(live, t.id, {"improve": "Too slow"})
    assert response["score"] == 3
    page.wait_for_timeout(300)
    assert len(live.responses(t.id)) == 1
    _nothing_thrown(page, watched, hazard)


def test_a_queue_saved_as_a_string_is_dropped_not_trusted(live, tenant, hostile_page, watched):
    # What the widget used to save on a Prototype.js page: the queue as a string.
    t = tenant({"nps": {"kind": "nps"}})
    page = watched.page
    blank = live.host.add("/blank", "<!doctype html><title>Blank</title>")
    page.goto(blank)
    page.evaluate(
        """() => {
          localStorage.setItem('feedback:pending', JSON.stringify('[{"k": "x", "u": 1}]'));
        }"""
    )
    page.goto(hostile_page(t.key, Hazard()))
    page.locator("feedback-widget [data-score='10']").click()
    page.locator("feedback-widget .skip").click()
    expect(page.locator("feedback-widget .live")).to_have_text("Thank you for your feedback!")

    (response,) = eventually(lambda: live.responses(t.id))
    assert response["score"] == 10
    eventually(lambda: page.evaluate("localStorage.getItem('feedback:pending')") == "[]")
    _nothing_thrown(page, watched, Hazard())


def test_a_page_that_swaps_its_body_takes_the_card_without_a_dismissal(
    live, tenant, hostile_page, watched
):
    # Turbo and some routers replace <body> on navigation, the card with it.
    t = tenant({"nps": {"kind": "nps"}, "csat": {"kind": "csat", "targeting": {"events": ["x"]}}})
    page = watched.page
    page.goto(hostile_page(t.key, Hazard()))
    expect(page.locator(CARD)).to_be_visible()
    eventually(lambda: live.displays(t.id))
    page.evaluate(
        """() => { const body = document.createElement('body');
                   body.innerHTML = '<h1>Next page</h1><p>Swapped in by the router.</p>';
                   document.body.replaceWith(body); }"""
    )
    page.mouse.click(100, 100)  # a click anywhere: no card was there to dismiss
    page.evaluate(f"feedback('show', '{t.surveys['csat']}')")
    expect(page.locator(CARD)).to_be_visible()  # the next survey is not blocked by the old one
    page.locator("feedback-widget [data-score='5']").click()
    (response,) = eventually(lambda: live.responses(t.id))
    assert response["survey"] == t.surveys["csat"]
    assert all(d.dismissed_at is None for d in live.displays(t.id))
    _nothing_thrown(page, watched, Hazard())

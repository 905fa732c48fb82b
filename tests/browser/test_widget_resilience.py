"""The widget on pages that fight it: offline, hostile styles and scripts, strict CSP, XSS."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from feedback.accounts.models import Workspace
from feedback.extensions import db, writing
from feedback.surveys.service import get_survey, update_survey
from tests.browser.helpers import CARD, SNIPPET, eventually

pytestmark = pytest.mark.browser

IDENTIFY = "feedback('identify', {id: 'user-7', traits: {plan: 'Starter'}});"
PENDING = "() => JSON.parse(localStorage.getItem('feedback:pending') || '[]')"


def block_api(page, live):
    page.route(f"{live.origin}/api/**", lambda route: route.abort("internetdisconnected"))


def test_answers_given_offline_are_sent_once_when_back_online(live, tenant, host_page, watched):
    t = tenant({"nps": {"kind": "nps"}})
    page = watched.page
    page.goto(host_page(t.key, script=IDENTIFY))
    expect(page.locator(CARD)).to_be_visible()
    eventually(lambda: live.displays(t.id))

    block_api(page, live)
    page.locator("feedback-widget [data-score='4']").click()
    page.locator("feedback-widget textarea").fill("Loading is slow on trains")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("feedback-widget .live")).to_have_text("Thank you for your feedback!")
    pending = page.evaluate(PENDING)
    assert len(pending) == 1  # the answer replaced the score-only write for the same id
    assert pending[0]["b"]["score"] == 4
    assert pending[0]["b"]["answers"] == {"improve": "Loading is slow on trains"}
    page.wait_for_timeout(1500)  # a back-off retry fails while still offline
    assert live.responses(t.id) == []

    page.unroute(f"{live.origin}/api/**")
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    (response,) = eventually(lambda: live.responses(t.id))
    assert response["score"] == 4
    eventually(lambda: page.evaluate(PENDING) == [])
    assert live.responses(t.id)[0]["answers"] == {"improve": "Loading is slow on trains"}
    page.wait_for_timeout(500)
    assert len(live.responses(t.id)) == 1


def test_a_pending_score_is_sent_on_the_next_page_load(live, tenant, host_page, context):
    t = tenant({"ces": {"kind": "ces", "targeting": {"events": ["never_fired"]}}})
    script = IDENTIFY + f"feedback('show', '{t.surveys['ces']}');"
    url = host_page(t.key, script=script)
    page = context.new_page()
    page.goto(url)
    expect(page.locator(CARD)).to_be_visible()
    eventually(lambda: live.displays(t.id))
    block_api(page, live)
    page.locator("feedback-widget [data-score='2']").click()
    expect(page.locator("feedback-widget label")).to_have_text("What made it hard?")
    assert len(page.evaluate(PENDING)) == 1
    page.close()
    assert live.responses(t.id) == []

    later = context.new_page()
    later.goto(host_page(t.key, path="/other"))
    (response,) = eventually(lambda: live.responses(t.id))
    assert response["score"] == 2 and response["context"]["page_url"] == url
    eventually(lambda: later.evaluate(PENDING) == [])


def test_a_refused_write_is_dropped_not_retried(live, tenant, host_page, watched):
    t = tenant({"nps": {"kind": "nps"}})
    page = watched.page
    page.goto(host_page(t.key, script=IDENTIFY))
    expect(page.locator(CARD)).to_be_visible()

    def pause() -> None:
        survey = get_survey(db.session.get(Workspace, t.id), t.surveys["nps"])
        with writing():
            update_survey(survey, {"status": "paused"})
            db.session.commit()

    eventually(lambda: live.displays(t.id))  # nothing in flight that could cache the survey
    live.query(pause)
    with page.expect_console_message(lambda m: "dropped" in m.text) as message:
        page.locator("feedback-widget [data-score='9']").click()
    assert "409" in message.value.text and "survey_inactive" in message.value.text
    assert page.evaluate(PENDING) == []
    assert live.responses(t.id) == []


def _card_metrics(page):
    return page.locator(CARD).evaluate(
        """card => {
          const root = card.getRootNode();
          const pick = (el, names) => {
            const s = getComputedStyle(el);
            return Object.fromEntries(names.map(n => [n, s.getPropertyValue(n)]));
          };
          const r = card.getBoundingClientRect();
          const b = root.querySelector('[data-score="5"]').getBoundingClientRect();
          return {
            box: [r.x, r.y, r.width, r.height].map(Math.round),
            button: [b.width, b.height].map(Math.round),
            card: pick(card, ['background-color', 'border-radius', 'box-shadow', 'padding-top',
                              'position', 'font-size', 'font-family']),
            question: pick(root.querySelector('.q'), ['font-size', 'font-weight', 'color',
                                                      'line-height', 'text-transform']),
            host: pick(root.host, ['position', 'z-index', 'display', 'right', 'bottom']),
          };
        }"""
    )


def test_hostile_host_styles_do_not_change_the_card(live, tenant, host_page, watched, shot):
    t = tenant({"nps": {"kind": "nps", "targeting": {"events": ["never_fired"]}}})
    show = IDENTIFY + f"feedback('show', '{t.surveys['nps']}');"
    page = watched.page
    page.goto(host_page(t.key, script=show, path="/clean"))
    expect(page.locator(CARD)).to_be_visible()
    page.wait_for_timeout(300)
    clean = _card_metrics(page)

    hostile = (
        "<style>* { all: unset !important } html { font-size: 40px }"
        " div, button, p { color: red !important; font: 30px serif !important;"
        " box-sizing: content-box !important; padding: 20px !important }"
        " feedback-widget { display: none; transform: scale(2) }</style>"
    )
    page.goto(host_page(t.key, script=show, head=hostile, path="/hostile"))
    expect(page.locator(CARD)).to_be_visible()
    page.wait_for_timeout(300)
    assert _card_metrics(page) == clean
    shot(page)


def test_host_page_errors_do_not_stop_the_widget(live, tenant, host_page, watched):
    t = tenant({"csat": {"kind": "csat", "scale": {"style": "stars"}}})
    noise = (
        "<script>window.onerror = function () { return false; };"
        "Object.prototype.polluted = 'yes'; Array.prototype.extra = function () {};"
        "setInterval(function () { throw new Error('host noise'); }, 50);</script>"
        "<script>throw new Error('early host failure');</script>"
    )
    page = watched.page
    page.goto(host_page(t.key, script=IDENTIFY + "undefinedFunction();", head=noise))
    expect(page.locator(CARD)).to_be_visible()
    page.locator("feedback-widget [data-score='5']").click()
    page.locator("feedback-widget textarea").fill("Quick and kind")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("feedback-widget .live")).to_have_text("Thank you for your feedback!")

    def complete():
        rows = live.responses(t.id)
        return rows if rows and rows[0]["answers"] else None

    (response,) = eventually(complete)
    assert response["answers"] == {"went_well": "Quick and kind"}
    assert response["context"]["plan"] == "Starter"
    assert any("early host failure" in e for e in watched.errors)
    assert not [e for e in watched.errors if "widget.js" in e]


def test_question_with_html_is_shown_as_text(live, tenant, host_page, watched, shot):
    question = "<img src=x onerror=alert(1)> How likely are you to <b>recommend</b> us?"
    prompt = "<script>alert(2)</script>Why?"
    t = tenant(
        {
            "nps": {
                "kind": "nps",
                "question": question,
                "followups": [{"id": "why", "type": "text", "prompt": prompt}],
            }
        }
    )
    page = watched.page
    page.goto(host_page(t.key, script=IDENTIFY))
    expect(page.locator("feedback-widget .q")).to_have_text(question)
    assert page.locator("feedback-widget img, feedback-widget b").count() == 0
    shot(page)
    page.locator("feedback-widget [data-score='7']").click()
    expect(page.locator("feedback-widget label")).to_have_text(prompt)
    assert page.locator("feedback-widget script").count() == 0
    page.wait_for_timeout(300)
    assert watched.dialogs == []


def test_an_origin_off_the_allow_list_is_refused_and_told_why(live, tenant, host_page, watched):
    t = tenant({"nps": {"kind": "nps"}})
    url = host_page(t.key, script=IDENTIFY).replace(live.host.origin, live.host.other_origin)
    page = watched.page
    # The refusal is readable by the page (not a failed preflight), so debug mode says why.
    with page.expect_console_message(lambda m: "origin_not_allowed" in m.text) as message:
        page.goto(url)
    assert f"add {live.host.other_origin} in Settings → Allowed origins" in message.value.text, (
        message.value.text
    )

    def refused():
        return [
            c
            for c in live.calls
            if c[0] == "POST" and c[2] == live.host.other_origin and c[1].endswith("/eligibility")
        ]

    calls = eventually(refused)
    assert all(status == 403 for _, _, _, status in calls)
    page.wait_for_timeout(500)
    expect(page.locator(CARD)).to_have_count(0)
    assert live.displays(t.id) == [] and live.responses(t.id) == []
    assert not [e for e in watched.errors if "widget.js" in e]


def test_strict_csp_page_still_gets_a_styled_card(live, tenant, watched, shot):
    t = tenant({"nps": {"kind": "nps", "branding": {"accent": "#ea580c"}}})
    site = live.host
    loader = (
        "document.addEventListener('securitypolicyviolation', function (e) {"
        " (window.violations = window.violations || []).push(e.violatedDirective + ' '"
        " + e.blockedURI); });\n"
        + SNIPPET.format(app=live.origin, key=t.key)
        + "\nfeedback('identify', {id: 'csp-user'});"
    )
    site.add("/csp/loader.js", loader, "text/javascript")
    site.add("/csp/site.css", "body { font-family: serif; margin: 40px; }", "text/css")
    csp = (
        f"default-src 'none'; script-src 'self' {live.origin}; connect-src {live.origin};"
        " style-src 'self'; img-src 'self'"
    )
    page_url = site.add(
        "/csp/app",
        '<!doctype html><html><head><meta charset="utf-8"><title>Strict</title>'
        '<link rel="stylesheet" href="/csp/site.css"><script src="/csp/loader.js"></script>'
        "</head><body><h1>A page with a strict policy</h1></body></html>",
        csp=csp,
    )
    page = watched.page
    page.goto(page_url)
    card = page.locator(CARD)
    expect(card).to_be_visible()
    page.wait_for_timeout(300)
    style = card.evaluate(
        "c => { const s = getComputedStyle(c); return [s.borderRadius, s.backgroundColor,"
        " s.position, getComputedStyle(c.querySelector('[data-score=\"0\"]')).minHeight] }"
    )
    assert style == ["12px", "rgb(255, 255, 255)", "relative", "36px"]
    page.locator("feedback-widget [data-score='9']").hover()
    shot(page)
    page.locator("feedback-widget [data-score='9']").click()
    selected = page.locator("feedback-widget [data-score='9']")
    expect(selected).to_have_css("background-color", "rgb(234, 88, 12)")
    (response,) = eventually(lambda: live.responses(t.id))
    assert response["score"] == 9
    assert page.evaluate("window.violations || []") == []

"""Respondents answer with any assistive technology: axe-core finds nothing on the card in each
of its states, on the hosted survey page or on the email score page, at a desktop and a phone
width; and the keyboard reaches, names and shows everything.

axe-core comes from tests/browser/node (`npm ci --prefix tests/browser/node`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from feedback.accounts.workspaces import create_workspace
from feedback.email.invites import InviteInput, create_invites, score_token
from feedback.extensions import db, writing
from feedback.surveys.service import create_survey
from tests.browser.conftest import Live
from tests.browser.helpers import CARD, focused, tab_into_widget

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent / "node" / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = {"desktop": (1280, 800), "phone": (390, 844)}
IDENTIFY = "feedback('identify', {id: 'a11y-user'});"

# One card of each scale style, with the score that leads to a follow-up of each type.
CARDS = {
    "nps-numbers": ({"kind": "nps"}, 9),
    "csat-emoji-single-choice": (
        {
            "kind": "csat",
            "scale": {"style": "emoji"},
            "branding": {"accent": "#fbbf24", "product_name": "Acme"},
            "followups": [
                {
                    "id": "why",
                    "type": "single",
                    "prompt": "What was it about?",
                    "options": ["Speed", "Tone"],
                }
            ],
        },
        2,
    ),
    "csat-stars-dark": (
        {"kind": "csat", "scale": {"style": "stars"}, "branding": {"theme": "dark"}},
        5,
    ),
    "psat-thumbs-multiple-choice": (
        {
            "kind": "psat",
            "scale": {"style": "thumbs"},
            "followups": [
                {
                    "id": "missing",
                    "type": "multiple",
                    "prompt": "What is missing?",
                    "options": ["Filters", "Speed"],
                }
            ],
        },
        1,
    ),
    "ces-agreement": ({"kind": "ces"}, 2),
}

RUN_AXE = """async (include) => {
  const result = await axe.run(include ? {include: include} : document, {
    runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'],
    resultTypes: ['violations', 'passes'],
  });
  const where = nodes => nodes.map(n => JSON.stringify(n.target)).join(' ');
  return {
    violations: result.violations.map(
      v => `${v.id} (${v.impact}): ${v.help}: ${where(v.nodes)}`),
    checked: result.passes.reduce((n, p) => n + p.nodes.length, 0),
  };
}"""


@pytest.fixture(params=list(WIDTHS))
def sized(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A page at each width; CSP is bypassed only so axe can be injected into it."""
    width, height = WIDTHS[request.param]
    ctx = browser.new_context(
        viewport={"width": width, "height": height}, reduced_motion="reduce", bypass_csp=True
    )
    ctx.set_default_timeout(10_000)
    yield ctx.new_page()
    ctx.close()


def axe(page: Any, include: list[Any] | None = None) -> list[str]:
    """axe-core's violations of WCAG 2.2 A and AA and its best practices on the page, or only
    inside `include`."""
    assert AXE.exists(), (
        "axe-core is missing: make test installs it (npm ci --prefix tests/browser/node)"
    )
    if not page.evaluate("!!window.axe"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(RUN_AXE, include)
    assert result["checked"] > 0  # axe looked at something
    return result["violations"]


def card_axe(page: Any) -> list[str]:
    # The card's host element: axe goes into its (open) shadow root.
    return axe(page, ["feedback-widget"])


@pytest.mark.parametrize("name", list(CARDS))
def test_the_card_has_no_axe_violations_in_any_state(live, tenant, host_page, sized, name):
    definition, score = CARDS[name]
    t = tenant({"s": definition})
    page = sized
    page.goto(host_page(t.key, script=IDENTIFY))
    expect(page.locator(CARD)).to_be_visible()
    page.wait_for_timeout(300)  # past the entrance
    assert card_axe(page) == [], "score"
    assert page.evaluate(
        "() => document.querySelector('feedback-widget').shadowRoot.querySelectorAll('*').length"
    )

    page.locator(f"feedback-widget [data-score='{score}']").click()
    page.locator("feedback-widget .send").wait_for()
    assert card_axe(page) == [], "follow-up"

    page.locator("feedback-widget .send").click()
    expect(page.locator("feedback-widget .live")).to_have_text("Thank you for your feedback!")
    assert card_axe(page) == [], "thanks"


def _hosted_survey(live: Live, spec: dict[str, Any]) -> tuple[str, int]:
    def build() -> tuple[str, int]:
        with writing():
            ws = create_workspace("Acme", f"ws-{uuid.uuid4().hex[:16]}")
            survey = create_survey(ws, spec)
            db.session.commit()
        [invite] = create_invites(ws, survey.public_id, [InviteInput(email="ann@example.com")])
        return survey.public_id, invite.id

    return live.query(build)


HOSTED = {
    "nps": {"kind": "nps", "branding": {"accent": "#0f766e", "product_name": "Acme"}},
    "csat-emoji-choice": {
        "kind": "csat",
        "scale": {"style": "emoji"},
        "followups": [
            {"id": "why", "type": "single", "prompt": "What was it about?", "options": ["A", "B"]},
            {"id": "more", "type": "text", "prompt": "Anything else?"},
        ],
    },
}


@pytest.mark.parametrize("name", list(HOSTED))
def test_the_hosted_survey_page_has_no_axe_violations(live, sized, name):
    survey_id, _invite = _hosted_survey(live, HOSTED[name])
    page = sized
    page.goto(f"{live.origin}/s/{survey_id}")
    assert axe(page) == [], "score"
    page.locator("label[for='score-2']").click()
    page.get_by_role("button", name="Send").click()
    page.wait_for_url("**step=1")
    assert axe(page) == [], "follow-up"
    page.get_by_role("button", name="Send").click()
    page.wait_for_url("**step=2")
    assert axe(page) == [], "thanks"


@pytest.mark.parametrize("name", list(HOSTED))
def test_the_email_score_page_has_no_axe_violations(live, sized, name):
    survey_id, invite_id = _hosted_survey(live, HOSTED[name])
    token = live.query(lambda: score_token(invite_id, 3))
    page = sized
    page.goto(f"{live.origin}/s/{survey_id}/r/{token}")
    assert page.locator("#score-3").is_checked()
    # One page: the score chosen in the email with its follow-up question, then the thanks.
    assert axe(page) == [], "score chosen in the email, with its question"
    page.get_by_role("button", name="Send").click()
    page.wait_for_url("**step=2")
    assert axe(page) == [], "thanks"


def test_the_card_never_takes_the_focus_when_it_shows(live, tenant, host_page, watched):
    t = tenant({"nps": {"kind": "nps"}})
    page = watched.page
    body = '<label>Search <input id="search" autofocus></label>'
    page.goto(host_page(t.key, body=body, script=IDENTIFY))
    page.locator("#search").focus()
    page.keyboard.type("rep")
    expect(page.locator(CARD)).to_be_visible()
    page.keyboard.type("orts")
    expect(page.locator("#search")).to_have_value("reports")
    expect(page.locator("#search")).to_be_focused()


def test_keyboard_order_names_and_visible_focus(live, tenant, host_page, watched):
    t = tenant({"nps": {"kind": "nps", "branding": {"product_name": "Acme"}}})
    page = watched.page
    page.goto(host_page(t.key, script=IDENTIFY))
    dialog = page.get_by_role("dialog", name="Acme feedback")
    expect(dialog).to_be_visible()
    group = dialog.get_by_role(
        "radiogroup", name="How likely are you to recommend us to a friend or colleague?"
    )
    expect(group.get_by_role("radio")).to_have_count(11)
    expect(group.get_by_role("radio", name="0 out of 10, Not at all likely")).to_be_visible()
    expect(group.get_by_role("radio", name="10 out of 10, Extremely likely")).to_be_visible()

    before = page.evaluate("() => (document.activeElement || document.body).tagName")
    # One Tab stop for the whole scale (arrows move inside it), then the close button.
    first = tab_into_widget(page)
    assert first["score"] == "0"
    outline = page.evaluate(
        """() => { const b = document.querySelector('feedback-widget').shadowRoot.activeElement;
                   const s = getComputedStyle(b);
                   return [s.outlineStyle, parseFloat(s.outlineWidth), s.outlineColor]; }"""
    )
    assert outline[0] == "solid" and outline[1] >= 2, outline
    page.keyboard.press("Tab")
    assert focused(page)["label"] == "Close"
    page.keyboard.press("Shift+Tab")
    assert focused(page)["score"] == "0"
    page.keyboard.press("End")
    assert focused(page)["label"] == "10 out of 10, Extremely likely"
    page.keyboard.press(" ")
    textarea = page.get_by_role("textbox", name="What did you love?")
    expect(textarea).to_be_focused()
    shadow = textarea.evaluate("t => getComputedStyle(t).boxShadow")
    assert shadow != "none"  # the text field's focus ring
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Skip"
    page.keyboard.press("Enter")
    expect(page.locator("feedback-widget .live")).to_have_text("Thank you for your feedback!")
    assert page.locator("feedback-widget .live").get_attribute("aria-live") == "polite"
    page.keyboard.press("Escape")
    expect(page.locator(CARD)).to_have_count(0)
    # Back to the last element the page had focused before the card (the nav link).
    assert page.evaluate("document.activeElement.textContent") == "Dashboards"
    assert before == "BODY"

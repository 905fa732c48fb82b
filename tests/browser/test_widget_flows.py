"""Answering each kind of survey in a real browser, as a respondent would."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from feedback.accounts.workspaces import create_workspace
from feedback.extensions import db, writing
from feedback.surveys.service import create_survey
from tests.browser.helpers import CARD, eligibility_answer, eventually, focused, tab_into_widget

pytestmark = pytest.mark.browser

IDENTIFY = (
    "feedback('identify', {id: 'user-42', email: 'ann@example.com',"
    " traits: {plan: 'Pro', company: 'Globex'}});"
)


@pytest.mark.parametrize(
    ("score", "followup", "prompt", "key"),
    [
        (3, "improve", "What can we improve?", "Enter"),
        (8, "make_it_10", "What would make it a 10?", "Space"),
        (10, "love", "What did you love?", "Enter"),
    ],
    ids=["detractor", "passive", "promoter"],
)
def test_nps_answered_by_keyboard_stores_band_followup_and_context(
    live, tenant, host_page, watched, shot, score, followup, prompt, key
):
    t = tenant({"nps": {"kind": "nps", "name": "NPS"}})
    url = host_page(t.key, script=IDENTIFY)
    page = watched.page
    page.goto(url)
    expect(page.locator(CARD)).to_be_visible()

    first = tab_into_widget(page)
    assert first["score"] == "0" and first["label"] == "0 out of 10, Not at all likely"
    for _ in range(score):
        page.keyboard.press("ArrowRight")
    assert focused(page)["label"].startswith(f"{score} out of 10")
    shot(page, "scale")
    page.keyboard.press(key)

    textarea = page.locator("feedback-widget textarea")
    expect(textarea).to_be_focused()
    expect(page.locator("feedback-widget label")).to_have_text(prompt)
    page.keyboard.type("Because of the exports")
    expect(page.locator("feedback-widget .cnt")).to_have_text("22 / 5000")
    shot(page, "followup")
    page.keyboard.press("Tab")  # Skip
    page.keyboard.press("Tab")  # Send
    assert focused(page)["text"] == "Send"
    page.keyboard.press("Enter")
    expect(page.locator("feedback-widget .live")).to_have_text("Thank you for your feedback!")
    shot(page, "thanks")

    stored = eventually(lambda: [r for r in live.responses(t.id) if r["answers"]])
    assert len(live.responses(t.id)) == 1
    response = stored[0]
    assert response["score"] == score
    assert response["answers"] == {followup: "Because of the exports"}
    assert response["respondent"] == "user-42"
    assert response["context"]["page_url"] == url
    assert response["context"]["plan"] == "Pro"
    assert response["context"]["company"] == "Globex"
    assert response["display_id"] is not None


def test_nps_scale_wraps_arrow_keys_and_escape_dismisses(live, tenant, host_page, watched):
    t = tenant({"nps": {"kind": "nps"}})
    page = watched.page
    page.goto(host_page(t.key, script=IDENTIFY))
    tab_into_widget(page)
    page.keyboard.press("ArrowLeft")
    assert focused(page)["score"] == "10"
    page.keyboard.press("Home")
    assert focused(page)["score"] == "0"
    page.keyboard.press("End")
    assert focused(page)["score"] == "10"
    page.keyboard.press("Escape")
    expect(page.locator(CARD)).to_have_count(0)
    eventually(lambda: [d for d in live.displays(t.id) if d.dismissed_at])
    assert live.responses(t.id) == []


def test_csat_emoji_choice_then_dependent_text(live, tenant, host_page, watched, shot):
    definition = {
        "kind": "csat",
        "name": "Support",
        "scale": {"style": "emoji"},
        "followups": [
            {
                "id": "reason",
                "type": "single",
                "prompt": "What was it about?",
                "options": ["Speed", "Tone", "Answer"],
                "when": {"score": [1, 3]},
            },
            {
                "id": "detail",
                "type": "text",
                "prompt": "Tell us more",
                "max_length": 280,
                "placeholder": "What did we get wrong?",
                "when": {"answer": {"followup": "reason", "in": ["Answer"]}},
            },
            {
                "id": "went_well",
                "type": "text",
                "prompt": "What went well?",
                "when": {"score": [4, 5]},
            },
        ],
    }
    t = tenant({"csat": definition})
    page = watched.page
    page.goto(host_page(t.key, script=IDENTIFY))
    card = page.locator(CARD)
    expect(card).to_be_visible()
    expect(page.locator("feedback-widget [role=radio]")).to_have_count(5)
    expect(page.locator("feedback-widget [data-score='1']")).to_have_attribute(
        "aria-label", "1 out of 5, Very dissatisfied"
    )
    shot(page, "scale")
    page.locator("feedback-widget [data-score='2']").click()

    expect(page.locator("feedback-widget legend")).to_have_text("What was it about?")
    expect(page.locator("feedback-widget input[type=radio]")).to_have_count(3)
    page.get_by_label("Answer").check()
    shot(page, "choice")
    page.get_by_role("button", name="Send").click()

    textarea = page.locator("feedback-widget textarea")
    expect(textarea).to_have_attribute("placeholder", "What did we get wrong?")
    expect(page.locator("feedback-widget .cnt")).to_have_text("0 / 280")
    textarea.fill("The first answer missed the point.")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("feedback-widget .live")).to_have_text("Thank you for your feedback!")

    def complete():
        rows = live.responses(t.id)
        return rows if rows and len(rows[0]["answers"]) == 2 else None

    (response,) = eventually(complete)
    assert response["score"] == 2 and response["band"] == "negative"
    assert response["answers"] == {
        "reason": "Answer",
        "detail": "The first answer missed the point.",
    }


def test_ces_agreement_score_then_skip(live, tenant, host_page, watched, shot):
    t = tenant({"ces": {"kind": "ces"}})
    page = watched.page
    page.goto(host_page(t.key, script=IDENTIFY))
    expect(page.locator(CARD)).to_be_visible()
    expect(page.locator("feedback-widget .q")).to_have_text(
        "It was easy to get what I needed done."
    )
    expect(page.locator("feedback-widget .ends")).to_have_text("Strongly disagreeStrongly agree")
    expect(page.locator("feedback-widget [role=radio]")).to_have_count(7)
    shot(page, "scale")
    page.locator("feedback-widget [data-score='6']").click()
    expect(page.locator("feedback-widget label")).to_have_text("What made it easy?")
    page.get_by_role("button", name="Skip").click()
    expect(page.locator("feedback-widget .live")).to_have_text("Thank you for your feedback!")

    (response,) = eventually(lambda: live.responses(t.id))
    assert response["score"] == 6 and response["band"] == "easy"
    assert response["answers"] == {}


def test_psat_thumbs_down_with_multiple_choice(live, tenant, host_page, watched, shot):
    definition = {
        "kind": "psat",
        "name": "Exports",
        "scale": {"style": "thumbs"},
        "followups": [
            {
                "id": "missing",
                "type": "multiple",
                "prompt": "What is missing?",
                "options": ["Filters", "PDF export", "Speed"],
                "when": {"score": [1, 1]},
            },
            {
                "id": "like",
                "type": "text",
                "prompt": "What do you like?",
                "when": {"score": [2, 2]},
            },
        ],
        "branding": {"accent": "#0f766e"},
    }
    t = tenant({"psat": definition})
    page = watched.page
    page.goto(host_page(t.key, script=IDENTIFY))
    down = page.get_by_role("radio", name="Not satisfied")
    expect(down).to_have_text("👎")
    expect(page.get_by_role("radio", name="Satisfied", exact=True)).to_have_text("👍")
    shot(page, "scale")
    down.click()
    page.get_by_label("Filters").check()
    page.get_by_label("Speed").check()
    shot(page, "choice")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("feedback-widget .live")).to_have_text("Thank you for your feedback!")

    def complete():
        rows = live.responses(t.id)
        return rows if rows and rows[0]["answers"] else None

    (response,) = eventually(complete)
    assert response["score"] == 1 and response["band"] == "negative"
    assert response["answers"] == {"missing": ["Filters", "Speed"]}


@pytest.mark.parametrize("how", ["outside click", "close button", "Escape"])
def test_dismissal_is_recorded_and_not_shown_again(live, tenant, host_page, watched, how):
    t = tenant({"nps": {"kind": "nps"}})
    url = host_page(t.key, script=IDENTIFY)
    page = watched.page
    page.goto(url)
    expect(page.locator(CARD)).to_be_visible()
    if how == "outside click":
        page.mouse.click(200, 300)
    elif how == "close button":
        page.get_by_role("button", name="Close").click()
    else:
        tab_into_widget(page)
        page.keyboard.press("Escape")
    expect(page.locator(CARD)).to_have_count(0)
    (display,) = eventually(lambda: [d for d in live.displays(t.id) if d.dismissed_at])
    assert display.page_url == url

    answer = eligibility_answer(page, page.reload)
    assert answer["show"] is False
    page.wait_for_timeout(300)
    expect(page.locator(CARD)).to_have_count(0)
    assert any("not shown:" in line for line in watched.console)
    assert len(live.displays(t.id)) == 1 and live.responses(t.id) == []


def test_second_survey_waits_for_the_recontact_cooldown(live, tenant, host_page, watched):
    t = tenant({"nps": {"kind": "nps"}, "csat": {"kind": "csat"}})
    page = watched.page
    url = host_page(t.key, script=IDENTIFY)
    first = eligibility_answer(page, lambda: page.goto(url))
    assert first["show"] is True and first["survey"]["id"] == t.surveys["nps"]
    page.locator("feedback-widget [data-score='9']").click()
    page.get_by_role("button", name="Skip").click()
    eventually(lambda: live.responses(t.id))

    second = eligibility_answer(page, page.reload)
    assert second["show"] is False
    reasons = {r["survey"]: r["reason"] for r in second["reasons"]}
    assert "cooldown" in reasons[t.surveys["csat"]]
    page.wait_for_timeout(300)
    expect(page.locator(CARD)).to_have_count(0)
    assert [r["survey"] for r in live.responses(t.id)] == [t.surveys["nps"]]


def test_track_event_shows_the_survey_waiting_for_it(live, tenant, host_page, watched):
    t = tenant({"psat": {"kind": "psat", "targeting": {"events": ["exported_report"]}}})
    body = '<button id="export">Export report</button>'
    script = IDENTIFY + (
        "document.addEventListener('DOMContentLoaded', function () {"
        " document.getElementById('export').addEventListener('click', function () {"
        " feedback('track', 'exported_report'); }); });"
    )
    page = watched.page
    answer = eligibility_answer(page, lambda: page.goto(host_page(t.key, body, script)))
    assert answer["show"] is False
    expect(page.locator(CARD)).to_have_count(0)
    answer = eligibility_answer(page, lambda: page.click("#export"))
    assert answer["show"] is True
    expect(page.locator(CARD)).to_be_visible()
    page.locator("feedback-widget [data-score='5']").click()
    (response,) = eventually(lambda: live.responses(t.id))
    assert response["score"] == 5
    assert response["context"]["event"] == "exported_report"


def test_inline_show_renders_into_the_container_with_branding(
    live, tenant, host_page, watched, shot
):
    definition = {
        "kind": "csat",
        "name": "Docs page",
        "question": "Was this page helpful?",
        "scale": {"style": "stars"},
        "branding": {"accent": "#db2777", "theme": "dark", "product_name": "Acme Docs"},
        "targeting": {"events": ["never_fired"]},
    }
    t = tenant({"docs": definition})
    body = (
        '<section id="rate" style="max-width: 480px; padding: 16px; border: 1px dashed #999">'
        "<p>Rate this page</p></section>"
    )
    script = IDENTIFY + f"feedback('show', '{t.surveys['docs']}', {{target: '#rate'}});"
    page = watched.page
    page.goto(host_page(t.key, body, script))
    card = page.locator("#rate feedback-widget .card")
    expect(card).to_be_visible()
    expect(card).to_have_attribute("role", "region")
    expect(page.get_by_role("button", name="Close")).to_have_count(0)
    background = card.evaluate("e => getComputedStyle(e).backgroundColor")
    assert background == "rgb(31, 41, 55)"  # the dark theme
    page.locator("#rate [data-score='4']").hover()
    shot(page, "stars")
    page.locator("#rate [data-score='4']").click()
    expect(page.locator("#rate feedback-widget label")).to_have_text("What went well?")
    page.mouse.click(900, 600)  # a click elsewhere leaves an inline survey alone
    expect(card).to_be_visible()
    (response,) = eventually(lambda: live.responses(t.id))
    assert response["score"] == 4


def test_nps_fits_a_320px_screen_as_a_bottom_sheet(live, tenant, host_page, browser, shot):
    t = tenant({"nps": {"kind": "nps"}})
    context = browser.new_context(viewport={"width": 320, "height": 640}, has_touch=True)
    try:
        page = context.new_page()
        page.goto(host_page(t.key, script=IDENTIFY))
        card = page.locator(CARD)
        expect(card).to_be_visible()
        page.wait_for_timeout(300)
        box = card.bounding_box()
        assert box["x"] == 0 and box["width"] == 320
        assert abs(box["y"] + box["height"] - 640) < 1
        for button in page.locator("feedback-widget [role=radio]").all():
            b = button.bounding_box()
            assert b["width"] >= 32 and b["height"] >= 32
            assert b["x"] >= 0 and b["x"] + b["width"] <= 320
        close = page.get_by_role("button", name="Close").bounding_box()
        assert close["width"] >= 32 and close["height"] >= 32
        shot(page)
        page.locator("feedback-widget [data-score='10']").tap()
        expect(page.locator("feedback-widget textarea")).to_be_visible()
        shot(page, "followup")
    finally:
        context.close()


def test_demo_page_shows_the_floating_and_inline_surveys(live, watched, shot):
    def seed() -> tuple[int, str]:
        with writing():
            ws = create_workspace("Acme Analytics (demo)", "demo")
            create_survey(ws, {"kind": "nps", "name": "Product NPS"})
            psat = create_survey(
                ws,
                {
                    "kind": "psat",
                    "name": "Reports feature",
                    "scale": {"style": "emoji"},
                    "targeting": {"events": ["exported_report"]},
                },
            )
            create_survey(ws, {"kind": "csat", "channels": ["email"]})
            db.session.commit()
            return ws.id, psat.public_id

    workspace_id, psat = live.query(seed)
    page = watched.page
    page.goto(f"{live.origin}/demo")
    expect(page.locator("body > feedback-widget .card")).to_be_visible()
    expect(page.locator("[data-show]")).to_have_count(2)  # the email-only survey is not offered
    shot(page, "floating")
    page.get_by_role("button", name="Close").click()
    expect(page.locator("body > feedback-widget")).to_have_count(0)
    page.locator(f"[data-show='{psat}']").click()
    inline = page.locator(f"#slot-{psat} feedback-widget .card")
    expect(inline).to_be_visible()
    inline.locator("[data-score='4']").click()
    expect(inline.locator("label")).to_have_text("What do you like about it?")
    shot(page, "inline", full_page=True)
    (response,) = eventually(lambda: live.responses(workspace_id))
    assert response["score"] == 4 and response["respondent"] == "demo-ann"
    assert response["identity"] == "verified"  # the demo page signs Ann's id on the server
    assert not watched.errors

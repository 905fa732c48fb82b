"""The hosted survey page without JavaScript: plain forms, POST then redirect."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from feedback.extensions import db
from feedback.responses.models import Response
from tests.factories import OTHER_DIGITS, make_survey, make_tenant
from tests.hosted_forms import answer, hidden_fields, send_form

CHAINED = {
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
            "prompt": "Tell us more about the answer",
            "when": {"answer": {"followup": "reason", "in": ["Answer"]}},
        },
    ]
}


def stored() -> list[Response]:
    return list(db.session.scalars(select(Response)))


def test_score_step_is_a_labelled_radio_group_with_no_script(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps", branding={"accent": "#0f766e", "product_name": "Ax"})
    page = client.get(f"/s/{survey.public_id}")
    assert page.status_code == 200
    html = page.text
    assert "<fieldset" in html and "<legend>" in html
    assert html.count('type="radio" name="score"') == 11
    assert '<label for="score-0">' in html and "0 (Not at all likely)" in html
    assert "<script" not in html and "style=" not in html
    assert "script-src" not in page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "Ax" in html and f"/s/{survey.public_id}/brand.css" in html
    brand = client.get(f"/s/{survey.public_id}/brand.css")
    assert brand.text.strip() == ":root { --accent: #0f766e; }"
    assert stored() == []  # opening the page records nothing


@pytest.mark.parametrize(
    ("score", "question", "band"),
    [
        (3, "What can we improve?", "detractor"),
        (7, "What would make it a 10?", "passive"),
        (10, "What did you love?", "promoter"),
    ],
)
def test_follow_up_by_band_then_thanks(
    client: FlaskClient, score: int, question: str, band: str
) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    step1 = answer(client, f"/s/{survey.public_id}", score=str(score))
    assert question in step1.text
    others = {"What can we improve?", "What would make it a 10?", "What did you love?"}
    assert not any(q in step1.text for q in others - {question})
    field = {3: "a-improve", 7: "a-make_it_10", 10: "a-love"}[score]
    done = answer(client, step1.request.full_path, **{field: "The reports"})
    assert "Thank you!" in done.text
    [response] = stored()
    assert (response.score, response.band, response.channel) == (score, band, "link")
    assert response.comment == "The reports"
    assert response.client_id.startswith("link.")


def test_chained_follow_up_appears_on_the_next_step(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "csat", **CHAINED)
    step1 = answer(client, f"/s/{survey.public_id}", score="2")
    assert "What was it about?" in step1.text
    assert "Tell us more about the answer" not in step1.text
    step2 = answer(client, step1.request.full_path, **{"a-reason": "Answer"})
    assert "Tell us more about the answer" in step2.text
    done = answer(client, step2.request.full_path, **{"a-detail": "It was wrong"})
    assert "Thank you!" in done.text
    [response] = stored()
    assert response.answers == {"reason": "Answer", "detail": "It was wrong"}


def test_a_choice_that_chains_nothing_goes_straight_to_thanks(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "csat", **CHAINED)
    step1 = answer(client, f"/s/{survey.public_id}", score="3")
    done = answer(client, step1.request.full_path, **{"a-reason": "Speed"})
    assert "Thank you!" in done.text
    assert stored()[0].answers == {"reason": "Speed"}


def test_a_skipped_follow_up_stores_the_score_alone(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "ces")
    step1 = answer(client, f"/s/{survey.public_id}", score="6")
    done = answer(client, step1.request.full_path, **{"a-easy": "  "})
    assert "Thank you!" in done.text
    [response] = stored()
    assert (response.score, response.answers, response.comment) == (6, {}, None)


def test_post_without_the_csrf_token_is_refused(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    client.get(f"/s/{survey.public_id}")
    refused = client.post(f"/s/{survey.public_id}", data={"score": "9", "step": "0"})
    assert refused.status_code == 400
    assert "This page is out of date" in refused.text
    assert stored() == []


def test_a_missing_score_is_asked_for_again(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    again = send_form(client, f"/s/{survey.public_id}")
    assert again.status_code == 422
    assert "Choose a score" in again.text and 'role="alert"' in again.text
    assert stored() == []


def test_html_in_the_question_options_and_answers_is_shown_escaped(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(
        t.workspace,
        "csat",
        question="Was <b>it</b> good? <script>alert(1)</script>",
        followups=[
            {
                "id": "why",
                "type": "text",
                "prompt": "Why <img src=x onerror=alert(2)>?",
                "when": {"score": [1, 5]},
            }
        ],
        branding={"product_name": "<i>Acme</i>"},
    )
    first = client.get(f"/s/{survey.public_id}")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in first.text
    assert "<script>" not in first.text and "<b>it</b>" not in first.text
    assert "&lt;i&gt;Acme&lt;/i&gt;" in first.text
    step1 = answer(client, f"/s/{survey.public_id}", score="4")
    assert "Why &lt;img src=x onerror=alert(2)&gt;?" in step1.text
    answer(client, step1.request.full_path, **{"a-why": "</textarea><script>alert(3)</script>"})
    # Back on the step: the stored answer is shown in the text area, escaped.
    again = client.get(step1.request.full_path)
    assert "&lt;/textarea&gt;&lt;script&gt;alert(3)&lt;/script&gt;" in again.text
    assert "<script>" not in again.text


def test_a_paused_survey_shows_a_closed_page(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps", status="paused")
    page = client.get(f"/s/{survey.public_id}")
    assert page.status_code == 409
    assert "This survey is closed" in page.text


def test_a_survey_not_offered_as_a_link_is_closed_there(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps", channels=["widget", "email"])
    assert client.get(f"/s/{survey.public_id}").status_code == 409


def test_an_unknown_survey_is_a_404_page(client: FlaskClient) -> None:
    page = client.get("/s/nosuchsurvey")
    assert page.status_code == 404
    assert "Survey not found" in page.text and "<html" in page.text


def test_each_visit_gets_its_own_response_id(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    first = hidden_fields(client.get(f"/s/{survey.public_id}").text)["r"]
    second = hidden_fields(client.get(f"/s/{survey.public_id}").text)["r"]
    assert first != second
    answer(client, f"/s/{survey.public_id}", score="9")
    answer(client, f"/s/{survey.public_id}", score="4")
    assert db.session.scalar(select(func.count()).select_from(Response)) == 2


@OTHER_DIGITS
def test_a_step_in_other_digits_is_refused(client: FlaskClient, script: dict) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "csat", **CHAINED)
    url = f"/s/{survey.public_id}"
    assert client.get(f"{url}?step=1").status_code == 200
    assert client.get(f"{url}?step={'1'.translate(script)}").status_code == 422
    fields = hidden_fields(client.get(url).get_data(as_text=True))
    sent = client.post(url, data={**fields, "score": "2", "step": "0".translate(script)})
    assert sent.status_code == 422
    assert stored() == []

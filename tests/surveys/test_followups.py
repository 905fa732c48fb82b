"""The follow-up rules: which question follows which score, and which answers are refused."""

from __future__ import annotations

import pytest

from feedback.errors import Invalid
from feedback.surveys.followups import clean_answers, followups_for
from feedback.surveys.kinds import default_survey


def prompts(definition: dict, score: int, answers: dict | None = None) -> list[str]:
    return [f["prompt"] for f in followups_for(definition, score, answers)]


@pytest.mark.parametrize(
    ("score", "prompt"),
    [
        (0, "What can we improve?"),
        (6, "What can we improve?"),
        (7, "What would make it a 10?"),
        (8, "What would make it a 10?"),
        (9, "What did you love?"),
        (10, "What did you love?"),
    ],
)
def test_nps_band_picks_its_question(score: int, prompt: str) -> None:
    assert prompts(default_survey("nps"), score) == [prompt]


@pytest.mark.parametrize(
    ("score", "expected"), [(1, "went_wrong"), (3, "went_wrong"), (4, "went_well")]
)
def test_csat_low_and_high_bands(score: int, expected: str) -> None:
    assert [f["id"] for f in followups_for(default_survey("csat"), score)] == [expected]


def test_ces_middle_score_has_no_followup() -> None:
    assert followups_for(default_survey("ces"), 4) == []
    assert prompts(default_survey("ces"), 2) == ["What made it hard?"]
    assert prompts(default_survey("ces"), 6) == ["What made it easy?"]


def test_thumbs_scale_asks_by_side() -> None:
    thumbs = default_survey("psat", "thumbs")
    assert prompts(thumbs, 1) == ["What is missing or frustrating?"]
    assert prompts(thumbs, 2) == ["What do you like about it?"]


CHAINED = {
    "followups": [
        {
            "id": "reason",
            "type": "single",
            "prompt": "What was it about?",
            "options": ["Price", "Speed", "Other"],
            "when": {"score": [0, 6]},
        },
        {
            "id": "price_detail",
            "type": "text",
            "prompt": "What would a fair price be?",
            "when": {"answer": {"followup": "reason", "in": ["Price"]}},
        },
        {"id": "anything", "type": "multiple", "prompt": "Also?", "options": ["A", "B"]},
    ]
}


def test_followup_conditioned_on_earlier_answer() -> None:
    assert [f["id"] for f in followups_for(CHAINED, 3)] == ["reason", "anything"]
    ids = [f["id"] for f in followups_for(CHAINED, 3, {"reason": "Price"})]
    assert ids == ["reason", "price_detail", "anything"]
    assert "price_detail" not in [f["id"] for f in followups_for(CHAINED, 3, {"reason": "Speed"})]


def test_chained_followup_hidden_when_its_parent_is_hidden() -> None:
    # A promoter never sees "reason", so its child cannot apply either.
    assert [f["id"] for f in followups_for(CHAINED, 9, {"reason": "Price"})] == ["anything"]


def test_answer_to_question_not_shown_is_refused() -> None:
    with pytest.raises(Invalid) as err:
        clean_answers(default_survey("nps"), 9, {"improve": "cheaper please"})
    assert err.value.field == "answers.improve"


def test_unknown_followup_is_refused() -> None:
    with pytest.raises(Invalid) as err:
        clean_answers(default_survey("nps"), 9, {"nope": "x"})
    assert err.value.field == "answers.nope"


def test_text_over_limit_is_refused_with_the_limit_named() -> None:
    with pytest.raises(Invalid) as err:
        clean_answers(default_survey("nps"), 3, {"improve": "x" * 5001}, max_text=5000)
    assert "5000" in err.value.message


def test_choice_answers_must_be_options() -> None:
    with pytest.raises(Invalid):
        clean_answers(CHAINED, 3, {"reason": "Weather"})
    with pytest.raises(Invalid):
        clean_answers(CHAINED, 3, {"anything": ["A", "Z"]})
    assert clean_answers(CHAINED, 3, {"anything": ["B", "A", "B"]}) == {"anything": ["B", "A"]}


def test_valid_answers_are_kept_and_trimmed() -> None:
    cleaned = clean_answers(CHAINED, 2, {"reason": "Price", "price_detail": "  half  "})
    assert cleaned == {"reason": "Price", "price_detail": "half"}

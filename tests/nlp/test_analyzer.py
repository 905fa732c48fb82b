"""What a user sees when comments are analysed: themes, their sentiment, language, robustness."""

from __future__ import annotations

import pytest

from nlp import Analyzer, Span


def themes_of(analysis) -> dict[str, str]:
    return {m.slug: m.sentiment for m in analysis.themes}


@pytest.mark.parametrize("fixture", ["taxonomy_analyzer", "model_analyzer"])
def test_opposite_sentiments_on_two_themes_make_a_mixed_comment(fixture, request):
    analyzer: Analyzer = request.getfixturevalue(fixture)
    text = "The support team was wonderful and fixed it fast, but the pricing is a total rip-off."
    result = analyzer.analyse(text)
    found = themes_of(result)
    assert found["support"] == "positive"
    assert found["pricing"] == "negative"
    assert result.sentiment == "mixed"


@pytest.mark.parametrize("fixture", ["taxonomy_analyzer", "model_analyzer"])
def test_negated_complaint_reads_as_praise(fixture, request):
    analyzer: Analyzer = request.getfixturevalue(fixture)
    result = analyzer.analyse("Honestly it is not slow at all.")
    assert themes_of(result) == {"performance": "positive"}
    assert result.sentiment == "positive"


def test_theme_named_without_its_keyword_is_found(model_analyzer):
    result = model_analyzer.analyse("every page took ages to load this morning")
    assert themes_of(result).get("performance") == "negative"


@pytest.mark.parametrize(
    "text",
    [
        "there is no way to split a shift between two people",
        "cant attach a photo to a work order",
        "it only exports the first sheet, not the rest",
    ],
)
def test_a_missing_capability_is_features_without_the_word(model_analyzer, text):
    assert "features" in themes_of(model_analyzer.analyse(text))


@pytest.mark.parametrize(
    ("text", "theme"),
    [
        ("the app crashes when I attach a photo", "reliability"),
        ("attaching a photo takes forever", "performance"),
        ("I can't find where to attach a photo", "usability"),
    ],
)
def test_a_capability_that_is_only_slow_broken_or_hidden_is_not_features(
    model_analyzer, text, theme
):
    found = themes_of(model_analyzer.analyse(text))
    assert theme in found
    assert "features" not in found


def test_comment_without_a_theme_lands_in_other(taxonomy_analyzer):
    result = taxonomy_analyzer.analyse("Thank you, you are all lovely people.")
    assert [m.slug for m in result.themes] == ["other"]
    assert result.sentiment == "positive"


def test_evidence_points_at_the_words_in_the_original_text(taxonomy_analyzer):
    text = "Week two.   Billing charged me twice for the same invoice!"
    result = taxonomy_analyzer.analyse(text)
    billing = next(m for m in result.themes if m.slug == "billing")
    assert billing.evidence
    for span in billing.evidence:
        assert isinstance(span, Span)
        assert text[span.start : span.end] == span.text
    assert "charged" in [s.text.lower() for s in billing.evidence]


@pytest.mark.parametrize("text", ["", "   ", "\n\t  \n"])
def test_empty_comment_gets_no_theme_and_neutral(model_analyzer, text):
    result = model_analyzer.analyse(text)
    assert result.themes == []
    assert result.sentiment == "neutral"
    assert result.compound == 0.0


def test_very_long_comment_is_capped_and_still_analysed(model_analyzer):
    paragraph = "The dashboard is painfully slow and the export keeps crashing. " * 1600
    text = paragraph[:100_000]
    assert len(text) == 100_000
    result = model_analyzer.analyse(text)
    assert result.truncated
    assert {"performance", "reliability"} <= set(themes_of(result))
    for mention in result.themes:
        for span in mention.evidence:
            assert text[span.start : span.end] == span.text


def test_emoji_carry_sentiment(taxonomy_analyzer):
    happy = taxonomy_analyzer.analyse("new dashboard 😍🔥")
    angry = taxonomy_analyzer.analyse("new dashboard 😡👎")
    assert happy.sentiment == "positive"
    assert angry.sentiment == "negative"
    assert taxonomy_analyzer.analyse("👍").is_english


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Le support est très lent et le prix est trop élevé pour nous.", "fr"),
        ("Die App ist sehr langsam und stürzt immer wieder ab, leider.", "de"),
        ("La aplicación es muy lenta y el soporte no responde nunca.", "es"),
        ("Приложение очень медленно работает", "ru"),
        ("アプリがとても遅いです", "ja"),
    ],
)
def test_non_english_comment_is_flagged_not_tagged(model_analyzer, text, language):
    result = model_analyzer.analyse(text)
    assert result.text_language == language
    assert not result.is_english
    assert result.themes == []


def test_terse_english_is_not_mistaken_for_another_language(model_analyzer):
    for text in ["ok", "meh", "love it", "slow af", "pricing page is confusing"]:
        assert model_analyzer.analyse(text).is_english, text


def test_batch_keeps_order_and_length(model_analyzer):
    texts = ["great support", "", "Das ist gut, aber sehr teuer.", "app crashes", "   "]
    results = model_analyzer.analyse_batch(texts, scores=[1.0, None, 0.5, 0.0, None])
    assert len(results) == len(texts)
    assert "support" in themes_of(results[0])
    assert results[1].themes == []
    assert results[2].text_language == "de"
    assert "reliability" in themes_of(results[3])


def test_scores_outside_zero_to_one_are_refused(model_analyzer):
    with pytest.raises(ValueError, match="0-1"):
        model_analyzer.analyse_batch(["fine"], scores=[9])


def test_results_name_the_model_that_made_them(taxonomy_analyzer, model_analyzer):
    assert taxonomy_analyzer.analyse("slow").model_version == "taxonomy"
    assert model_analyzer.analyse("slow").model_version.startswith("default-")

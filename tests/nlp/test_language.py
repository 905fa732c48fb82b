"""The language guess that keeps non-English comments out of the English analysis."""

from __future__ import annotations

import pytest

from nlp.language import detect_language, language_name


@pytest.mark.parametrize(
    "text",
    [
        "The app is great but the pricing is a bit much.",
        "cant login since the update pls fix",
        "Love the new café menu integration, très chic 😂",
        "no",
        "10/10",
    ],
)
def test_english_and_near_english_stay_english(text):
    assert detect_language(text) in ("en", "und")


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Très bien", "fr"),
        ("sehr gut", "de"),
        ("O aplicativo é muito bom, mas o suporte não responde.", "pt"),
        ("L'app è molto lenta e non funziona bene.", "it"),
        ("De app is erg traag en werkt niet goed.", "nl"),
        ("앱이 너무 느려요", "ko"),
        ("这个应用太慢了", "zh"),
    ],
)
def test_other_languages_are_recognised(text, language):
    assert detect_language(text) == language


def test_text_without_letters_is_undetermined():
    assert detect_language("👍👍 !!!") == "und"


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Le service est très lent et le prix est trop cher.", "French"),
        ("Die App ist leider sehr langsam und nicht gut.", "German"),
        ("这个应用太慢了", "Chinese"),
    ],
)
def test_a_detected_language_has_a_name(text, name):
    assert language_name(detect_language(text)) == name


def test_undetermined_has_no_name_and_an_unknown_code_stays_as_it_is():
    assert language_name("und") is None and language_name(None) is None
    assert language_name("tlh") == "tlh"

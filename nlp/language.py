"""A light language guess, good enough to keep non-English comments out of English-only analysis.

Comments are short and informal, so the guess relies on two robust signals: the script of the
letters, and which language's most frequent function words the comment uses. A comment is taken
for English unless another language shows clearly: flagging a terse English comment as foreign
would hide it from the themes, which is worse than analysing the odd foreign one.
"""

from __future__ import annotations

import re
import unicodedata

UNDETERMINED = "und"
# What the English analysis reads: English, and text too short to tell (most often English).
READ_AS_ENGLISH = ("en", UNDETERMINED)

# Frequent function words that are rare in English comments (ambiguous ones such as "a", "die",
# "no" or "come" are left out on purpose).
_WORD_LISTS = {
    "en": (
        "the and is it to of i you this that was for with not but my we are have be on they so "
        "very just can it's i'm don't too really would its your our what when there has had "
        "been will at from an or if all me do does did no any"
    ),
    "fr": (
        "le la les des est et une un du pas très mais avec pour que qui je nous vous il elle ce "
        "cette sont être c'est n'est j'ai trop bien dans au aux ne plus votre notre mon ma "
        "mes sur lent facile rien"
    ),
    "de": (
        "der das und ist nicht ein eine sehr mit für ich wir sie es auf zu den dem auch aber kein "
        "keine nur noch bei wie war hat sind immer mehr schon leider gut wirklich"
    ),
    "es": (
        "el la los las es y muy con para por que pero una un del lo se su está son como más "
        "bien también porque nada tiene fue hay todo mucho"
    ),
    "pt": (
        "o os as é e muito com para por que não mas uma um do da se meu minha está são como "
        "mais bem também porque nada tem foi tudo ótimo"
    ),
    "it": (
        "il lo la gli le è e molto con per che non ma una un del della si sono come più bene "
        "anche perché niente ha tutto questo questa"
    ),
    "pl": (
        "się nie jest to na że w z do jak ale bardzo już tylko przez być może jestem mam "
        "dla ten ta po czy"
    ),
    "nl": (
        "de het een is en niet met voor dat maar ook zijn van ik we je er wel heel erg goed geen "
        "nog naar bij mijn onze"
    ),
}
_FUNCTION_WORDS = {lang: frozenset(words.split()) for lang, words in _WORD_LISTS.items()}
_LANGUAGES_OF: dict[str, list[str]] = {}
for _lang, _vocab in _FUNCTION_WORDS.items():
    for _word in _vocab:
        _LANGUAGES_OF.setdefault(_word, []).append(_lang)

# Letters that English words almost never carry, each pointing at the languages that use it.
_MARKS = {
    "ß": "de", "ä": "de", "ö": "de", "ü": "de", "ñ": "es", "¿": "es", "¡": "es", "ç": "fr",
    "è": "fr", "ê": "fr", "à": "fr", "ù": "fr", "œ": "fr", "ã": "pt", "õ": "pt", "ò": "it",
    "ì": "it", "ij": "nl", "ą": "pl", "ę": "pl", "ł": "pl", "ś": "pl", "ż": "pl", "ź": "pl",
}  # fmt: skip

# Unicode script name (first word of the character name) -> language shown to the user.
_SCRIPTS = {
    "CYRILLIC": "ru", "GREEK": "el", "ARABIC": "ar", "HEBREW": "he", "DEVANAGARI": "hi",
    "THAI": "th", "HANGUL": "ko", "HIRAGANA": "ja", "KATAKANA": "ja", "CJK": "zh",
}  # fmt: skip

# The names of the languages detect_language returns, as pages show them.
NAMES = {
    "en": "English", "fr": "French", "de": "German", "es": "Spanish", "pt": "Portuguese",
    "it": "Italian", "pl": "Polish", "nl": "Dutch", "ru": "Russian", "el": "Greek",
    "ar": "Arabic", "he": "Hebrew", "hi": "Hindi", "th": "Thai", "ko": "Korean",
    "ja": "Japanese", "zh": "Chinese",
}  # fmt: skip

_ASCII_LETTER = re.compile(r"[A-Za-z]")
_ASCII_LETTERS = re.compile(r"[A-Za-z]+")
_OTHER_LETTERS = re.compile(r"[^\W\d_A-Za-z]")
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


def detect_language(text: str) -> str:
    """Return an ISO 639-1 code for text, "und" when it has no letters to judge by."""
    head = text[:2000]
    if head.isascii():
        if not _ASCII_LETTER.search(head):
            return UNDETERMINED
        script, letters = "LATIN", []
    else:
        # Count the plain ASCII letters in C; only the others need their script looked up.
        ascii_letters = sum(map(len, _ASCII_LETTERS.findall(head)))
        letters = _OTHER_LETTERS.findall(head)
        if not letters and not ascii_letters:
            return UNDETERMINED
        script = _dominant_script(letters, ascii_letters)
    if script != "LATIN":
        if script in ("CJK", "HIRAGANA", "KATAKANA"):
            # Japanese mixes kanji with kana; any kana at all means Japanese.
            kana = any(_script(ch) in ("HIRAGANA", "KATAKANA") for ch in letters)
            return "ja" if kana else "zh"
        return _SCRIPTS.get(script, UNDETERMINED)
    words = _WORD.findall(head.lower().replace("’", "'"))
    if not words:
        return UNDETERMINED
    words_hit = dict.fromkeys(_FUNCTION_WORDS, 0)
    for word in words:
        for lang in _LANGUAGES_OF.get(word, ()):
            words_hit[lang] += 1
    hits = dict(words_hit)
    for mark, lang in _MARKS.items():
        if mark in text:
            hits[lang] += 1
    english = hits.pop("en")
    lang, best = max(hits.items(), key=lambda item: item[1])
    if best == 0 or best <= english:
        return "en"
    if len(words) <= 4:
        # Two words such as "sehr gut" carry one function word; ask for no English at all.
        return lang if english == 0 and best / len(words) >= 0.5 else "en"
    if english == 0 and best >= 2:
        return lang
    # A borrowed word or two ("très chic") does not make an English sentence foreign.
    return lang if words_hit[lang] >= 2 and words_hit[lang] / len(words) >= 0.15 else "en"


def is_english(language: str) -> bool:
    """Whether a comment in this language can go through the English analysis."""
    return language in READ_AS_ENGLISH


def language_name(code: str | None) -> str | None:
    """The language's name in English; an unknown code as it is; None when undetermined."""
    if not code or code == UNDETERMINED:
        return None
    return NAMES.get(code, code)


def _script(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return name.split(" ", 1)[0] if name else ""


def _dominant_script(letters: list[str], ascii_letters: int = 0) -> str:
    counts: dict[str, int] = {"LATIN": ascii_letters}
    for ch in letters[:400]:
        script = _script(ch)
        counts[script] = counts.get(script, 0) + 1
    return max(counts.items(), key=lambda item: item[1])[0]

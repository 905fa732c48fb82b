"""VADER's scoring, with the work it repeats for every word done once per sentence.

vaderSentiment 3.3.2 lower-cases the whole sentence again for each check around each
sentiment word, scans its negation list word by word, and rebuilds every sentence character by
character to replace emoji. `FastVader` keeps its rules, lexicons and results (the tests
compare it with the stock analyser on thousands of sentences) and does that work once. The
methods below follow vaderSentiment's (MIT licence, copyright C.J. Hutto), where they say so.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from vaderSentiment.vaderSentiment import (
    BOOSTER_DICT,
    C_INCR,
    N_SCALAR,
    NEGATE,
    SPECIAL_CASES,
    SentimentIntensityAnalyzer,
    SentiText,
    scalar_inc_dec,
)

# The version whose methods FastVader follows; any other gets the stock analyser.
VERSION = "3.3.2"
_NEGATE = frozenset(NEGATE)
_OR_NOR = ("or", "nor")


def _negated(word: str) -> bool:
    """stock.negated([word]) for one lower-case word."""
    return word in _NEGATE or "n't" in word


class FastVader(SentimentIntensityAnalyzer):
    """SentimentIntensityAnalyzer with the same scores, computed with less repeated work."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._emoji_chars: frozenset[str] | None = None

    def polarity_scores(self, text: str) -> dict[str, float]:
        # The stock method turns emoji into words one character at a time; a sentence without
        # any comes out of that loop unchanged but for the stripping.
        if self._emoji_chars is None:
            # Only single characters can match there, and the lexicon may grow after __init__.
            self._emoji_chars = frozenset(k for k in self.emojis if len(k) == 1)
        if not self._emoji_chars.isdisjoint(text):
            return super().polarity_scores(text)
        sentitext = SentiText(text.strip())
        words = sentitext.words_and_emoticons
        lower = [w.lower() for w in words]
        sentiments: list[float] = []
        last = len(words) - 1
        for i, item in enumerate(lower):
            if item in BOOSTER_DICT or (i < last and item == "kind" and lower[i + 1] == "of"):
                sentiments.append(0)
                continue
            sentiments.append(self._valence(words, lower, sentitext.is_cap_diff, i))
        if "but" in lower:  # the stock check lower-cases the sentence again to look
            sentiments = self._but_check(words, sentiments)
        return self.score_valence(sentiments, sentitext.text)

    def _valence(self, words: list[str], lower: list[str], is_cap_diff: bool, i: int) -> float:
        """stock sentiment_valence for word i, reading the lower-case words given."""
        lexicon = self.lexicon
        item = lower[i]
        if item not in lexicon:
            return 0
        valence = lexicon[item]
        if item == "no" and i != len(words) - 1 and lower[i + 1] in lexicon:
            valence = 0.0
        if (
            (i > 0 and lower[i - 1] == "no")
            or (i > 1 and lower[i - 2] == "no")
            or (i > 2 and lower[i - 3] == "no" and lower[i - 1] in _OR_NOR)
        ):
            valence = lexicon[item] * N_SCALAR
        if words[i].isupper() and is_cap_diff:
            valence = valence + C_INCR if valence > 0 else valence - C_INCR
        for start_i in range(3):
            if i > start_i and lower[i - (start_i + 1)] not in lexicon:
                s = scalar_inc_dec(words[i - (start_i + 1)], valence, is_cap_diff)
                if start_i == 1 and s != 0:
                    s = s * 0.95
                if start_i == 2 and s != 0:
                    s = s * 0.9
                valence = valence + s
                valence = _negation_check(valence, lower, start_i, i)
                if start_i == 2:
                    valence = _special_idioms_check(valence, lower, i)
        return self._least(valence, lower, i)

    def _least(self, valence: float, lower: list[str], i: int) -> float:
        """stock _least_check on lower-case words."""
        lexicon = self.lexicon
        if i > 1 and lower[i - 1] not in lexicon and lower[i - 1] == "least":
            if lower[i - 2] != "at" and lower[i - 2] != "very":
                valence = valence * N_SCALAR
        elif i > 0 and lower[i - 1] not in lexicon and lower[i - 1] == "least":
            valence = valence * N_SCALAR
        return valence


def _negation_check(valence: float, lower: list[str], start_i: int, i: int) -> float:
    """stock _negation_check on lower-case words."""
    if start_i == 0 and _negated(lower[i - 1]):
        valence = valence * N_SCALAR
    if start_i == 1:
        if lower[i - 2] == "never" and (lower[i - 1] == "so" or lower[i - 1] == "this"):
            valence = valence * 1.25
        elif lower[i - 2] == "without" and lower[i - 1] == "doubt":
            pass
        elif _negated(lower[i - 2]):
            valence = valence * N_SCALAR
    if start_i == 2:
        if (
            lower[i - 3] == "never"
            and (lower[i - 2] == "so" or lower[i - 2] == "this")
            or (lower[i - 1] == "so" or lower[i - 1] == "this")
        ):
            valence = valence * 1.25
        elif lower[i - 3] == "without" and (lower[i - 2] == "doubt" or lower[i - 1] == "doubt"):
            pass
        elif _negated(lower[i - 3]):
            valence = valence * N_SCALAR
    return valence


def _special_idioms_check(valence: float, lower: list[str], i: int) -> float:
    """stock _special_idioms_check on lower-case words."""
    onezero = f"{lower[i - 1]} {lower[i]}"
    twoonezero = f"{lower[i - 2]} {lower[i - 1]} {lower[i]}"
    twoone = f"{lower[i - 2]} {lower[i - 1]}"
    threetwoone = f"{lower[i - 3]} {lower[i - 2]} {lower[i - 1]}"
    threetwo = f"{lower[i - 3]} {lower[i - 2]}"
    for seq in (onezero, twoonezero, twoone, threetwoone, threetwo):
        if seq in SPECIAL_CASES:
            valence = SPECIAL_CASES[seq]
            break
    if len(lower) - 1 > i:
        zeroone = f"{lower[i]} {lower[i + 1]}"
        if zeroone in SPECIAL_CASES:
            valence = SPECIAL_CASES[zeroone]
    if len(lower) - 1 > i + 1:
        zeroonetwo = f"{lower[i]} {lower[i + 1]} {lower[i + 2]}"
        if zeroonetwo in SPECIAL_CASES:
            valence = SPECIAL_CASES[zeroonetwo]
    for n_gram in (threetwoone, threetwo, twoone):
        if n_gram in BOOSTER_DICT:
            valence = valence + BOOSTER_DICT[n_gram]
    return valence


def analyser() -> SentimentIntensityAnalyzer:
    """FastVader where the installed vaderSentiment is the one it follows, else the stock one."""
    try:
        installed = version("vaderSentiment")
    except PackageNotFoundError:
        installed = ""
    if installed != VERSION:
        return SentimentIntensityAnalyzer()
    return FastVader()

"""VADER sentiment per sentence, and the labels derived from it."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from importlib import resources

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from nlp.vader import analyser as _analyser

POSITIVE, NEGATIVE, NEUTRAL, MIXED = "positive", "negative", "neutral", "mixed"
POLARITIES = (POSITIVE, NEGATIVE, NEUTRAL, MIXED)

# VADER's own recommended cut-offs for its compound score.
THRESHOLD = 0.05
# A comment is mixed when it holds a clearly positive and a clearly negative sentence.
MIXED_THRESHOLD = 0.3

# Words after which the sentiment of a sentence often turns ("fast but buggy").
CONTRAST = frozenset({"but", "however", "although", "though", "yet", "except", "whereas"})

Scores = tuple[float, float, float, float]  # neg, neu, pos, compound
NO_SCORES: Scores = (0.0, 1.0, 0.0, 0.0)


@functools.lru_cache(maxsize=1)
def vader() -> SentimentIntensityAnalyzer:
    """The shared VADER analyser, with the additions for software feedback (data/lexicon.json)."""
    analyser = _analyser()
    extra = json.loads(resources.files("nlp").joinpath("data/lexicon.json").read_text("utf-8"))
    analyser.lexicon.update(extra["words"])
    analyser.emojis.update(extra["emoji"])
    return analyser


def score(text: str) -> Scores:
    """VADER's four scores for one sentence or clause."""
    if not text.strip():
        return NO_SCORES
    s = vader().polarity_scores(text)
    return (s["neg"], s["neu"], s["pos"], s["compound"])


def label(compound: float) -> str:
    """positive / negative / neutral from a compound score."""
    if compound >= THRESHOLD:
        return POSITIVE
    if compound <= -THRESHOLD:
        return NEGATIVE
    return NEUTRAL


def combine(sentences: Sequence[Scores]) -> tuple[Scores, str]:
    """Comment-level scores and label from its sentences' scores.

    Neutral sentences ("I've used it for a year.") do not dilute the opinionated ones, and a
    comment with strong opinions both ways is "mixed" rather than averaged to neutral.
    """
    if not sentences:
        return NO_SCORES, NEUTRAL
    opinionated = [s for s in sentences if abs(s[3]) >= THRESHOLD] or list(sentences)
    n = len(opinionated)
    mean = tuple(sum(s[i] for s in opinionated) / n for i in range(4))
    compounds = [s[3] for s in sentences]
    if max(compounds) >= MIXED_THRESHOLD and min(compounds) <= -MIXED_THRESHOLD:
        return mean, MIXED  # type: ignore[return-value]
    return mean, label(mean[3])  # type: ignore[return-value]


def overall(theme_labels: Iterable[str], compound_label: str) -> str:
    """The comment's label given its themes' labels: opposite themes make it mixed."""
    labels = set(theme_labels)
    if MIXED in labels or {POSITIVE, NEGATIVE} <= labels:
        return MIXED
    if POSITIVE in labels:
        return POSITIVE
    if NEGATIVE in labels:
        return NEGATIVE
    return compound_label


def lexicon() -> dict[str, float]:
    """VADER's word valences (about -4 to +4), for quick local scores around a theme."""
    return vader().lexicon

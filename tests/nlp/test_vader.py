"""The faster VADER gives the published analyser's scores, to the last digit."""

from __future__ import annotations

import json
import random
from importlib import resources

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from nlp.sentiment import vader
from nlp.vader import FastVader

# Sentences that reach each of VADER's rules: negation, "no", "least", capitals, boosters,
# idioms, "kind of", "but", punctuation, emoji and blank input.
RULES = [
    "NOT good at ALL",
    "no no no bad",
    "No problems at all, no complaints",
    "never so happy with support",
    "without doubt the best export",
    "at least it works, the least useful page",
    "very least helpful",
    "the shit",
    "the bomb, bad ass feature",
    "kind of slow but sort of ok",
    "I don't love it but it's GREAT!!!",
    "isn't it nice???",
    "it isn't not bad",
    "no or nor good",
    "Not bad 😀 really",
    "😡😡 slow",
    "  padded with spaces  ",
    "",
    "   ",
]
TWISTS = ["not", "NOT", "never", "no", "least", "so", "this", "kind", "of", "but", "BUT", "very",
          "extremely", "without", "doubt", "😀", "!!!", "??", "n't", "hardly"]  # fmt: skip


def _sentences() -> list[str]:
    lines = resources.files("nlp").joinpath("data/comments.jsonl").read_text("utf-8").splitlines()
    texts = [json.loads(line)["text"] for line in lines if line.strip()]
    words = " ".join(texts).split()
    rng = random.Random(7)
    mixed = [
        " ".join(
            rng.choice(TWISTS) if rng.random() < 0.15 else rng.choice(words)
            for _ in range(rng.randint(1, 25))
        )
        for _ in range(2000)
    ]
    return [*RULES, *texts, *mixed]


def _pair() -> tuple[SentimentIntensityAnalyzer, FastVader]:
    extra = json.loads(resources.files("nlp").joinpath("data/lexicon.json").read_text("utf-8"))
    stock, fast = SentimentIntensityAnalyzer(), FastVader()
    for analyser in (stock, fast):
        analyser.lexicon.update(extra["words"])
        analyser.emojis.update(extra["emoji"])
    return stock, fast


def test_fast_vader_scores_every_sentence_as_the_library_does() -> None:
    stock, fast = _pair()
    different = [s for s in _sentences() if stock.polarity_scores(s) != fast.polarity_scores(s)]
    assert different == []


def test_rules_move_the_scores() -> None:
    # Guards the comparison above: these sentences really exercise the rules they name.
    _, fast = _pair()
    assert fast.polarity_scores("good")["compound"] > 0
    assert fast.polarity_scores("not good")["compound"] < 0
    assert (
        fast.polarity_scores("GOOD but slow")["compound"]
        != fast.polarity_scores("good but slow")["compound"]
    )
    assert fast.polarity_scores("😡")["compound"] < 0


def test_the_analysis_uses_the_fast_analyser() -> None:
    assert isinstance(vader(), FastVader)


def test_another_vader_release_gets_the_stock_analyser(monkeypatch):
    # FastVader follows 3.3.2's methods; a release that changed them must not be imitated.
    from nlp import vader as module

    monkeypatch.setattr(module, "version", lambda _name: "3.4.0")
    chosen = module.analyser()
    assert type(chosen) is SentimentIntensityAnalyzer
    monkeypatch.setattr(module, "version", lambda _name: module.VERSION)
    assert isinstance(module.analyser(), FastVader)

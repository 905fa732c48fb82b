"""Theme discovery among uncovered comments."""

from __future__ import annotations

from nlp import default_taxonomy
from nlp.discover import candidates

CURRENT = [
    "The AI assistant keeps rewriting my tasks.",
    "Turn off the AI assistant please, it is creepy.",
    "AI assistant made up a due date for a client.",
    "The ai assistant summary was wrong again",
    "Custom emoji reactions would be fun.",
    "Please bring back the old colour palette",
    "old colour palette was nicer",
    "We love the old colour palette",
    "Haven't used it much.",
]
PREVIOUS = [
    "Please bring back the old colour palette",
    "The old colour palette was better",
    "old colour palette pls",
    "hmm",
]


def test_new_growing_phrase_ranks_first_with_counts_and_examples():
    found = candidates(CURRENT, PREVIOUS, min_count=3)
    top = found[0]
    assert top.phrase == "ai assistant"
    assert top.count == 4 and top.previous_count == 0
    assert top.growth > 1
    assert len(top.examples) == 3 and all("ssistant" in e for e in top.examples)


def test_steady_phrase_is_listed_below_the_growing_one():
    found = {c.phrase: c for c in candidates(CURRENT, PREVIOUS, min_count=3)}
    assert "colour palette" in found
    assert found["colour palette"].growth < found["ai assistant"].growth
    # The parts of a phrase are not repeated as candidates of their own.
    assert "palette" not in found and "assistant" not in found


def test_phrases_already_in_the_taxonomy_are_not_proposed():
    texts = ["dark mode please", "need dark mode", "dark mode when?"]
    assert candidates(texts, [], min_count=2, taxonomy=default_taxonomy()) == []
    assert [c.phrase for c in candidates(texts, [], min_count=2)] == ["dark mode"]


def test_no_comments_no_candidates():
    assert candidates([], []) == []

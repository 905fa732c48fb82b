"""Theme discovery among uncovered comments: phrases of substance that grow beyond chance."""

from __future__ import annotations

import random

import pytest

from nlp import Taxonomy, Theme, default_taxonomy
from nlp.discover import candidates, growth, phrase_sets, rank

# A stream of comments no theme covers, the same mix week after week: what a product's
# uncovered comments look like when nothing new happens.
SUBJECTS = (
    "the kanban board", "the time sheet", "invoice templates", "the client portal",
    "the reporting page", "task reminders", "the file uploads", "the search bar",
    "recurring tasks", "the gantt chart", "project templates", "the comment threads",
    "user permissions", "the activity feed", "the budget tracker", "email notifications",
    "the expense reports", "the team inbox", "guest access", "custom fields",
    "the weekly digest", "the mobile timer", "shared views", "the sprint planner",
)  # fmt: skip
GOOD = (
    "is a real time saver", "works well for us", "keeps everyone aligned", "is easy to set up",
    "does what it says", "helps me plan my day", "is my favourite part", "looks clean",
)  # fmt: skip
BAD = (
    "is hard to find", "needs more options", "could be clearer", "gets confusing with big teams",
    "is missing a few basics", "takes a while to learn", "feels cramped on small screens",
    "does not remember my filters",
)  # fmt: skip
ASKS = (
    "Please add {a} to {s}.", "Would love {a} in {s}.", "Any plans for {a}?",
    "We really need {a} for {s}.", "{S} should support {a}.",
)  # fmt: skip
ADDS = (
    "tags", "colour labels", "keyboard shortcuts", "bulk editing", "an archive button",
    "sub tasks", "a print view", "saved filters", "due date reminders", "a calendar view",
    "time estimates", "read receipts", "file previews", "custom statuses",
)  # fmt: skip
DETAILS = (
    "", "", "", " for our agency", " when we onboard new hires", " on busy weeks",
    " for the design team", " with external clients", " during month end", " lately",
)  # fmt: skip
CHAT = (
    "All good so far.", "Nothing to add.", "Keep going!", "Thanks for listening.",
    "Works for me.", "Can't think of anything.",
)  # fmt: skip
# The topic that appears one week: written as people would, never twice the same way.
PLANTED = (
    "Calendar sync duplicates events.",
    "The calendar sync keeps duplicating my events.",
    "Since Monday calendar sync duplicates every event.",
    "Duplicate events everywhere after the calendar sync.",
    "calendar sync created duplicate events again",
    "Every meeting shows up twice, the calendar sync duplicates events",
    "the google calendar sync is duplicating events for the whole team",
)
TOPIC = {"calendar", "sync", "duplicate", "event"}


def _background(rng: random.Random) -> str:
    roll, subject = rng.random(), rng.choice(SUBJECTS)
    if roll < 0.4:
        text = f"{subject} {rng.choice(GOOD)}{rng.choice(DETAILS)}."
    elif roll < 0.75:
        text = f"{subject} {rng.choice(BAD)}{rng.choice(DETAILS)}."
    elif roll < 0.93:
        text = rng.choice(ASKS).format(a=rng.choice(ADDS), s=subject, S=subject.capitalize())
    else:
        text = rng.choice(CHAT)
    return text[0].upper() + text[1:]


def stream(seed: int, weeks: int = 5, planted_from: int | None = None) -> list[list[str]]:
    """`weeks` weeks of 130 to 170 uncovered comments each; from week `planted_from` on, six to
    ten a week about calendar sync duplicating events."""
    rng = random.Random(seed)
    out = []
    for week in range(weeks):
        texts = [_background(rng) for _ in range(rng.randint(130, 170))]
        if planted_from is not None and week >= planted_from:
            texts += [rng.choice(PLANTED) for _ in range(rng.randint(6, 10))]
            rng.shuffle(texts)
        out.append(texts)
    return out


def _now_and_before(weeks: list[list[str]]) -> tuple[list[str], list[str]]:
    """The last week, and the weeks before it as the baseline."""
    return weeks[-1], [text for week in weeks[:-1] for text in week]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_planted_topic_is_found_in_its_first_week(seed: int) -> None:
    now, before = _now_and_before(stream(seed, planted_from=4))
    planted = sum(text in PLANTED for text in now)
    found = candidates(now, before)
    assert found, f"nothing found among {planted} comments about calendar sync"
    top = found[0]
    assert set(top.phrase.split()) & TOPIC
    assert top.count >= 6 and top.count <= planted and top.previous_count == 0
    assert top.p_value is not None and top.p_value < 0.05
    assert top.growth is None and top.growth_low is not None and top.growth_low > 1
    assert len(top.examples) == 3 and all(text in PLANTED for text in top.examples)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_a_steady_stream_offers_nothing(seed: int) -> None:
    now, before = _now_and_before(stream(seed))
    assert candidates(now, before) == []


def test_a_topic_growing_from_a_few_to_many_carries_its_growth_and_interval() -> None:
    weeks = stream(7)
    before = [t for week in weeks[:4] for t in week] + ["The csv export times out."] * 4
    now = weeks[4] + ["The csv export times out."] * 12
    [top] = candidates(now, before)
    assert top.phrase == "csv export" and (top.count, top.previous_count) == (12, 4)
    assert top.growth_low < top.growth < top.growth_high
    assert top.growth == pytest.approx((12 / len(now)) / (4 / len(before)), rel=1e-3)


def test_three_against_three_is_not_growth() -> None:
    assert growth(3, 150, 3, 150).p_value > 0.5
    now = [f"Opening a project is slow ({i})" for i in range(3)] + ["fine"] * 100
    before = [f"Opening a project takes a while ({i})" for i in range(3)] + ["ok"] * 100
    assert candidates(now, before, min_count=2) == []


def test_a_lone_adverb_or_stop_word_is_never_a_candidate() -> None:
    words = ("lately", "recently", "today", "anymore", "deadline", "really", "the", "very")
    texts = [f"{word.capitalize()} it is {word}!" for word in words] * 10
    assert all(not phrases for phrases in phrase_sets(texts))
    now = [f"Sluggish lately, esp. near a deadline ({i})" for i in range(20)]
    found = candidates(now, ["hello"] * 50, min_count=5)
    assert all(c.phrase.split()[0] not in words for c in found)
    assert all(c.phrase.split()[-1] not in words for c in found)


def test_near_duplicates_are_one_candidate_counting_each_comment_once() -> None:
    now = [
        "Please add export to CSV",
        "we need csv export",
        "exporting CSV would save me hours",
        "Export CSV please",
        "csv export, and csv export again",
        "the CSV exports are missing columns",
        "export csv files",
    ] + ["Works for me."] * 60
    [found] = candidates(now, ["Works for me."] * 60, min_count=5)
    assert found.count == 7
    assert found.phrase == "csv export"  # said in three comments, "export csv" in three
    assert {"csv export", "export csv", "export to csv"} <= set(found.variants)


def test_a_topic_that_restates_a_theme_is_dropped() -> None:
    now, before = _now_and_before(stream(2, planted_from=4))
    calendar = Theme(slug="calendar-sync", name="Calendar sync", phrases=("google calendar",))
    taxonomy = Taxonomy([*default_taxonomy().themes, calendar])
    found = candidates(now, before, taxonomy=taxonomy)
    assert all(not {"calendar", "sync"} >= set(c.phrase.split()) for c in found)
    dark = ["dark mode please", "need dark mode", "dark mode when?"] * 3
    assert candidates(dark, ["hi"] * 30, taxonomy=default_taxonomy()) == []
    assert [c.phrase for c in candidates(dark, ["hi"] * 30)] == ["dark mode"]


def test_a_topic_most_of_whose_comments_carry_one_theme_is_dropped() -> None:
    now = [f"the audit trail is hard to read ({i})" for i in range(8)] + ["ok"] * 40
    sets = [set(p) for p in phrase_sets(now)]
    before = [set(p) for p in phrase_sets(["ok"] * 40)]
    assert [c.phrase for c in rank(now, sets, before)] == ["audit trail"]
    tagged = [{"reporting"}] * 5 + [set()] * 43
    assert rank(now, sets, before, tagged=tagged) == []


OFFLINE = (
    "offline mode drops my edits", "no offline mode on the train", "offline mode please",
    "Offline mode!!", "offline mode is a must", "we need offline mode",
    "offline mode would help", "give us an offline mode",
)  # fmt: skip


def test_the_minimum_count_is_a_setting() -> None:
    now, before = _now_and_before(stream(3))
    assert [c.phrase for c in candidates([*now, *OFFLINE], before, min_count=8)] == ["offline mode"]
    assert candidates([*now, *OFFLINE], before, min_count=9) == []


def test_without_a_previous_period_only_a_strong_topic_is_new() -> None:
    texts = ["the audit trail export fails"] * 9 + ["ok"] * 30
    assert candidates(texts, [], min_count=5) == []
    [found] = candidates(texts + ["audit trail export broke"], [], min_count=5)
    assert found.new and found.p_value is None and found.count == 10


def test_no_comments_no_candidates() -> None:
    assert candidates([], []) == []

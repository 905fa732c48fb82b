"""The held-out comments (nlp/data/heldout) are well formed and share no text with training."""

import json
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / "nlp" / "data"
# Each part and how many comments it holds.
PARTS = {
    DATA / "heldout" / "software_comments.jsonl": 400,
    DATA / "heldout" / "software_comments_2.jsonl": 560,
    DATA / "heldout" / "software_comments_3.jsonl": 836,
    DATA / "heldout" / "software_comments_4.jsonl": 809,
    DATA / "heldout" / "software_comments_5.jsonl": 776,
}

POLARITIES = {"positive", "negative", "neutral", "mixed"}
SCORES = {"nps": range(0, 11), "csat": range(1, 6), "psat": range(1, 6), "ces": range(1, 8)}
# The score bands the README of the held-out set promises for each overall sentiment.
BANDS = {
    "nps": {"positive": (8, 10), "negative": (0, 6), "neutral": (5, 8), "mixed": (4, 8)},
    "csat": {"positive": (4, 5), "negative": (1, 2), "neutral": (3, 4), "mixed": (2, 4)},
    "ces": {"positive": (5, 7), "negative": (1, 3), "neutral": (4, 5), "mixed": (3, 5)},
}


def _normal(text):
    return " ".join(text.split()).casefold()


def _rows(path):
    with path.open(encoding="utf-8") as lines:
        return [(number, json.loads(line)) for number, line in enumerate(lines, 1) if line.strip()]


def _theme_slugs():
    taxonomy = json.loads((DATA / "taxonomy.json").read_text(encoding="utf-8"))
    # "other" is never a key: a comment about no theme has themes == {}.
    return {theme["slug"] for theme in taxonomy["themes"]} - {"other"}


@pytest.mark.parametrize("part", PARTS, ids=lambda path: path.name)
def test_every_line_is_a_well_formed_labelled_comment(part):
    slugs = _theme_slugs()
    rows = _rows(part)
    assert len(rows) == PARTS[part]
    for number, row in rows:
        where = f"{part.name} line {number}"
        assert isinstance(row, dict), where
        assert set(row) - {"language"} == {"text", "themes", "sentiment", "kind", "score"}, where
        assert isinstance(row["text"], str) and row["text"].strip(), where
        assert isinstance(row["themes"], dict), where
        assert set(row["themes"]) <= slugs, (where, row["themes"])
        assert set(row["themes"].values()) <= POLARITIES, (where, row["themes"])
        assert row["sentiment"] in POLARITIES, where
        assert row["kind"] in SCORES, where
        score = row["score"]
        assert isinstance(score, int) and not isinstance(score, bool), where
        assert score in SCORES[row["kind"]], where
        low, high = BANDS[row["kind"]][row["sentiment"]]
        assert low <= score <= high, (where, row["kind"], row["sentiment"], score)
        polarities = set(row["themes"].values())
        if {"positive", "negative"} <= polarities:
            assert row["sentiment"] == "mixed", where


def test_no_text_is_repeated_or_shared_with_the_training_or_development_set():
    texts = [_normal(row["text"]) for part in PARTS for _, row in _rows(part)]
    assert len(set(texts)) == len(texts)
    seen = {
        _normal(row["text"])
        for path in (DATA / "comments.jsonl", DATA / "dev" / "software_comments.jsonl")
        for _, row in _rows(path)
    }
    shared = sorted(set(texts) & seen)
    assert not shared, shared


def _agreement(first: list[set[str]], second: list[set[str]], theme: str | None) -> float:
    pairs = zip(first, second, strict=True)
    if theme is not None:
        pairs = ((a & {theme}, b & {theme}) for a, b in pairs)
    pairs = list(pairs)
    both = sum(len(a & b) for a, b in pairs)
    either = sum(len(a) + len(b) for a, b in pairs)
    return 2 * both / either


def test_the_second_labels_cover_every_comment_and_agree_as_the_readme_says():
    slugs = _theme_slugs()
    parts = list(PARTS)
    first = [set(row["themes"]) for part in parts for _, row in _rows(part)]
    rows = [row for _, row in _rows(DATA / "heldout" / "second_labels.jsonl")]
    assert [(r["part"], r["line"]) for r in rows] == [
        (n, line) for n, part in enumerate(parts, 1) for line in range(1, PARTS[part] + 1)
    ]
    second = [set(r["themes"]) for r in rows]
    assert set().union(*second) <= slugs
    readme = (DATA / "heldout" / "README.md").read_text(encoding="utf-8")
    for theme in sorted(slugs):
        assert f"| `{theme}` | {_agreement(first, second, theme):.3f} |" in readme, theme
    assert f"| all themes | {_agreement(first, second, None):.3f} |" in readme

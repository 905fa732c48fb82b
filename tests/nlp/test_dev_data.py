"""The development comments (nlp/data/dev) are well formed and never part of the training set."""

import json
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "nlp" / "data"
DEV = DATA / "dev" / "software_comments.jsonl"

POLARITIES = {"positive", "negative", "neutral", "mixed"}
SCORES = {"nps": range(0, 11), "csat": range(1, 6), "psat": range(1, 6), "ces": range(1, 8)}


def _normal(text):
    return " ".join(text.split()).casefold()


def _rows(path):
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def test_every_line_is_a_labelled_comment_with_known_themes():
    taxonomy = json.loads((DATA / "taxonomy.json").read_text(encoding="utf-8"))
    slugs = {theme["slug"] for theme in taxonomy["themes"]} - {"other"}
    rows = _rows(DEV)
    assert len(rows) >= 200
    for row in rows:
        assert set(row) - {"language"} == {"text", "themes", "sentiment", "kind", "score"}, row
        assert set(row["themes"]) <= slugs, row
        assert set(row["themes"].values()) <= POLARITIES, row
        assert row["sentiment"] in POLARITIES, row
        assert row["score"] in SCORES[row["kind"]], row
        if {"positive", "negative"} <= set(row["themes"].values()):
            assert row["sentiment"] == "mixed", row


def test_no_dev_comment_is_repeated_or_in_the_training_set():
    texts = [_normal(row["text"]) for row in _rows(DEV)]
    assert len(set(texts)) == len(texts)
    training = {_normal(row["text"]) for row in _rows(DATA / "comments.jsonl")}
    assert not sorted(set(texts) & training)

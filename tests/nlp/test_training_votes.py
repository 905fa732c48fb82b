"""The second and third labels of the training comments (nlp/data/comment_votes.jsonl) cover
every English comment and agree with its labels as the data README says."""

import json
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "nlp" / "data"


def _rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def test_every_english_training_comment_was_labelled_again_and_disputes_a_third_time() -> None:
    comments = _rows(DATA / "comments.jsonl")
    votes = _rows(DATA / "comment_votes.jsonl")
    assert [v["line"] for v in votes] == [
        n for n, r in enumerate(comments, 1) if "language" not in r
    ]
    taxonomy = json.loads((DATA / "taxonomy.json").read_text(encoding="utf-8"))
    slugs = {theme["slug"] for theme in taxonomy["themes"]} - {"other"}
    for vote in votes:
        for labeller in ("second", "third"):
            assert set(vote.get(labeller, {})) <= slugs, vote
        # A third labeller was asked exactly where the writer and the second disagreed.
        disputed = set(vote["second"]) != set(comments[vote["line"] - 1]["themes"])
        assert ("third" in vote) == disputed, vote


def test_writer_and_second_labeller_agree_as_the_readme_says() -> None:
    comments = _rows(DATA / "comments.jsonl")
    both = only_second = only_writer = 0
    for vote in _rows(DATA / "comment_votes.jsonl"):
        writer, second = set(comments[vote["line"] - 1]["themes"]), set(vote["second"])
        both += len(writer & second)
        only_second += len(second - writer)
        only_writer += len(writer - second)
    assert (only_second, only_writer) == (932, 751)
    assert round(2 * both / (2 * both + only_second + only_writer), 3) == 0.923

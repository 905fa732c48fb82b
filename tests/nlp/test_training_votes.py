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


def _table_row(name: str, writer: list[set[str]], second: list[set[str]]) -> str:
    """The README's row for one theme (or "all themes" when `name` is not a slug)."""
    both = only_second = only_writer = 0
    for w, s in zip(writer, second, strict=True):
        if not name.startswith("all"):
            w, s = w & {name}, s & {name}
        both += len(w & s)
        only_second += len(s - w)
        only_writer += len(w - s)
    f1 = 2 * both / (2 * both + only_second + only_writer)
    label = name if name.startswith("all") else f"`{name}`"
    return f"| {label} | {f1:.3f} | {only_second} | {only_writer} |"


def test_writer_and_second_labeller_agree_as_the_readme_says() -> None:
    comments = _rows(DATA / "comments.jsonl")
    votes = _rows(DATA / "comment_votes.jsonl")
    writer = [set(comments[v["line"] - 1]["themes"]) for v in votes]
    second = [set(v["second"]) for v in votes]
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    for name in sorted(set().union(*writer, *second)) + ["all themes"]:
        assert _table_row(name, writer, second) in readme, name
    # "the third labeller sides with the second about three times in four"
    sides = [
        (theme in vote["third"]) == (theme in vote["second"])
        for vote, w, s in zip(votes, writer, second, strict=True)
        if "third" in vote
        for theme in w ^ s
    ]
    assert 0.7 <= sum(sides) / len(sides) <= 0.8

"""The evaluation command on small SemEval and JSON Lines files written by the test."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from nlp.evaluate import main, read

FOOD = ["The pasta was delicious.", "Awful soggy pizza.", "Great food, tasty and fresh."]
SERVICE = ["The waiter was rude to us.", "Staff were friendly and quick.", "Service was slow."]


def semeval2014(sentences: list[tuple[str, str, str]]) -> str:
    body = "".join(
        f'<sentence id="{i}"><text>{text}</text><aspectCategories>'
        f'<aspectCategory category="{cat}" polarity="{pol}"/></aspectCategories></sentence>'
        for i, (text, cat, pol) in enumerate(sentences)
    )
    return f'<?xml version="1.0"?><sentences>{body}</sentences>'


def polarity(text: str) -> str:
    return "negative" if any(w in text for w in ("Awful", "rude", "slow")) else "positive"


def test_semeval_training_then_test_prints_figures_and_json(tmp_path, capsys):
    train_rows = [(f"{t} Visit {i}.", "food", polarity(t)) for i in range(6) for t in FOOD]
    train_rows += [(f"{t} Visit {i}.", "service", polarity(t)) for i in range(6) for t in SERVICE]
    (tmp_path / "train.xml").write_text(semeval2014(train_rows))
    test_rows = [(t, "food", polarity(t)) for t in FOOD] + [
        (t, "service", polarity(t)) for t in SERVICE
    ]
    (tmp_path / "test.xml").write_text(semeval2014(test_rows))
    code = main(
        ["semeval2014", str(tmp_path / "test.xml"), "--train", str(tmp_path / "train.xml"),
         "--min-examples", "10", "--json"]
    )  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[0].startswith("theme detection")
    figures = json.loads(out[-1])
    assert set(figures) >= {"precision", "recall", "f1", "per_theme", "sentiment_accuracy",
                            "end_to_end_f1", "n"}  # fmt: skip
    assert figures["n"] == 6
    assert figures["f1"] >= 0.8
    assert set(figures["per_theme"]) == {"food", "service"}


def test_semeval2016_categories_are_unique_per_sentence_and_conflicts_are_mixed(tmp_path):
    xml = (
        '<Reviews><Review rid="1"><sentences><sentence id="1:0"><text>Good food, bad food.</text>'
        '<Opinions><Opinion category="FOOD#QUALITY" polarity="positive"/>'
        '<Opinion category="FOOD#QUALITY" polarity="negative"/></Opinions></sentence>'
        '<sentence id="1:1"><text>Nothing to see.</text></sentence>'
        '<sentence id="1:2" OutOfScope="TRUE"><text>Skip me.</text></sentence>'
        "</sentences></Review></Reviews>"
    )
    path = tmp_path / "t.xml"
    path.write_text(xml)
    items, names = read("semeval2016", path)
    assert [i.themes for i in items] == [{"food-quality": "mixed"}, {}]
    assert names == {"food-quality": "FOOD#QUALITY"}


def test_jsonl_with_the_default_model(tmp_path, capsys):
    rows = [
        {"text": "Support was brilliant.", "themes": {"support": "positive"}, "kind": "csat",
         "score": 5},
        {"text": "The dashboard crashes constantly.", "themes": {"reliability": "negative"}},
        {"text": "Keep up the good work!", "themes": {}, "sentiment": "positive"},
    ]  # fmt: skip
    path = tmp_path / "t.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    assert main(["jsonl", str(path), "--json"]) == 0
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert figures["n"] == 3
    assert figures["f1"] == 1.0
    assert figures["sentiment_accuracy"] == 1.0


def test_several_files_are_measured_as_one_set_with_the_model_named(tmp_path, capsys):
    first = [{"text": "Support was brilliant.", "themes": {"support": "positive"}}]
    second = [
        {"text": "The dashboard crashes constantly.", "themes": {"reliability": "negative"}},
        {"text": "Charged twice for one month.", "themes": {"billing": "negative"}},
    ]
    for name, rows in (("a.jsonl", first), ("b.jsonl", second)):
        (tmp_path / name).write_text("\n".join(json.dumps(r) for r in rows))
    model = resources.files("nlp").joinpath("data/model")
    paths = [str(tmp_path / "a.jsonl"), str(tmp_path / "b.jsonl")]
    assert main(["jsonl", *paths, "--model", str(model), "--json"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    figures = json.loads(out[-1])
    assert figures["n"] == 3
    assert set(figures["per_theme"]) == {"support", "reliability", "billing"}
    assert "95% interval of F1" in out[1]


def test_a_model_folder_that_cannot_be_read_is_refused_with_its_name(tmp_path, capsys):
    (tmp_path / "t.jsonl").write_text(json.dumps({"text": "fine", "themes": {}}))
    with pytest.raises(SystemExit) as exited:
        main(["jsonl", str(tmp_path / "t.jsonl"), "--model", str(tmp_path / "nothing")])
    assert exited.value.code == 2
    assert f"cannot read the model in {tmp_path / 'nothing'}" in capsys.readouterr().err

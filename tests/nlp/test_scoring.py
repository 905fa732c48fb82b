"""The figures of nlp.evaluate: per theme, the confusion between themes and calibration."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nlp import Analyzer, default_taxonomy
from nlp.analyzer import UNCERTAIN_FROM
from nlp.evaluate import main
from nlp.learn import train
from nlp.scoring import NONE, confusion, f1_intervals
from nlp.taxonomy import OTHER


def test_a_missed_theme_is_paired_with_the_theme_tagged_in_its_place():
    gold = [{"usability"}, {"billing", "support"}, set(), {"features"}]
    found = [{"features"}, {"billing"}, {"support"}, {"features"}]
    table = confusion(gold, found)
    assert table["usability"] == {"features": 1}
    assert table["support"] == {NONE: 1}  # missed with nothing tagged instead
    assert table[NONE] == {"support": 1}  # tagged where no theme was missed
    assert "features" not in table  # found where it belonged


def _outcomes(right: int, wrong_tag: int, missed: int, none: int) -> np.ndarray:
    """Comments x one theme x (tp, fp, fn): how a set of comments came out for a theme."""
    rows = [(1, 0, 0)] * right + [(0, 1, 0)] * wrong_tag + [(0, 0, 1)] * missed
    return np.array(rows + [(0, 0, 0)] * none).reshape(-1, 1, 3)


def test_an_f1_comes_with_an_interval_that_narrows_as_the_set_grows():
    small = _outcomes(right=35, wrong_tag=15, missed=15, none=335)  # F1 0.70 on 400 comments
    large = np.concatenate([small] * 4)  # the same rates on 1,600
    overall, (theme,) = f1_intervals(small)
    assert overall == theme
    assert theme[0] < 0.70 < theme[1]
    assert theme[1] - theme[0] > 0.1  # one theme on 50 comments cannot tell 0.68 from 0.72
    _, (on_more,) = f1_intervals(large)
    assert on_more[0] > theme[0] and on_more[1] < theme[1]
    assert f1_intervals(_outcomes(right=50, wrong_tag=0, missed=0, none=10))[0] == [1.0, 1.0]


def test_evaluate_prints_per_theme_confusion_and_calibration(tmp_path, capsys):
    rows = [
        {"text": "Support answered in minutes.", "themes": {"support": "positive"}},
        {"text": "The app crashes every time I open a report.",
         "themes": {"reliability": "negative"}},
        {"text": "I can never find the settings, menus everywhere.",
         "themes": {"usability": "negative"}},
        {"text": "Charged twice this month and no refund yet.", "themes": {"billing": "negative"}},
        # A gold theme no model could find in the words: the confusion table has a miss to show.
        {"text": "Fine.", "themes": {"features": "neutral"}},
        {"text": "Das Programm ist sehr langsam und teuer.", "themes": {}, "language": "de"},
    ]  # fmt: skip
    path = tmp_path / "t.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    assert main(["jsonl", str(path), "--json"]) == 0
    out = capsys.readouterr().out.splitlines()
    figures = json.loads(out[-1])
    support = figures["per_theme"]["support"]
    assert set(support) == {"precision", "recall", "f1", "f1_interval", "support"}
    assert support["support"] == 1
    low, high = support["f1_interval"]
    assert low <= support["f1"] <= high
    assert figures["not_analysed"] == {"de": 1}
    calibration = figures["calibration"]
    # Five English comments, each with a probability for every learned theme.
    assert calibration["pairs"] == 5 * len([t for t in default_taxonomy().slugs if t != OTHER])
    assert sum(b["n"] for b in calibration["bins"]) == calibration["pairs"]
    text = "\n".join(out)
    header = "confusion: gold theme missed (rows) -> theme tagged instead (columns)"
    assert header in out
    table = out[out.index(header) :]
    missed = next(line for line in table if line.strip().startswith("features"))
    assert missed.split()[-1] == "1", missed  # missed, with nothing tagged in its place
    assert "expected calibration error" in text
    assert "not analysed (not English): 1 (de 1)" in text


@pytest.fixture(scope="module")
def calibrated(shipped_examples):
    model, _ = train(shipped_examples[:600], default_taxonomy(), folds=3, spacy_model="blank")
    return model


def test_trained_probabilities_are_calibrated_on_comments_not_trained_on(
    calibrated, shipped_examples
):
    """Among comments the model never saw, themes given about p are there about p of the time:
    a confidence means what it says."""
    analyzer = Analyzer(default_taxonomy(), model=calibrated, spacy_model="blank")
    unseen = shipped_examples[600:1400]
    parsed = analyzer.parse([e.text for e in unseen])
    probs = calibrated.detect(parsed, analyzer.vectors(parsed))
    truth = np.array([[t in e.themes for t in calibrated.themes] for e in unseen])
    high = probs >= 0.8
    low = probs < 0.1
    assert truth[high].mean() > 0.7
    assert truth[low].mean() < 0.05
    assert len(calibrated.config["platt"]) == len(calibrated.themes)


def test_a_theme_just_below_its_threshold_is_offered_as_uncertain_not_tagged(calibrated):
    analyzer = Analyzer(default_taxonomy(), model=calibrated, spacy_model="blank")
    texts = [
        "the invoice page is kind of confusing i guess",
        "not sure the reports do what we need",
        "it was okay, we had a few hiccups with setup",
        "meh",
        "syncing is sometimes off",
        "hard to say, the pricing page and billing emails confuse me",
        "the invoice thing got sorted eventually",
        "invoices look odd, asked about it",
    ]
    results = analyzer.analyse_batch(texts)
    parsed = analyzer.parse(texts)
    probs = calibrated.detect(parsed, analyzer.vectors(parsed))
    offered = 0
    for row, result in enumerate(results):
        tagged = {m.slug for m in result.themes}
        for slug in result.uncertain:
            j = calibrated.themes.index(slug)
            assert UNCERTAIN_FROM <= probs[row, j] < calibrated.thresholds[j]
            assert slug not in tagged
            offered += 1
        for j, slug in enumerate(calibrated.themes):
            if UNCERTAIN_FROM <= probs[row, j] < calibrated.thresholds[j] and slug not in tagged:
                assert slug in result.uncertain
    assert offered, "some of these hedged comments should leave a theme uncertain"


def test_an_uncalibrated_model_offers_nothing_as_uncertain(calibrated):
    calibrated_config = dict(calibrated.config)
    calibrated.config.pop("platt")
    try:
        analyzer = Analyzer(default_taxonomy(), model=calibrated, spacy_model="blank")
        results = analyzer.analyse_batch(["not sure the reports do what we need", "meh"])
        assert all(r.uncertain == [] for r in results)
    finally:
        calibrated.config.clear()
        calibrated.config.update(calibrated_config)

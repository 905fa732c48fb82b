"""Training, promotion and storage of learned models."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from nlp import Analyzer, ModelError, NotEnoughLabels, Taxonomy, Theme, default_taxonomy, load_model
from nlp.learn import LabeledExample, Settings, TrainReport, should_promote, train

SAMPLE = [
    "The export keeps failing and I lost an afternoon of work.",
    "Support answered in minutes, lovely people.",
    "Why does the pricing page hide the per seat cost?",
    "took ages to load the reports tab",
    "Slack integration is great, Zapier one not so much",
    "",
    "Die App ist sehr langsam.",
]


@pytest.fixture(scope="module")
def trained(shipped_examples):
    """A model trained on part of the shipped comments, fast enough for a test run."""
    return train(shipped_examples[:400], default_taxonomy(), folds=3, spacy_model="blank")


def test_too_few_labels_leave_the_taxonomy_in_charge(shipped_examples):
    with pytest.raises(NotEnoughLabels) as caught:
        train(shipped_examples[:40], default_taxonomy(), spacy_model="blank")
    assert caught.value.count == 40
    assert caught.value.minimum == 150


def test_minimum_number_of_labels_is_configurable(shipped_examples):
    with pytest.raises(NotEnoughLabels):
        train(shipped_examples[:300], default_taxonomy(), min_examples=500, spacy_model="blank")


def test_report_has_cross_validated_figures_per_theme(trained):
    _, report = trained
    assert 0.0 < report.precision <= 1.0 and 0.0 < report.recall <= 1.0
    assert 0.0 < report.f1 <= 1.0 and 0.0 < report.sentiment_accuracy <= 1.0
    assert report.n_labels > 400
    assert {"support", "reliability", "features"} <= set(report.per_theme)
    assert set(report.per_theme["support"]) >= {"precision", "recall", "f1", "support"}
    assert report.baseline["f1"] > 0


def test_worse_model_is_not_promoted(trained):
    _, report = trained
    worse = TrainReport.from_dict({**report.to_dict(), "f1": report.f1 - 0.1})
    assert should_promote(report, worse)
    assert not should_promote(worse, report)
    assert not should_promote(report, report)


def test_model_no_better_than_the_taxonomy_is_not_promoted(trained):
    _, report = trained
    weak = report.to_dict() | {"f1": 0.1, "sentiment_accuracy": 0.1}
    assert not should_promote(weak, None)
    assert should_promote(report, None)


def test_saved_model_predicts_exactly_as_before(trained, tmp_path):
    model, _ = trained
    model.save(tmp_path / "m")
    again = load_model(tmp_path / "m")
    before = Analyzer(model=model, spacy_model="blank").analyse_batch(SAMPLE)
    after = Analyzer(model=again, spacy_model="blank").analyse_batch(SAMPLE)
    assert before == after
    assert again.version == model.version
    np.testing.assert_array_equal(again.thresholds, model.thresholds)


@pytest.mark.parametrize("damage", ["truncate", "garble_json", "missing", "swap_arrays"])
def test_damaged_model_is_refused_and_the_loaded_one_keeps_working(trained, tmp_path, damage):
    model, _ = trained
    good, bad = tmp_path / "good", tmp_path / "bad"
    model.save(good)
    shutil.copytree(good, bad)
    if damage == "truncate":
        data = (bad / "arrays.npz").read_bytes()
        (bad / "arrays.npz").write_bytes(data[: len(data) // 2])
    elif damage == "garble_json":
        (bad / "model.json").write_text('{"format": "feedback-nlp-model/1", "vers')
    elif damage == "missing":
        (bad / "arrays.npz").unlink()
    else:
        other, _ = train(
            [LabeledExample(f"slow {i}", {"performance": "negative"}) for i in range(3)]
            + [LabeledExample(f"great support {i}", {"support": "positive"}) for i in range(3)],
            default_taxonomy(),
            folds=2,
            min_examples=1,
            spacy_model="blank",
        )
        other.save(tmp_path / "other")
        shutil.copy(tmp_path / "other" / "arrays.npz", bad / "arrays.npz")
    in_use = Analyzer(model=load_model(good), spacy_model="blank")
    with pytest.raises(ModelError):
        load_model(bad)
    assert in_use.analyse("The app crashes all the time").themes


def test_model_and_arrays_that_do_not_fit_are_refused(trained, tmp_path):
    model, _ = trained
    model.save(tmp_path)
    meta = (tmp_path / "model.json").read_text()
    # A vocabulary one term shorter than the weights: the checksum still matches the arrays.
    (tmp_path / "model.json").write_text(meta.replace('"words": ["', '"words": ["zzzz", "', 1))
    with pytest.raises(ModelError, match="inconsistent"):
        load_model(tmp_path)


def test_default_model_loads_and_knows_the_default_themes():
    model = load_model(None)
    assert set(model.themes) >= {"pricing", "billing", "support", "performance", "mobile"}
    assert model.version.startswith("default-")


def test_missing_model_folder_raises_model_error(tmp_path):
    with pytest.raises(ModelError):
        load_model(tmp_path / "nowhere")


def test_theme_added_after_training_comes_from_the_taxonomy(trained):
    model, _ = trained
    taxonomy = Taxonomy(
        default_taxonomy().themes + (Theme("security", "Security", phrases=("2fa", "sso", "gdpr")),)
    )
    analyzer = Analyzer(taxonomy, model=model, spacy_model="blank")
    result = analyzer.analyse("We can't roll this out until GDPR paperwork is done.")
    security = [m for m in result.themes if m.slug == "security"]
    assert security and security[0].source == "taxonomy"
    assert [s.text for s in security[0].evidence] == ["GDPR"]


def test_blended_detector_is_one_linear_model_between_its_two_parts(shipped_examples):
    examples = shipped_examples[:200]
    detectors = [
        train(
            examples,
            default_taxonomy(),
            embeddings_path=None,
            folds=2,
            settings=Settings(plain_blend=blend),
            spacy_model="blank",
        )[0].detector
        for blend in (0.0, 1.0, 0.5)
    ]
    nb_only, plain_only, blended = detectors
    np.testing.assert_allclose(blended.coef, (nb_only.coef + plain_only.coef) / 2, atol=1e-5)
    np.testing.assert_allclose(
        blended.intercept, (nb_only.intercept + plain_only.intercept) / 2, atol=1e-5
    )


def test_training_twice_on_the_same_comments_saves_the_same_bytes(shipped_examples, tmp_path):
    """The default model is rebuilt by its command byte for byte: training is deterministic."""
    for name in ("first", "second"):
        model, _ = train(shipped_examples[:300], default_taxonomy(), folds=2, spacy_model="blank")
        model.save(tmp_path / name)
    for file in ("model.json", "arrays.npz"):
        assert (tmp_path / "first" / file).read_bytes() == (tmp_path / "second" / file).read_bytes()

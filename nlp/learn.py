"""Training the learned models from labeled comments, with a cross-validated report."""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold

from nlp.analyzer import Analyzer, rule_sentiment
from nlp.embeddings import (
    MEAN_MAX,
    SHIPPED,
    load_embeddings,
    resolve_embeddings,
    shipped_embeddings,
)
from nlp.errors import NotEnoughLabels
from nlp.features import Parsed, TfIdf, char_ngrams, detector_terms
from nlp.language import detect_language, is_english
from nlp.model import Linear, ThemeModel, pair_features, pair_words
from nlp.pipeline import cap
from nlp.sentiment import POLARITIES
from nlp.taxonomy import OTHER, Taxonomy

MIN_EXAMPLES = 150
# A theme needs this many labeled comments to be learned; rarer ones stay with the taxonomy.
MIN_THEME_EXAMPLES = 8
SCALES = {"nps": (0, 10), "csat": (1, 5), "psat": (1, 5), "ces": (1, 7)}


@dataclass(frozen=True)
class LabeledExample:
    """A comment tagged by an analyst: themes with their polarity, the score if known (0-1)."""

    text: str
    themes: dict[str, str]
    score: float | None = None
    sentiment: str | None = None  # the comment's overall label, used for comments with no theme


@dataclass
class Settings:
    """Knobs of training; the defaults were tuned on held-out data."""

    detector_c: float = 4.0
    sentiment_c: float = 4.0
    balanced: bool = True
    naive_bayes: bool = True
    plain_blend: float = 0.5  # share of a plain LR's scores averaged into NB-LR's
    theme_weight: float = 1.0
    score_dropout: float = 0.4
    dense_weight: float = 1.0
    chars: bool = True
    char_weight: float = 1.0
    flag_weight: float = 1.0
    embedding_weight: float = 1.0
    sentiment_embedding_weight: float | None = 0.5  # None: embedding_weight
    # Written comments: treat every theme as equally common rather than as often as written.
    even_themes: bool = False
    pooling: str = MEAN_MAX  # how token vectors become a comment's (nlp.embeddings)
    min_df: int = 2
    max_terms: int = 40000
    seed: int = 0


@dataclass
class TrainReport:
    """Cross-validated figures of a trained model (and of the taxonomy alone, as a baseline)."""

    precision: float
    recall: float
    f1: float
    sentiment_accuracy: float
    n_labels: int
    n_examples: int
    per_theme: dict[str, dict[str, float]]
    baseline: dict[str, float] = field(default_factory=dict)
    folds: int = 5
    skipped_themes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainReport:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def normalise_score(kind: str, value: float | None) -> float | None:
    """A survey score scaled to 0-1 (NPS 0-10, CSAT/PSAT 1-5, CES 1-7), None when unknown."""
    if value is None or kind.lower() not in SCALES:
        return None
    low, high = SCALES[kind.lower()]
    return min(max((float(value) - low) / (high - low), 0.0), 1.0)


def should_promote(
    candidate: TrainReport | dict[str, Any],
    current: TrainReport | dict[str, Any] | None,
    min_gain: float = 0.0,
) -> bool:
    """Whether a newly trained model should replace the one in use.

    The candidate must beat the taxonomy alone on its own cross-validation, and the current
    model (when there is one) on theme F1 plus sentiment accuracy.
    """
    cand = candidate.to_dict() if isinstance(candidate, TrainReport) else candidate
    merit = cand["f1"] + cand["sentiment_accuracy"]
    base = cand.get("baseline") or {}
    if base and merit <= base.get("f1", 0.0) + base.get("sentiment_accuracy", 0.0):
        return False
    if current is None:
        return True
    cur = current.to_dict() if isinstance(current, TrainReport) else current
    return merit > cur["f1"] + cur["sentiment_accuracy"] + min_gain


def train(
    examples: Sequence[LabeledExample],
    taxonomy: Taxonomy,
    embeddings_path: str | Path | None = SHIPPED,
    folds: int = 5,
    *,
    min_examples: int = MIN_EXAMPLES,
    settings: Settings | None = None,
    spacy_model: str = "auto",
    version: str | None = None,
) -> tuple[ThemeModel, TrainReport]:
    """Train both models on all examples; the report comes from `folds`-fold cross-validation.

    Raises NotEnoughLabels below min_examples labeled comments: the taxonomy stays in charge.
    embeddings_path: a model2vec folder, SHIPPED (the embeddings shipped with the package, when
    present: the default) or None for none.
    """
    settings = settings or Settings()
    kept = [e for e in examples if e.text.strip() and is_english(detect_language(e.text))]
    if len(kept) < min_examples:
        raise NotEnoughLabels(len(kept), min_examples)
    analyzer = Analyzer(taxonomy=taxonomy, spacy_model=spacy_model)
    parsed = analyzer.parse([cap(e.text) for e in kept])
    folder = resolve_embeddings(embeddings_path)
    if folder is None:
        embeddings = None
    elif str(embeddings_path) == SHIPPED:
        embeddings = shipped_embeddings()
    else:
        embeddings = load_embeddings(folder)
    vectors = (
        embeddings.embed([p.text for p in parsed], settings.pooling)
        if embeddings is not None
        else None
    )
    counts: dict[str, int] = {}
    for e in kept:
        for slug in e.themes:
            counts[slug] = counts.get(slug, 0) + 1
    themes = sorted(s for s, c in counts.items() if c >= MIN_THEME_EXAMPLES and s != OTHER)
    skipped = sorted(s for s, c in counts.items() if c < MIN_THEME_EXAMPLES and s != OTHER)
    y = np.array([[slug in e.themes for slug in themes] for e in kept], dtype=bool)
    always_one = bool(all(any(s in e.themes for s in themes) for e in kept))
    job = _Job(kept, parsed, vectors, taxonomy, themes, always_one, settings)
    if embeddings is not None:
        job.config["embedding_dim"] = embeddings.width(settings.pooling)
        job.config["embedding_pooling"] = settings.pooling
        job.config["embedding_fingerprint"] = embeddings.fingerprint

    # Out-of-fold probabilities and sentiments, for the thresholds and the report.
    n = len(kept)
    probs = np.zeros((n, len(themes)))
    fold_of = np.zeros(n, dtype=int)
    pair_pred: dict[tuple[int, str], str] = {}
    splitter = KFold(n_splits=folds, shuffle=True, random_state=settings.seed)
    for f, (train_idx, test_idx) in enumerate(splitter.split(np.arange(n))):
        model = job.fit(train_idx, np.full(len(themes), 0.5))
        probs[test_idx] = model.detect([parsed[i] for i in test_idx], _rows(vectors, test_idx))
        fold_of[test_idx] = f
        pair_pred.update(job.predict_pairs(model, test_idx))
    # Balanced class weights push the probabilities up: a per-theme logistic fit of the
    # out-of-fold scores against the truth (Platt scaling) makes them honest, so a confidence
    # of 0.7 is right about 70% of the time. It is monotone, so the decisions stay the same.
    platt = np.array([_platt(probs[:, j], y[:, j]) for j in range(len(themes))]).reshape(-1, 2)
    weights = np.ones((len(themes), 2))
    if settings.even_themes and len(themes):
        # The comments were written, not sampled: how often each theme comes up says how they
        # were written, not what a workspace will see. Shift each theme's odds (and weigh its
        # comments when choosing its threshold) as if every theme were equally common.
        prevalence = np.clip(y.mean(axis=0), 1e-3, 1 - 1e-3)
        even = float(prevalence.mean())
        platt[:, 1] += _logit(np.full(len(themes), even)) - _logit(prevalence)
        weights = np.column_stack([even / prevalence, (1 - even) / (1 - prevalence)])
    probs = _calibrated(probs, platt)
    thresholds = np.array(
        [_best_threshold(probs[:, j], y[:, j], weights[j]) for j in range(len(themes))]
    )
    # Each fold is scored with thresholds chosen on the other folds, so the report is fair.
    decided = np.zeros_like(y)
    for f in range(folds):
        rows = fold_of == f
        others = ~rows
        fold_thresholds = np.array(
            [
                _best_threshold(probs[others, j], y[others, j], weights[j])
                for j in range(len(themes))
            ]
        )
        shell = job.shell(fold_thresholds)
        decided[rows] = shell.decide(probs[rows])
    report = _report(kept, themes, y, decided, pair_pred, thresholds, folds, skipped)
    report.baseline = _baseline(analyzer, kept, parsed, themes, y)

    model = job.fit(np.arange(n), thresholds)
    model.config["platt"] = [[round(float(a), 6), round(float(b), 6)] for a, b in platt]
    model.report = report.to_dict()
    model.version = version or _content_version(model)
    return model, report


def examples_from_records(records: Sequence[dict[str, Any]]) -> list[LabeledExample]:
    """LabeledExamples from JSON records {"text", "themes", "sentiment", "kind", "score"}."""
    out = []
    for r in records:
        score = r.get("score")
        if score is not None and r.get("kind"):
            score = normalise_score(str(r["kind"]), score)
        elif score is not None and not 0 <= float(score) <= 1:
            score = None
        out.append(
            LabeledExample(
                text=str(r["text"]),
                themes={str(k): str(v) for k, v in (r.get("themes") or {}).items()},
                score=score,
                sentiment=r.get("sentiment"),
            )
        )
    return out


class _Job:
    """Everything one training run shares between its folds."""

    def __init__(self, examples, parsed, vectors, taxonomy, themes, always_one, settings) -> None:
        self.examples: list[LabeledExample] = list(examples)
        self.parsed: list[Parsed] = list(parsed)
        self.vectors = vectors
        self.taxonomy = taxonomy
        self.themes: list[str] = themes
        self.always_one = always_one
        self.settings: Settings = settings
        self.config: dict[str, Any] = {
            "char_weight": settings.char_weight,
            "flag_weight": settings.flag_weight,
            "embedding_weight": settings.embedding_weight,
            "sentiment_embedding_weight": settings.sentiment_embedding_weight,
            "detector_c": settings.detector_c,
            "sentiment_c": settings.sentiment_c,
            "theme_weight": settings.theme_weight,
            "dense_weight": settings.dense_weight,
        }
        labelled = {s for e in self.examples for s in e.themes}
        self.sentiment_themes = sorted(labelled | {OTHER})

    def shell(self, thresholds: np.ndarray) -> ThemeModel:
        empty = TfIdf([], np.zeros(0))
        return ThemeModel(
            version="training",
            taxonomy=self.taxonomy,
            themes=self.themes,
            thresholds=np.asarray(thresholds, dtype=np.float32),
            always_one=self.always_one,
            words=empty,
            chars=None,
            detector=Linear(np.zeros((len(self.themes), 0)), np.zeros(len(self.themes))),
            sentiment_themes=self.sentiment_themes,
            sentiment_classes=list(POLARITIES),
            sentiment_words=empty,
            sentiment=Linear(np.zeros((4, 0)), np.zeros(4)),
            config=dict(self.config),
        )

    def pairs(self, rows: Sequence[int]) -> list[tuple[int, str, str]]:
        """(row, theme, polarity) of the gold labels; a theme-less comment pairs with "other"."""
        out = []
        for i in rows:
            e = self.examples[i]
            if e.themes:
                out.extend((i, slug, pol) for slug, pol in e.themes.items() if pol in POLARITIES)
            elif e.sentiment in POLARITIES:
                out.append((i, OTHER, str(e.sentiment)))
        return out

    def fit(self, rows: np.ndarray, thresholds: np.ndarray) -> ThemeModel:
        s = self.settings
        docs = [self.parsed[i] for i in rows]
        model = self.shell(thresholds)
        model.words = TfIdf.fit([detector_terms(p) for p in docs], s.min_df, s.max_terms)
        if s.chars:
            model.chars = TfIdf.fit([char_ngrams(p.text) for p in docs], s.min_df, s.max_terms)
        x = model.detector_features(docs, _rows(self.vectors, rows))
        coef = np.zeros((len(self.themes), x.shape[1]), dtype=np.float32)
        intercept = np.zeros(len(self.themes), dtype=np.float32)
        for j, slug in enumerate(self.themes):
            target = np.array([slug in self.examples[i].themes for i in rows])
            if target.all() or not target.any():
                intercept[j] = 10.0 if target.all() else -10.0
                continue
            clf = LogisticRegression(
                C=s.detector_c,
                solver="liblinear",
                class_weight="balanced" if s.balanced else None,
                max_iter=1000,
            )
            if s.naive_bayes:
                # NB-LR: each feature scaled by how much more often it occurs with the theme
                # than without; folded back into the weights, so the saved model stays linear.
                ratio = _log_count_ratio(x, target)
                clf.fit(x @ sparse.diags(ratio), target)
                coef[j], intercept[j] = clf.coef_[0] * ratio, clf.intercept_[0]
                if s.plain_blend:
                    # The mean of its scores and a plain LR's: more accurate than either alone
                    # (cross-validated), and still one linear model.
                    plain = clone(clf).fit(x, target)
                    b = s.plain_blend
                    coef[j] = (1 - b) * coef[j] + b * plain.coef_[0]
                    intercept[j] = (1 - b) * intercept[j] + b * plain.intercept_[0]
            else:
                clf.fit(x, target)
                coef[j], intercept[j] = clf.coef_[0], clf.intercept_[0]
        model.detector = Linear(coef, intercept)
        model._anchors = None

        pairs = self.pairs(rows)
        triples = [(self.parsed[i], slug, self._anchors(model, i, slug)) for i, slug, _ in pairs]
        # Some comments come without a score: hide it for a share of the training comments,
        # so the model also learns to judge from the words alone.
        hidden = np.random.default_rng(s.seed).random(len(self.examples)) < s.score_dropout
        scores = [None if hidden[i] else self.examples[i].score for i, _, _ in pairs]
        texts = [
            pair_words(p, pair_features(p, a, sc, slug)[1])
            for (p, slug, a), sc in zip(triples, scores, strict=True)
        ]
        model.sentiment_words = TfIdf.fit(texts, s.min_df, s.max_terms)
        model.sentiment_classes = sorted({pol for _, _, pol in pairs})
        pair_rows = np.array([i for i, _, _ in pairs])
        xs = model.sentiment_features(triples, scores, _rows(self.vectors, pair_rows))
        labels = np.array([pol for _, _, pol in pairs])
        if len(model.sentiment_classes) < 2:
            only = model.sentiment_classes or ["neutral"]
            model.sentiment_classes = [only[0], "_"]
            model.sentiment = Linear(np.zeros((1, xs.shape[1])), np.array([-10.0]))
            return model
        clf = LogisticRegression(C=s.sentiment_c, max_iter=2000)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(xs, labels)
        model.sentiment_classes = [str(c) for c in clf.classes_]
        model.sentiment = Linear(clf.coef_.astype(np.float32), clf.intercept_.astype(np.float32))
        return model

    def _anchors(self, model: ThemeModel, row: int, slug: str) -> list[int]:
        parsed = self.parsed[row]
        hits = [h for h in parsed.hits if self.taxonomy.themes[h.theme].slug == slug]
        if hits:
            return [i for h in hits for i in range(h.first, h.last)]
        weights = model.anchors().get(slug) or {}
        return [i for i, lemma in enumerate(parsed.lemmas) if lemma in weights]

    def predict_pairs(self, model: ThemeModel, rows: np.ndarray) -> dict[tuple[int, str], str]:
        pairs = self.pairs(rows)
        triples = [(self.parsed[i], slug, self._anchors(model, i, slug)) for i, slug, _ in pairs]
        scores = [self.examples[i].score for i, _, _ in pairs]
        pair_rows = np.array([i for i, _, _ in pairs], dtype=int)
        labels = model.predict_sentiment(triples, scores, _rows(self.vectors, pair_rows))
        return {(i, slug): lab for (i, slug, _), (lab, _) in zip(pairs, labels, strict=True)}


def _log_count_ratio(x: Any, target: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    with_theme = alpha + np.asarray(abs(x[target]).sum(axis=0)).ravel()
    without = alpha + np.asarray(abs(x[~target]).sum(axis=0)).ravel()
    return np.log((with_theme / with_theme.sum()) / (without / without.sum())).astype(np.float32)


def _rows(vectors: np.ndarray | None, rows: Any) -> np.ndarray | None:
    return None if vectors is None else vectors[np.asarray(rows, dtype=int)]


def _platt(probs: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """Slope and offset mapping a detector's score to a calibrated one (identity when the
    theme is always or never there)."""
    if truth.all() or not truth.any():
        return 1.0, 0.0
    scores = _logit(probs).reshape(-1, 1)
    fit = LogisticRegression(C=100.0, max_iter=1000).fit(scores, truth)
    slope = float(fit.coef_[0, 0])
    # A slope at or below zero would turn the decisions round: keep the scores as they are.
    return (slope, float(fit.intercept_[0])) if slope > 0 else (1.0, 0.0)


def _logit(probs: np.ndarray) -> np.ndarray:
    clipped = np.clip(probs, 1e-6, 1 - 1e-6)
    return np.log(clipped / (1 - clipped))


def _calibrated(probs: np.ndarray, platt: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(_logit(probs) * platt[None, :, 0] + platt[None, :, 1])))


def _best_threshold(
    probs: np.ndarray, truth: np.ndarray, weights: Sequence[float] = (1.0, 1.0)
) -> float:
    """The probability cut-off with the best F1 on out-of-fold predictions, the comments with
    the theme and those without weighed by `weights`."""
    if not truth.any():
        return 0.99
    w_in, w_out = float(weights[0]), float(weights[1])
    best, best_f1 = 0.5, -1.0
    for t in np.arange(0.05, 0.951, 0.025):
        pred = probs >= t
        tp = w_in * float((pred & truth).sum())
        fp = w_out * float((pred & ~truth).sum())
        fn = w_in * float((~pred & truth).sum())
        f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
        if f1 > best_f1 + 1e-9:
            best, best_f1 = float(t), f1
    return round(best, 3)


def _prf(tp: float, fp: float, fn: float) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return round(p, 4), round(r, 4), round(f, 4)


def _report(examples, themes, y, decided, pair_pred, thresholds, folds, skipped) -> TrainReport:
    per_theme = {}
    for j, slug in enumerate(themes):
        tp = float((decided[:, j] & y[:, j]).sum())
        fp = float((decided[:, j] & ~y[:, j]).sum())
        fn = float((~decided[:, j] & y[:, j]).sum())
        p, r, f = _prf(tp, fp, fn)
        per_theme[slug] = {
            "precision": p,
            "recall": r,
            "f1": f,
            "support": int(y[:, j].sum()),
            "threshold": float(thresholds[j]),
        }
    tp = float((decided & y).sum())
    p, r, f = _prf(tp, float((decided & ~y).sum()), float((~decided & y).sum()))
    gold = {
        (i, slug): pol
        for i, e in enumerate(examples)
        for slug, pol in (e.themes.items() if e.themes else [(OTHER, e.sentiment)])
        if pol in POLARITIES
    }
    correct = sum(pair_pred.get(key) == pol for key, pol in gold.items())
    return TrainReport(
        precision=p,
        recall=r,
        f1=f,
        sentiment_accuracy=round(correct / len(gold), 4) if gold else 0.0,
        n_labels=sum(len(e.themes) for e in examples),
        n_examples=len(examples),
        per_theme=per_theme,
        folds=folds,
        skipped_themes=skipped,
    )


def _baseline(analyzer: Analyzer, examples, parsed, themes, y) -> dict[str, float]:
    """What the taxonomy alone scores on the same examples: the bar a model must clear."""
    slugs = analyzer.taxonomy.slugs
    decided = np.zeros_like(y)
    for i, p in enumerate(parsed):
        found = {slugs[h.theme] for h in p.hits}
        decided[i] = [slug in found for slug in themes]
    tp = float((decided & y).sum())
    prec, rec, f1 = _prf(tp, float((decided & ~y).sum()), float((~decided & y).sum()))
    correct = total = 0
    for i, e in enumerate(examples):
        for slug, pol in e.themes.items():
            anchors = [
                k for h in parsed[i].hits if slugs[h.theme] == slug for k in range(h.first, h.last)
            ]
            correct += rule_sentiment(parsed[i], anchors, e.score)[0] == pol
            total += 1
    accuracy = round(correct / total, 4) if total else 0.0
    return {"precision": prec, "recall": rec, "f1": f1, "sentiment_accuracy": accuracy}


def _content_version(model: ThemeModel) -> str:
    digest = hashlib.sha256()
    for array in (model.detector.coef, model.detector.intercept, model.sentiment.coef):
        digest.update(np.ascontiguousarray(array, dtype=np.float32).tobytes())
    return f"lr-{digest.hexdigest()[:12]}"


__all__ = [
    "LabeledExample",
    "NotEnoughLabels",
    "Settings",
    "TrainReport",
    "examples_from_records",
    "normalise_score",
    "should_promote",
    "train",
]

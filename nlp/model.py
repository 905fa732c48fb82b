"""The learned models (theme detector and theme sentiment) as plain arrays and JSON."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from nlp.errors import ModelError
from nlp.features import (
    Parsed,
    TfIdf,
    cached_ngrams,
    detector_terms,
    hit_flags,
    negation_marked,
    ngrams,
)
from nlp.sentiment import CONTRAST, lexicon
from nlp.taxonomy import Taxonomy

FORMAT = "feedback-nlp-model/1"
ARRAYS = "arrays.npz"
META = "model.json"

# How many words either side of a theme's anchor words the sentiment model reads.
WINDOW = 5
# Unigrams whose detector weight is at least this mark where a theme is spoken of in a comment.
ANCHOR_WEIGHT = 0.8
N_DENSE = 18


@dataclass
class Linear:
    """A linear model: scores = X @ coef.T + intercept."""

    coef: np.ndarray
    intercept: np.ndarray

    def decision(self, x: sparse.spmatrix) -> np.ndarray:
        return np.asarray(x @ self.coef.T) + self.intercept[None, :]


@dataclass
class ThemeModel:
    """A trained theme detector and theme-sentiment classifier, with what they were trained on."""

    version: str
    taxonomy: Taxonomy
    themes: list[str]
    thresholds: np.ndarray
    always_one: bool
    words: TfIdf
    chars: TfIdf | None
    detector: Linear
    sentiment_themes: list[str]
    sentiment_classes: list[str]
    sentiment_words: TfIdf
    sentiment: Linear
    config: dict[str, Any] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._anchors: dict[str, dict[str, float]] | None = None

    # -- theme detection ------------------------------------------------------------------

    def detector_features(
        self, docs: Sequence[Parsed], vectors: np.ndarray | None, with_vectors: bool = True
    ) -> Any:
        blocks = [self.words.transform([detector_terms(p) for p in docs])]
        if self.chars is not None:
            chars = self.chars.transform_chars([p.text for p in docs])
            blocks.append(chars * float(self.config.get("char_weight", 1.0)))
        flags = hit_flags(docs, len(self.taxonomy.themes)) * float(
            self.config.get("flag_weight", 1.0)
        )
        blocks.append(sparse.csr_matrix(flags))
        if with_vectors:
            blocks.extend(self._vector_block(vectors, len(docs)))
        return sparse.hstack(blocks, format="csr")

    def detect(self, docs: Sequence[Parsed], vectors: np.ndarray | None = None) -> np.ndarray:
        """Probability of each learned theme (columns in self.themes order) per comment."""
        if not docs:
            return np.zeros((0, len(self.themes)), dtype=np.float32)
        x = self.detector_features(docs, vectors, with_vectors=False)
        scores = self._decision(self.detector, x, vectors, len(docs), None)
        platt = self.config.get("platt")
        if platt:
            # Calibrated at training (see nlp.learn): a probability says how often it is right.
            slope_offset = np.asarray(platt, dtype=np.float32)
            scores = scores * slope_offset[None, :, 0] + slope_offset[None, :, 1]
        return 1.0 / (1.0 + np.exp(-scores))

    def _decision(
        self, linear: Linear, x: Any, vectors: np.ndarray | None, n: int, weight: Any
    ) -> np.ndarray:
        """linear's scores on x plus the embedding block, the latter as a dense product."""
        dim = int(self.config.get("embedding_dim", 0))
        if not dim:
            return linear.decision(x)
        block = self._vector_block(vectors, n, weight, dense=True)[0]
        coef = linear.coef
        return (
            np.asarray(x @ coef[:, :-dim].T) + block @ coef[:, -dim:].T + linear.intercept[None, :]
        )

    def decide(self, probs: np.ndarray) -> np.ndarray:
        """Boolean decisions from probabilities, with the per-theme thresholds."""
        chosen = probs >= self.thresholds[None, :]
        if self.always_one and probs.shape[1]:
            empty = ~chosen.any(axis=1)
            best = np.argmax(probs / np.maximum(self.thresholds[None, :], 1e-6), axis=1)
            chosen[np.flatnonzero(empty), best[empty]] = True
        return chosen

    def anchors(self) -> dict[str, dict[str, float]]:
        """Per learned theme, the words that most signal it: where the theme is in a comment."""
        if self._anchors is None:
            unigram = [i for i, term in enumerate(self.words.terms) if " " not in term]
            terms = [self.words.terms[i] for i in unigram]
            coef = self.detector.coef[:, unigram]
            self._anchors = {}
            for row, slug in enumerate(self.themes):
                weights = coef[row]
                top = np.argsort(-weights)[:300]
                self._anchors[slug] = {
                    terms[i]: float(weights[i]) for i in top if weights[i] >= ANCHOR_WEIGHT
                }
        return self._anchors

    # -- theme sentiment ------------------------------------------------------------------

    def sentiment_features(
        self,
        pairs: Sequence[tuple[Parsed, str, list[int]]],
        scores: Sequence[float | None],
        vectors: np.ndarray | None,
        with_vectors: bool = True,
    ) -> Any:
        """Features of (comment, theme, anchor token positions) pairs."""
        n, k = len(pairs), len(self.sentiment_themes)
        onehot = np.zeros((n, k), dtype=np.float32)
        cross = np.zeros((n, k), dtype=np.float32)
        rows: list[list[float]] = []
        windows = []
        index = {slug: i for i, slug in enumerate(self.sentiment_themes)}
        # A comment's own words are counted once, however many of its themes are scored.
        docs: dict[int, int] = {}
        comments: list[list[str]] = []
        doc_of = np.zeros(n, dtype=np.int64)
        for row, ((parsed, slug, anchors), score) in enumerate(zip(pairs, scores, strict=True)):
            values, near = pair_features(parsed, anchors, score, slug)
            rows.append(values)
            windows.append(near)
            if id(parsed) not in docs:
                docs[id(parsed)] = len(comments)
                comments.append(_comment_features(parsed).words)
            doc_of[row] = docs[id(parsed)]
            col = index.get(slug)
            if col is not None:
                onehot[row, col] = 1.0
                cross[row, col] = values[9]
        # Block weights trade the theme's prior (most performance comments are complaints)
        # against what the comment says about the theme (VADER, the valence near it).
        dense = np.array(rows, dtype=np.float32).reshape(n, N_DENSE)
        theme_weight = float(self.config.get("theme_weight", 1.0))
        dense_weight = float(self.config.get("dense_weight", 1.0))
        blocks = [
            sparse.csr_matrix(onehot * theme_weight),
            sparse.csr_matrix(cross * dense_weight),
            sparse.csr_matrix(dense * dense_weight),
            self.sentiment_words.weigh(
                self.sentiment_words.counts(comments)[doc_of] + self.sentiment_words.counts(windows)
            ),
        ]

        if with_vectors:
            weight = self.config.get("sentiment_embedding_weight")
            blocks.extend(self._vector_block(vectors, n, weight))
        return sparse.hstack(blocks, format="csr")

    def predict_sentiment(
        self,
        pairs: Sequence[tuple[Parsed, str, list[int]]],
        scores: Sequence[float | None],
        vectors: np.ndarray | None = None,
    ) -> list[tuple[str, float]]:
        """The polarity and its probability for each (comment, theme, anchors) pair."""
        if not pairs:
            return []
        x = self.sentiment_features(pairs, scores, vectors, with_vectors=False)
        weight = self.config.get("sentiment_embedding_weight")
        logits = self._decision(self.sentiment, x, vectors, len(pairs), weight)
        if logits.shape[1] == 1:  # two classes: sklearn keeps one column
            logits = np.hstack([np.zeros_like(logits), logits])
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True)
        best = probs.argmax(axis=1)
        return [(self.sentiment_classes[b], float(probs[i, b])) for i, b in enumerate(best)]

    def _vector_block(
        self, vectors: np.ndarray | None, n: int, weight: float | None = None, dense: bool = False
    ) -> list[Any]:
        dim = int(self.config.get("embedding_dim", 0))
        if not dim:
            return []
        if vectors is None or vectors.shape != (n, dim):
            raise ModelError(f"model {self.version} needs its {dim}-dimension embeddings")
        if weight is None:
            weight = self.config.get("embedding_weight", 1.0)
        scaled = vectors * np.float32(weight)
        return [scaled if dense else sparse.csr_matrix(scaled)]

    # -- storage --------------------------------------------------------------------------

    def save(self, folder: str | Path) -> None:
        """Write arrays.npz and model.json (with the arrays' sha256) into folder."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        arrays = {
            "thresholds": self.thresholds.astype(np.float32),
            "words_idf": self.words.idf,
            "detector_coef": self.detector.coef.astype(np.float32),
            "detector_intercept": self.detector.intercept.astype(np.float32),
            "sentiment_idf": self.sentiment_words.idf,
            "sentiment_coef": self.sentiment.coef.astype(np.float32),
            "sentiment_intercept": self.sentiment.intercept.astype(np.float32),
        }
        if self.chars is not None:
            arrays["chars_idf"] = self.chars.idf

        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)
        data = buffer.getvalue()
        meta = {
            "format": FORMAT,
            "version": self.version,
            "arrays_sha256": hashlib.sha256(data).hexdigest(),
            "taxonomy": self.taxonomy.to_dict(),
            "themes": self.themes,
            "always_one": self.always_one,
            "words": self.words.terms,
            "chars": self.chars.terms if self.chars is not None else None,
            "sentiment_themes": self.sentiment_themes,
            "sentiment_classes": self.sentiment_classes,
            "sentiment_words": self.sentiment_words.terms,
            "config": self.config,
            "report": self.report,
        }
        (folder / ARRAYS).write_bytes(data)
        (folder / META).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")


def load_model(path: str | Path | None = None) -> ThemeModel:
    """Load a saved model; None loads the default one shipped in nlp/data/model.

    Raises ModelError when the folder is missing, truncated, corrupt or inconsistent, so that
    the caller can keep the model it already has.
    """
    if path is None:
        folder = Path(str(resources.files("nlp").joinpath("data/model")))
    else:
        folder = Path(path)
    try:
        meta = json.loads((folder / META).read_text(encoding="utf-8"))
        data = (folder / ARRAYS).read_bytes()
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read the model in {folder}: {exc}") from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelError(f"{folder / META} is not a {FORMAT} model")
    if hashlib.sha256(data).hexdigest() != meta.get("arrays_sha256"):
        raise ModelError(f"{folder / ARRAYS} does not match its model.json (changed or truncated)")
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
        return _build(meta, arrays)
    except (ValueError, KeyError, TypeError, OSError, zipfile.BadZipFile) as exc:
        raise ModelError(f"the model in {folder} is inconsistent: {exc}") from exc


def _build(meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> ThemeModel:
    words = TfIdf(meta["words"], arrays["words_idf"])
    chars = TfIdf(meta["chars"], arrays["chars_idf"]) if meta.get("chars") is not None else None
    sentiment_words = TfIdf(meta["sentiment_words"], arrays["sentiment_idf"])

    taxonomy = Taxonomy.from_dict(meta["taxonomy"])
    config = dict(meta.get("config") or {})
    themes = [str(s) for s in meta["themes"]]
    n_det = (
        len(words.terms)
        + (len(chars.terms) if chars else 0)
        + len(taxonomy.themes)
        + int(config.get("embedding_dim", 0))
    )
    detector = Linear(arrays["detector_coef"], arrays["detector_intercept"])
    if detector.coef.shape != (len(themes), n_det) or detector.intercept.shape != (len(themes),):
        raise ValueError("detector weights do not fit the vocabulary")
    if arrays["thresholds"].shape != (len(themes),):
        raise ValueError("one threshold per theme is needed")
    classes = [str(c) for c in meta["sentiment_classes"]]
    s_themes = [str(s) for s in meta["sentiment_themes"]]
    n_sent = 2 * len(s_themes) + N_DENSE + len(sentiment_words.terms)

    n_sent += int(config.get("embedding_dim", 0))
    sentiment = Linear(arrays["sentiment_coef"], arrays["sentiment_intercept"])
    rows = 1 if len(classes) == 2 else len(classes)
    if sentiment.coef.shape != (rows, n_sent):
        raise ValueError("sentiment weights do not fit the vocabulary")
    return ThemeModel(
        version=str(meta["version"]),
        taxonomy=taxonomy,
        themes=themes,
        thresholds=arrays["thresholds"],
        always_one=bool(meta.get("always_one")),
        words=words,
        chars=chars,
        detector=detector,
        sentiment_themes=s_themes,
        sentiment_classes=classes,
        sentiment_words=sentiment_words,
        sentiment=sentiment,
        config=config,
        report=dict(meta.get("report") or {}),
    )


def pair_features(
    parsed: Parsed, anchors: Sequence[int], score: float | None, slug: str = ""
) -> tuple[list[float], list[str]]:
    """Dense features and the words near the theme in one (comment, theme) pair.

    Anchors are the token positions of the theme; the comment's own words are in
    pair_words().

    Where the theme is spoken of matters most: the VADER scores of the sentences holding its
    anchor words, the lexicon valence of the words near them (a negator before flips it), and
    which side of a "but" the theme stands on.
    """
    shared = _comment_features(parsed)  # the same for every theme of the comment
    dense = [0.0] * N_DENSE  # plain floats: cheaper to fill than a numpy row
    dense[0:6] = shared.dense[0:6]
    dense[17] = shared.dense[6]
    marked = shared.marked
    words: list[str] = []
    anchors = sorted(set(anchors))
    if anchors and parsed.sentences:
        sent_scores = parsed.sentence_scores
        chosen = {shared.sentence_of[a] for a in anchors}
        for i in range(4):
            dense[6 + i] = sum(sent_scores[s][i] for s in chosen) / len(chosen)
        window: set[int] = set()
        for a in anchors:
            s = shared.sentence_of[a]
            first, last = parsed.sentences[s]
            window.update(range(max(first, a - WINDOW), min(last, a + WINDOW + 1)))
            turns = shared.contrasts[s]
            if turns:
                if turns[0] < a:
                    dense[14] = 1.0
                if turns[-1] > a:
                    dense[15] = 1.0
        ordered = sorted(window)
        values = _valence(parsed, marked, ordered)
        dense[10] = min(sum(v for v in values if v > 0) / 4, 2.0)
        dense[11] = min(-sum(v for v in values if v < 0) / 4, 2.0)
        dense[16] = 1.0
        is_word = parsed.words
        near = [marked[j] for j in ordered if is_word[j]]
        words.extend(["w:" + w for w in near])
        # The same word can praise one theme and fault another ("cheap" price, "cheap" decor).
        prefix = slug + ":"
        words.extend([prefix + w for w in near])
    else:
        dense[6:10] = dense[0:4]
    if score is None:
        dense[13] = 1.0
    else:
        dense[12] = float(score) - 0.5
    return dense, words


def pair_words(parsed: Parsed, near: Sequence[str]) -> list[str]:
    """All the words the sentiment model reads for a pair: the comment's and those near it."""
    return [*_comment_features(parsed).words, *near]


@dataclass
class _Shared:
    dense: list[float]  # comment-level VADER means, min and max compound, mixed flag
    marked: list[str]
    words: list[str]
    sentence_of: list[int]  # token -> sentence
    contrasts: list[list[int]]  # per sentence, the positions of contrast words


def _comment_features(parsed: Parsed) -> _Shared:
    cached = parsed.cache.get("pair")
    if cached is not None:
        return cached
    sent_scores = parsed.sentence_scores or [(0.0, 1.0, 0.0, 0.0)]
    compounds = [s[3] for s in sent_scores]
    n = len(sent_scores)
    dense = [sum(s[i] for s in sent_scores) / n for i in range(4)]
    dense += [min(compounds), max(compounds)]
    dense.append(float(max(compounds) >= 0.3 and min(compounds) <= -0.3))
    marked = negation_marked(parsed)
    sentence_of = [max(0, len(parsed.sentences) - 1)] * len(parsed.lemmas)
    for s, (first, last) in enumerate(parsed.sentences):
        sentence_of[first:last] = [s] * (last - first)
    contrasts: list[list[int]] = [[] for _ in parsed.sentences]
    if not CONTRAST.isdisjoint(parsed.lemmas):
        for j, lemma in enumerate(parsed.lemmas):
            if lemma in CONTRAST and contrasts:
                contrasts[sentence_of[j]].append(j)
    # Without a negator the marked lemmas are the lemmas: reuse the detector's n-grams.
    words = cached_ngrams(parsed) if marked == parsed.lemmas else ngrams(parsed, marked)
    shared = _Shared(dense, marked, words, sentence_of, contrasts)
    parsed.cache["pair"] = shared
    return shared


def _valence(parsed: Parsed, marked: Sequence[str], window: Sequence[int]) -> list[float]:
    """VADER's valence of the words in window, turned by a negator before them."""
    lex = lexicon()
    lemmas, lowers = parsed.lemmas, parsed.lowers
    out = []
    for j in window:
        lemma, lower = lemmas[j], lowers[j]
        value = lex.get(lemma) or (lower != lemma and lex.get(lower)) or 0.0
        if value and marked[j].startswith("NOT_"):
            value = -0.74 * value  # VADER's own damping of a negated word
        out.append(value)
    return out

"""The analysis the application calls: themes, sentiment and language of a batch of comments."""

from __future__ import annotations

import gc
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from spacy.language import Language
from threadpoolctl import ThreadpoolController

from nlp.embeddings import MEAN, Embeddings, load_embeddings, shipped_embeddings
from nlp.errors import ModelError
from nlp.features import Parsed, parse
from nlp.language import UNDETERMINED, detect_language, is_english
from nlp.model import ThemeModel
from nlp.pipeline import (
    MAX_CHARS,
    cap,
    get_pipeline,
    lemmatizer_for,
    reading,
)
from nlp.sentiment import (
    CONTRAST,
    MIXED,
    MIXED_THRESHOLD,
    NEGATIVE,
    NEUTRAL,
    POSITIVE,
    combine,
    label,
    overall,
    score,
)
from nlp.taxonomy import OTHER, Hit, Matcher, Span, Taxonomy, default_taxonomy

TAXONOMY_VERSION = "taxonomy"
# A learned theme below its threshold but at least this likely is offered as uncertain.
UNCERTAIN_FROM = 0.3
_BLAS = ThreadpoolController()


@dataclass(frozen=True)
class ThemeMention:
    """A theme found in a comment, its sentiment there, and the words that show it."""

    slug: str
    sentiment: str
    confidence: float
    evidence: list[Span] = field(default_factory=list)
    source: str = TAXONOMY_VERSION  # "taxonomy" (seed phrases) or "model" (learned detector)


@dataclass(frozen=True)
class Analysis:
    """The analysis of one comment; offsets in evidence refer to the comment as given."""

    text_language: str
    is_english: bool
    sentiment: str
    compound: float
    themes: list[ThemeMention]
    model_version: str
    truncated: bool = False
    # Themes the model leans towards without reaching their threshold: offered to an analyst
    # to confirm, never counted in the figures.
    uncertain: list[str] = field(default_factory=list)


class Analyzer:
    """Tags comments with themes and sentiment: the taxonomy alone, or a learned model with it.

    Themes the model learned, unchanged in the taxonomy since, are decided by the model; themes
    added or edited since (new slug, other phrases or exclusions) are decided by the taxonomy.

    A model trained with static embeddings needs the same ones: embeddings_path names their
    folder; without it, the embeddings shipped in nlp/data/embeddings are used.
    """

    def __init__(
        self,
        taxonomy: Taxonomy | None = None,
        model: ThemeModel | None = None,
        embeddings_path: str | Path | None = None,
        *,
        spacy_model: str = "auto",
        max_chars: int = MAX_CHARS,
        batch_size: int = 256,
    ) -> None:
        self.taxonomy = taxonomy if taxonomy is not None else default_taxonomy()
        self.model = model
        self.max_chars = max_chars
        self.batch_size = batch_size
        self.nlp: Language = get_pipeline(spacy_model)
        self.lemma = lemmatizer_for(self.nlp)
        self.table, self._enders, self._skip = reading(self.nlp)
        self.matcher = Matcher(self.taxonomy, self.nlp, self.lemma)
        self.embeddings: Embeddings | None = None
        if embeddings_path is not None:
            self.embeddings = load_embeddings(embeddings_path)
        self.learned: list[str] = []
        self._model_matcher: Matcher | None = None
        if model is not None:
            self._bind(model)

    def _bind(self, model: ThemeModel) -> None:
        dim = int(model.config.get("embedding_dim", 0))
        if dim:
            if self.embeddings is None:
                # Without a folder named, a model trained on the shipped embeddings uses them.
                self.embeddings = shipped_embeddings()
            if self.embeddings is None:
                raise ModelError(f"model {model.version} was trained with embeddings: pass them")
            if self.embeddings.fingerprint != model.config.get("embedding_fingerprint"):
                raise ModelError(f"model {model.version} was trained with other embeddings")
        self.learned = [
            slug
            for slug in self.taxonomy.slugs
            if slug in model.themes and _same(self.taxonomy, model.taxonomy, slug)
        ]
        if model.taxonomy != self.taxonomy:
            self._model_matcher = Matcher(model.taxonomy, self.nlp, self.lemma)

    @property
    def version(self) -> str:
        return self.model.version if self.model is not None else TAXONOMY_VERSION

    # -- parsing --------------------------------------------------------------------------

    def parse(self, texts: Sequence[str]) -> list[Parsed]:
        """Run texts (already capped) through the pipeline and the matchers, in batches."""
        docs = self.nlp.pipe(texts, batch_size=self.batch_size, disable=self._skip)
        parsed = [
            parse(doc, self.lemma, self.table, text, enders=self._enders)
            for doc, text in zip(docs, texts, strict=True)
        ]
        for p in parsed:
            p.hits = self.matcher.find(p.lemmas, p.starts, p.ends, p.text)
            if self._model_matcher is not None:
                p.model_hits = self._model_matcher.find(p.lemmas, p.starts, p.ends, p.text)
            else:
                p.model_hits = p.hits
        return parsed

    def vectors(self, parsed: Sequence[Parsed]) -> np.ndarray | None:
        if self.embeddings is None or self.model is None:
            return None
        if not self.model.config.get("embedding_dim"):
            return None
        # Kept on each parsed comment: the detector and the sentiment model both read them.
        pooling = self.model.config.get("embedding_pooling", MEAN)
        todo = [p for p in parsed if "vector" not in p.cache]
        if todo:
            found = self.embeddings.embed([p.text for p in todo], pooling)
            for p, vector in zip(todo, found, strict=True):
                p.cache["vector"] = vector
        return np.array([p.cache["vector"] for p in parsed], dtype=np.float32).reshape(
            len(parsed), self.embeddings.width(pooling)
        )

    # -- analysis -------------------------------------------------------------------------

    def analyse(self, text: str, score: float | None = None) -> Analysis:
        """Analyse one comment (a batch of one: prefer analyse_batch for many)."""
        return self.analyse_batch([text], None if score is None else [score])[0]

    def analyse_batch(
        self, texts: Sequence[str], scores: Sequence[float | None] | None = None
    ) -> list[Analysis]:
        """Analyse comments together; scores are the responses' scores scaled to 0-1, if known."""
        if scores is not None and len(scores) != len(texts):
            raise ValueError("scores must have one entry per text")
        # A batch allocates many short-lived objects and no reference cycles; the cyclic
        # collector would only walk them over and over (about a fifth of the time).
        collecting = gc.isenabled()
        gc.disable()
        try:
            # The products are small: BLAS threads only wait on each other, and on a busy
            # machine they halve the throughput.
            with _BLAS.limit(limits=1, user_api="blas"):
                return self._analyse_batch(texts, scores)
        finally:
            if collecting:
                gc.enable()

    def _analyse_batch(
        self, texts: Sequence[str], scores: Sequence[float | None] | None
    ) -> list[Analysis]:
        results: list[Analysis | None] = [None] * len(texts)
        todo: list[int] = []
        capped: list[str] = []
        languages: list[str] = []
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(f"texts[{i}] is {type(text).__name__}, not str")
            head = cap(text, self.max_chars)
            language = detect_language(head) if head.strip() else UNDETERMINED
            if not head.strip() or not is_english(language):
                # Nothing to read, or a language the English analysis would only guess at.
                results[i] = Analysis(language, False, NEUTRAL, 0.0, [], self.version)
                continue
            todo.append(i)
            capped.append(head)
            languages.append(language)
        parsed = self.parse(capped)
        todo_scores = [_score(scores, i) for i in todo]
        mentions, uncertain = self._themes(parsed, todo_scores)
        for i, p, found, maybe, language in zip(
            todo, parsed, mentions, uncertain, languages, strict=True
        ):
            comment, comment_label = combine(p.sentence_scores)
            sentiment = overall((m.sentiment for m in found), comment_label)
            results[i] = Analysis(
                text_language=language,
                is_english=True,
                sentiment=sentiment,
                compound=round(float(comment[3]), 4),
                themes=found,
                model_version=self.version,
                truncated=len(p.text) < len(texts[i]),
                uncertain=maybe,
            )
        return [r for r in results if r is not None]

    def theme_sentiments(
        self,
        texts: Sequence[str],
        themes: Sequence[Sequence[str]],
        scores: Sequence[float | None] | None = None,
    ) -> list[dict[str, str]]:
        """The sentiment of given themes in given comments (e.g. themes an analyst tagged)."""
        capped = [cap(t, self.max_chars) for t in texts]
        parsed = self.parse(capped)
        pairs = [(p, slug) for p, slugs in zip(parsed, themes, strict=True) for slug in slugs]
        pair_scores = [_score(scores, i) for i, slugs in enumerate(themes) for _ in slugs]
        labels = self._pair_sentiments(parsed, pairs, pair_scores)
        out: list[dict[str, str]] = [{} for _ in texts]
        k = 0
        for i, slugs in enumerate(themes):
            for slug in slugs:
                out[i][slug] = labels[k][0]
                k += 1
        return out

    # -- themes ---------------------------------------------------------------------------

    def _themes(
        self, parsed: Sequence[Parsed], scores: Sequence[float | None]
    ) -> tuple[list[list[ThemeMention]], list[list[str]]]:
        """The themes of each comment, and the learned themes it is uncertain about."""
        chosen: list[list[tuple[str, float, str]]] = [[] for _ in parsed]
        uncertain: list[list[str]] = [[] for _ in parsed]
        model = self.model
        # Probabilities and thresholds of the learned themes still in the taxonomy.
        sub = np.zeros((len(parsed), 0))
        thresholds = np.zeros(0)
        if model is not None and self.learned and parsed:
            probs = model.detect(parsed, self.vectors(parsed))
            columns = [model.themes.index(slug) for slug in self.learned]
            sub = probs[:, columns]
            thresholds = model.thresholds[columns]
            # Only a calibrated model's probabilities say how likely a theme is.
            floor = UNCERTAIN_FROM if model.config.get("platt") else 1.0
            for row in range(len(parsed)):
                for c, slug in enumerate(self.learned):
                    if sub[row, c] >= thresholds[c]:
                        chosen[row].append((slug, float(sub[row, c]), "model"))
                    elif sub[row, c] >= floor:
                        uncertain[row].append(slug)
        by_theme = [self.matcher.themes_in(p.hits) for p in parsed]
        learned = set(self.learned)
        for row, grouped in enumerate(by_theme):
            for t, hits in grouped.items():
                slug = self.taxonomy.themes[t].slug
                if slug in learned or slug == OTHER:
                    continue
                distinct = len({h.span.text.lower() for h in hits})
                chosen[row].append((slug, 0.6 if distinct == 1 else 0.8, TAXONOMY_VERSION))
        if model is not None and model.always_one and sub.shape[1]:
            for row in range(len(parsed)):
                if not chosen[row]:
                    c = int(np.argmax(sub[row] / np.maximum(thresholds, 1e-6)))
                    chosen[row].append((self.learned[c], float(sub[row, c]), "model"))
                    if self.learned[c] in uncertain[row]:
                        uncertain[row].remove(self.learned[c])
        # One pass of sentiment over every (comment, theme) pair of the batch.
        pairs, pair_scores = [], []
        for row, p in enumerate(parsed):
            if not chosen[row]:
                best = float(sub[row].max()) if sub.shape[1] else 0.0
                chosen[row].append((OTHER, round(1.0 - best, 4) if best else 0.5, "taxonomy"))
            for slug, _, _ in chosen[row]:
                pairs.append((p, slug))
                pair_scores.append(scores[row])
        labels = self._pair_sentiments(parsed, pairs, pair_scores)
        out: list[list[ThemeMention]] = []
        k = 0
        for row, p in enumerate(parsed):
            mentions = []
            for slug, confidence, source in chosen[row]:
                evidence = self._evidence(p, slug)
                mentions.append(
                    ThemeMention(slug, labels[k][0], round(confidence, 4), evidence, source)
                )
                k += 1
            out.append(mentions)
        return out, uncertain

    def _hit_tokens(self, parsed: Parsed, slug: str) -> list[Hit]:
        return [h for h in parsed.hits if self.taxonomy.themes[h.theme].slug == slug]

    def _anchors(self, parsed: Parsed, slug: str) -> list[int]:
        """Token positions where the theme is spoken of: its phrases, else its learned words."""
        hits = self._hit_tokens(parsed, slug)
        if hits:
            return [i for h in hits for i in range(h.first, h.last)]
        if self.model is not None:
            weights = self.model.anchors().get(slug)
            if weights:
                return [i for i, lemma in enumerate(parsed.lemmas) if lemma in weights]
        return []

    def _evidence(self, parsed: Parsed, slug: str) -> list[Span]:
        hits = self._hit_tokens(parsed, slug)
        if hits:
            return [h.span for h in hits]
        if self.model is None or slug == OTHER:
            return []
        weights = self.model.anchors().get(slug) or {}
        found = [(weights[lemma], i) for i, lemma in enumerate(parsed.lemmas) if lemma in weights]
        found.sort(key=lambda item: -item[0])
        spans = []
        for _, i in sorted(found[:3], key=lambda item: item[1]):
            a, b = parsed.starts[i], parsed.ends[i]
            spans.append(Span(a, b, parsed.text[a:b]))
        return spans

    def _pair_sentiments(
        self,
        parsed: Sequence[Parsed],
        pairs: Sequence[tuple[Parsed, str]],
        scores: Sequence[float | None],
    ) -> list[tuple[str, float]]:
        anchored = [(p, slug, self._anchors(p, slug)) for p, slug in pairs]
        if self.model is not None:
            vectors = None
            if self.model.config.get("embedding_dim"):
                by_id = {id(p): i for i, p in enumerate(parsed)}
                all_vectors = self.vectors(parsed)
                assert all_vectors is not None
                vectors = all_vectors[[by_id[id(p)] for p, _ in pairs]]
            return self.model.predict_sentiment(anchored, scores, vectors)
        return [
            rule_sentiment(p, anchors, score)
            for (p, _, anchors), score in zip(anchored, scores, strict=True)
        ]


def rule_sentiment(
    parsed: Parsed, anchors: Sequence[int], score: float | None = None
) -> tuple[str, float]:
    """Sentiment of a theme without a model: VADER on the sentences (or clauses) holding it.

    When a sentence names the theme and turns at a contrast word ("fast, but the support is
    useless"), only the clause holding the theme counts. Where VADER finds no opinion, a known
    score decides: factual complaints ("export drops the custom fields") carry no emotive words.
    """
    found, confidence = _rule_label(parsed, anchors)
    if found == NEUTRAL and score is not None:
        if score >= 0.85:
            return POSITIVE, 0.55
        if score <= 0.6:
            return NEGATIVE, 0.55
    return found, confidence


def _rule_label(parsed: Parsed, anchors: Sequence[int]) -> tuple[str, float]:
    if not anchors or not parsed.sentences:
        _, comment_label = combine(parsed.sentence_scores)
        return comment_label, 0.5
    compounds = []
    for s in sorted({parsed.sentence_of(a) for a in anchors}):
        first, last = parsed.sentences[s]
        cuts = [j for j in range(first, last) if parsed.lemmas[j] in CONTRAST]
        inside = [a for a in anchors if first <= a < last]
        if not cuts:
            compounds.append(parsed.sentence_scores[s][3])
            continue
        bounds = [first, *cuts, last]
        for a, b in zip(bounds, bounds[1:], strict=False):
            if any(a <= x < b for x in inside):
                text = parsed.text[parsed.starts[a] : parsed.ends[b - 1]]
                compounds.append(score(text)[3])
    if max(compounds) >= MIXED_THRESHOLD and min(compounds) <= -MIXED_THRESHOLD:
        return MIXED, 0.5
    mean = sum(compounds) / len(compounds)
    return label(mean), min(0.5 + abs(mean) / 2, 0.95)


def _same(a: Taxonomy, b: Taxonomy, slug: str) -> bool:
    """Whether a theme has the same phrases and exclusions in both taxonomies."""
    x, y = a.get(slug), b.get(slug)
    if x is None or y is None:
        return False
    return (set(x.phrases), set(x.exclusions)) == (set(y.phrases), set(y.exclusions))


def _score(scores: Sequence[float | None] | None, i: int) -> float | None:
    if scores is None or scores[i] is None:
        return None
    value = float(scores[i])  # type: ignore[arg-type]
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"scores[{i}] = {value}: scores are scaled to 0-1")
    return value

"""Theme discovery: topics of the comments no theme covers that grow beyond chance.

The caller passes the current period's uncovered comments and those of the time before (the
baseline: the previous period, or better several, as a week against one week cannot tell a
new topic of six comments from chance). A candidate is a phrase of substance (nlp.phrases: a
noun phrase or a verb and its object), its near-duplicates merged, used by at least
`min_count` comments now, whose share of the comments grew significantly: a one-sided exact
test of the two rates (given how many comments use the phrase in both, the current number is
binomial under equal rates), p < `alpha`, with the false discovery rate among the phrases
tested held at `alpha` too. Without a baseline there is nothing to test: a phrase is "new"
only with twice the support. A candidate that restates a theme of the taxonomy is left out.
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from scipy.special import betainc, betaincinv

from nlp.features import Parsed, parse
from nlp.phrases import found_in, topic_of
from nlp.pipeline import cap, get_pipeline, lemmatizer_for, reading
from nlp.taxonomy import Taxonomy

MIN_COUNT = 5
ALPHA = 0.05
OVERLAP = 0.6  # a topic sharing this much of its comments with a stronger one is that one
# Each stored phrase's topic, as a plain dict: ranking looks up tens of thousands at a time.
_TOPICS: dict[str, str | None] = {}
_UNSEEN: Any = object()


@dataclass(frozen=True)
class Candidate:
    """A topic that may deserve a theme of its own, with the evidence that it is growing."""

    phrase: str  # its most common wording (lemmas)
    count: int  # comments now
    previous_count: int  # comments in the time before (the baseline)
    growth: float | None  # rate now / rate before; None when it was never used before
    growth_low: float | None  # 95% interval of the rate ratio; None when there is nothing
    growth_high: float | None  # before to compare with (low) or no bound (high)
    p_value: float | None  # one-sided; None when there is no time before to test against
    score: float
    examples: list[str] = field(default_factory=list)
    variants: tuple[str, ...] = ()  # the wordings merged into it, as `phrase_sets` gives them

    @property
    def new(self) -> bool:
        """Never used in the time before (or there was no time before to look at)."""
        return self.previous_count == 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "phrase": self.phrase,
            "count": self.count,
            "previous_count": self.previous_count,
            "new": self.new,
            "growth": self.growth,
            "growth_interval": [self.growth_low, self.growth_high],
            "p_value": None if self.p_value is None else float(f"{self.p_value:.3g}"),
            "examples": self.examples,
            "wordings": list(self.variants),
        }


@dataclass(frozen=True)
class Growth:
    """The rate ratio of a phrase between two periods, its 95% interval and one-sided p."""

    ratio: float | None
    low: float | None
    high: float | None
    p_value: float


def growth(count: int, total: int, previous_count: int, previous_total: int) -> Growth:
    """Compare `count` of `total` comments now with `previous_count` of `previous_total`.

    Under equal rates, given the n = count + previous_count comments using the phrase, count is
    Binomial(n, total / (total + previous_total)): the exact one-sided p of "more now", and the
    Clopper-Pearson interval of that share turned into a rate ratio."""
    share = total / (total + previous_total)
    # P(X >= count) for X ~ Binomial(n, share) is the regularized incomplete beta function;
    # scipy.special's, called directly, is many times faster than scipy.stats' binom.sf.
    p = float(betainc(count, previous_count + 1, share)) if count else 1.0
    odds = previous_total / total

    def ratio(pi: float) -> float | None:
        return None if pi >= 1 else pi / (1 - pi) * odds

    low = ratio(float(betaincinv(count, previous_count + 1, 0.025))) if count else 0.0
    high = ratio(float(betaincinv(count + 1, previous_count, 0.975))) if previous_count else None
    point = count / total / (previous_count / previous_total) if previous_count else None
    return Growth(point, low, high, p)


def candidates(
    current: Sequence[str],
    previous: Sequence[str] = (),
    *,
    taxonomy: Taxonomy | None = None,
    min_count: int = MIN_COUNT,
    alpha: float = ALPHA,
    limit: int = 10,
    examples: int = 3,
    spacy_model: str = "auto",
) -> list[Candidate]:
    """The topics of the current period's uncovered comments that grew against `previous`,
    the uncovered comments of the time before (one period or several)."""
    return rank(
        current,
        [set(p) for p in phrase_sets(current, spacy_model)],
        [set(p) for p in phrase_sets(previous, spacy_model)],
        taxonomy=taxonomy,
        min_count=min_count,
        alpha=alpha,
        limit=limit,
        examples=examples,
        spacy_model=spacy_model,
    )


def phrase_sets(texts: Sequence[str], spacy_model: str = "auto") -> list[list[str]]:
    """Each text's candidate phrases (lemmas), sorted: what `rank` counts. Worth storing with
    a comment when it is analysed, so discovery need not read it again."""
    if not texts:
        return []
    nlp = get_pipeline(spacy_model)
    table, enders, skip = reading(nlp)
    lemma = lemmatizer_for(nlp)
    # Read as the analysis reads them; only the words count here, so no sentiment either.
    docs = nlp.pipe((cap(t) for t in texts), disable=skip)
    return [sorted(_phrases(parse(doc, lemma, table, scored=False, enders=enders))) for doc in docs]


def rank(
    current: Sequence[str],
    now: Sequence[Collection[str]],
    before: Sequence[Collection[str]],
    *,
    taxonomy: Taxonomy | None = None,
    tagged: Sequence[Collection[str]] | None = None,
    min_count: int = MIN_COUNT,
    alpha: float = ALPHA,
    limit: int = 10,
    examples: int = 3,
    spacy_model: str = "auto",
) -> list[Candidate]:
    """`candidates` from phrase sets already found: `now[i]` those of `current[i]`, `before`
    those of the comments of the time before (the baseline). `tagged[i]`, when given, names
    the themes `current[i]` carries: a topic most of whose comments carry one theme restates
    it."""
    users = _users(now)
    before_users = _users(before)
    known = _theme_words(taxonomy, spacy_model) if taxonomy is not None else []
    n_now, n_before = len(now), len(before)
    tested = []
    for topic, docs in users.items():
        count = len(docs)
        if count < min_count or _restates(topic, docs, known, tagged):
            continue
        prior = len(before_users.get(topic, ()))
        if n_before:
            tested.append((topic, docs, prior, growth(count, n_now, prior, n_before)))
        elif count >= 2 * min_count:  # nothing to compare with: only a strong topic is "new"
            tested.append((topic, docs, prior, Growth(None, None, None, math.nan)))
    # Hundreds of phrases are tested at once: at p < alpha each, a steady stream would show a
    # few "growing" by chance every period. Benjamini-Hochberg keeps the share of false ones
    # among those shown at alpha.
    passed = _discoveries([test.p_value for *_, test in tested], alpha)
    found = []
    for i, (topic, docs, prior, test) in enumerate(tested):
        if i not in passed:
            continue
        # The strongest evidence first, a longer phrase before its parts: "calendar" grows
        # only as much as "calendar sync" makes it.
        words = len(topic.split())
        strength = math.log10(len(docs)) if math.isnan(test.p_value) else -math.log10(test.p_value)
        score = strength * (1 + 0.25 * (words - 1))
        found.append((score, topic, set(docs), prior, test))
    found.sort(key=lambda item: (-item[0], item[1]))
    kept: list[Candidate] = []
    taken: list[set[int]] = []
    for score, topic, docs, prior, test in found:
        # "calendar sync" and "duplicate event" in the same comments are one topic.
        if any(len(docs & other) >= OVERLAP * min(len(docs), len(other)) for other in taken):
            continue
        taken.append(docs)
        shown = list(dict.fromkeys(current[i] for i in sorted(docs)))[:examples]
        phrase, wordings = _wording(topic, docs, now)
        kept.append(
            Candidate(
                phrase=phrase,
                count=len(docs),
                previous_count=prior,
                growth=None if test.ratio is None else round(test.ratio, 3),
                growth_low=None if test.low is None else round(test.low, 3),
                growth_high=None if test.high is None else round(test.high, 3),
                p_value=None if math.isnan(test.p_value) else test.p_value,
                score=round(score, 3),
                examples=shown,
                variants=tuple(sorted(wordings)),
            )
        )
        if len(kept) == limit:
            break
    return kept


def _discoveries(p_values: list[float], alpha: float) -> set[int]:
    """The indexes Benjamini-Hochberg keeps at false discovery rate alpha (NaN: untested, kept)."""
    tested = sorted((p, i) for i, p in enumerate(p_values) if not math.isnan(p))
    kept = {i for i, p in enumerate(p_values) if math.isnan(p)}
    last = 0
    for rank_, (p, _) in enumerate(tested, 1):
        if p < alpha and p <= alpha * rank_ / len(tested):
            last = rank_
    return kept | {i for _, i in tested[:last]}


def _users(docs: Sequence[Collection[str]]) -> dict[str, list[int]]:
    """Which comments use each topic (near-duplicates merged, so a comment counts once)."""
    users: dict[str, list[int]] = {}
    topics = _TOPICS
    for i, phrases in enumerate(docs):
        seen = set()
        for phrase in phrases:
            topic = topics.get(phrase, _UNSEEN)
            if topic is _UNSEEN:
                topic = topic_of(phrase)
                if len(topics) < 100_000:  # typos and ids must not grow it without bound
                    topics[phrase] = topic
            if topic is not None:  # None: kept by an earlier version, of another shape
                seen.add(topic)
        for topic in seen:
            found = users.get(topic)
            if found is None:
                users[topic] = [i]
            else:
                found.append(i)
    return users


def _wording(
    topic: str, docs: set[int], now: Sequence[Collection[str]]
) -> tuple[str, Counter[str]]:
    """The most common wording of a topic among its comments, and how often each is used."""
    said = Counter(p for i in docs for p in now[i] if topic_of(p) == topic)
    return said.most_common(1)[0][0], said


def _restates(
    topic: str,
    docs: list[int],
    known: list[frozenset[str]],
    tagged: Sequence[Collection[str]] | None,
) -> bool:
    """Whether the topic is a theme already: its words are all among one theme's words (seed
    phrases, name, slug), or most of its comments carry one theme."""
    words = set(topic.split())
    if any(words <= theme for theme in known):
        return True
    if tagged is None:
        return False
    themes = Counter(slug for i in docs for slug in set(tagged[i]))
    return bool(themes) and themes.most_common(1)[0][1] > len(docs) / 2


def _theme_words(taxonomy: Taxonomy, spacy_model: str) -> list[frozenset[str]]:
    named = tuple(
        (theme.name, theme.slug.replace("-", " ").replace("_", " "), *theme.phrases)
        for theme in taxonomy.themes
    )
    return _lemma_words(named, spacy_model)


@functools.lru_cache(maxsize=64)
def _lemma_words(named: tuple[tuple[str, ...], ...], spacy_model: str) -> list[frozenset[str]]:
    """Each theme's words as lemmas; kept, as a taxonomy changes far less often than it is read."""
    nlp = get_pipeline(spacy_model)
    lemma = lemmatizer_for(nlp)
    out = []
    for texts in named:
        out.append(frozenset(lemma(t) for doc in nlp.pipe(texts) for t in doc if t.is_alpha))
    return out


def _phrases(parsed: Parsed) -> set[str]:
    """The phrases of every sentence of a comment."""
    found: set[str] = set()
    for first, last in parsed.sentences:
        found |= found_in(
            [
                parsed.lemmas[i] if parsed.words[i] and parsed.lemmas[i].isalpha() else ""
                for i in range(first, last)
            ]
        )
    return found

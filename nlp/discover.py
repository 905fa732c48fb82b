"""Theme discovery: frequent keyphrases among uncovered ("other") comments, growing or new.

The caller passes the comments of the current period that no theme covered, and those of the
previous period; each candidate is a short lemma phrase with how many comments use it in both
periods and a few example comments, ranked by how much it stands out and grows.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from spacy.lang.en.stop_words import STOP_WORDS

from nlp.features import Parsed, parse
from nlp.pipeline import cap, get_pipeline, lemmatizer_for, reading
from nlp.taxonomy import Taxonomy

# Words every piece of feedback uses: on their own they name no theme.
GENERIC = frozenset(
    {"app", "product", "thing", "stuff", "time", "use", "good", "great", "bad", "like", "love",
     "need", "want", "work", "get", "make", "really", "just", "thank", "thanks", "please", "lot",
     "way", "day", "bit", "pretty", "nice", "well", "better", "best", "much", "also", "still",
     "even", "one", "would", "could", "go", "know", "think", "try", "tool", "software", "service",
     "company", "team", "people", "ok", "okay", "yes", "no", "not", "overall", "everything",
     "something", "anything", "nothing", "year", "month", "week", "easy", "hard", "new", "old"}
)  # fmt: skip


@dataclass(frozen=True)
class Candidate:
    """A keyphrase that may deserve a theme of its own."""

    phrase: str
    count: int
    previous_count: int
    growth: float  # share of comments now / share before (smoothed); > 1 means growing
    score: float
    examples: list[str] = field(default_factory=list)


def candidates(
    current: Sequence[str],
    previous: Sequence[str] = (),
    *,
    taxonomy: Taxonomy | None = None,
    min_count: int = 3,
    limit: int = 10,
    examples: int = 3,
    spacy_model: str = "auto",
) -> list[Candidate]:
    """Rank keyphrases of the current period's uncovered comments against the previous period.

    Phrases already among the taxonomy's seed phrases are left out, as are phrases inside a
    longer candidate that covers nearly the same comments ("dark" under "dark mode").
    """
    nlp = get_pipeline(spacy_model)
    lemma = lemmatizer_for(nlp)
    now = _phrase_docs(nlp, lemma, current)
    before = _phrase_docs(nlp, lemma, previous)
    return rank(
        current,
        now,
        before,
        taxonomy=taxonomy,
        min_count=min_count,
        limit=limit,
        examples=examples,
        spacy_model=spacy_model,
    )


def phrase_sets(texts: Sequence[str], spacy_model: str = "auto") -> list[list[str]]:
    """Each text's candidate phrases (lemma 1-3-grams), sorted: what `rank` counts. Worth
    storing with a comment when it is analysed, so discovery need not read it again."""
    nlp = get_pipeline(spacy_model)
    return [sorted(found) for found in _phrase_docs(nlp, lemmatizer_for(nlp), texts)]


def rank(
    current: Sequence[str],
    now: Sequence[set[str]],
    before: Sequence[set[str]],
    *,
    taxonomy: Taxonomy | None = None,
    min_count: int = 3,
    limit: int = 10,
    examples: int = 3,
    spacy_model: str = "auto",
) -> list[Candidate]:
    """`candidates` from phrase sets already found: `now[i]` those of `current[i]`, `before`
    those of the previous period's comments."""
    known: frozenset[str] = frozenset()
    if taxonomy is not None:
        phrases = tuple(p for t in taxonomy.themes for p in t.phrases)
        known = _lemma_phrases(phrases, spacy_model)
    count_now = _document_frequency(now)
    count_before = _document_frequency(before)
    n_now, n_before = max(len(now), 1), max(len(before), 1)
    ranked = []
    # Every run of words inside a seed phrase, so a candidate is checked against them at once.
    inside_known = {
        " ".join(words[i:j])
        for words in (k.split() for k in known)
        for i in range(len(words))
        for j in range(i + 1, len(words) + 1)
    }
    for phrase, count in count_now.items():
        if count < min_count or phrase in inside_known:
            continue
        prior = count_before.get(phrase, 0)
        # Add-one smoothing keeps a phrase unseen before from getting an infinite growth.
        growth = ((count + 1) / (n_now + 1)) / ((prior + 1) / (n_before + 1))
        words = len(phrase.split())
        score = count * (1 + 0.5 * (words - 1)) * max(math.log2(growth) + 1, 0.25)
        ranked.append((score, phrase, count, prior, growth))
    ranked.sort(key=lambda item: (-item[0], item[1]))
    kept: list[tuple[float, str, int, int, float]] = []
    for item in ranked:
        phrase, count = item[1], item[2]
        if any(
            _inside(phrase, other[1])
            and other[2] >= 0.6 * count
            or _inside(other[1], phrase)
            and count <= 1.2 * other[2]
            for other in kept
        ):
            continue
        kept.append(item)
        if len(kept) == limit:
            break
    out = []
    for score, phrase, count, prior, growth in kept:
        shown = [current[i] for i, phrases in enumerate(now) if phrase in phrases][:examples]
        out.append(Candidate(phrase, count, prior, round(growth, 3), round(score, 3), shown))
    return out


@functools.lru_cache(maxsize=64)
def _lemma_phrases(phrases: tuple[str, ...], spacy_model: str) -> frozenset[str]:
    """The seed phrases as lemmas; kept, as a taxonomy changes far less often than it is read."""
    nlp = get_pipeline(spacy_model)
    lemma = lemmatizer_for(nlp)
    return frozenset(" ".join(lemma(token) for token in doc) for doc in nlp.pipe(phrases))


def _phrase_docs(nlp, lemma, texts: Sequence[str]) -> list[set[str]]:
    # Read as the analysis reads them; only the words count here, so no sentiment either.
    table, enders, skip = reading(nlp)
    docs = nlp.pipe((cap(t) for t in texts), disable=skip)
    return [_phrases(parse(doc, lemma, table, scored=False, enders=enders)) for doc in docs]


def _phrases(parsed: Parsed) -> set[str]:
    """Lemma 1-3-grams within a sentence that neither start nor end on a stop word."""
    found: set[str] = set()
    for first, last in parsed.sentences:
        words = [
            parsed.lemmas[i] if parsed.words[i] and parsed.lemmas[i].isalpha() else ""
            for i in range(first, last)
        ]
        for size in (1, 2, 3):
            for i in range(len(words) - size + 1):
                gram = words[i : i + size]
                if not all(gram) or _weak(gram[0]) or _weak(gram[-1]):
                    continue
                if size == 1 and len(gram[0]) < 3:
                    continue
                found.add(" ".join(gram))
    return found


def _weak(word: str) -> bool:
    return word in STOP_WORDS or word in GENERIC


def _document_frequency(docs: Sequence[set[str]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for phrases in docs:
        for phrase in phrases:
            counts[phrase] = counts.get(phrase, 0) + 1
    return counts


def _inside(short: str, long: str) -> bool:
    return short != long and f" {short} " in f" {long} "

"""What the analysis knows about one comment, and the features the learned models read from it."""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse
from spacy.attrs import IDX, IS_PUNCT, IS_SPACE, ORTH, SENT_START
from spacy.tokens import Doc

from nlp.pipeline import LemmaTable, sentence_starts
from nlp.sentiment import CONTRAST, Scores, score
from nlp.taxonomy import Hit, Matcher

# Words that turn the meaning of the next few words ("not slow at all", "no way to export").
NEGATORS = frozenset(
    {"not", "no", "never", "without", "nothing", "none", "nobody", "neither", "nor", "hardly",
     "barely", "cannot", "nope", "nt", "dont", "doesnt", "didnt", "isnt", "wasnt", "cant",
     "wont", "aint", "arent", "havent"}
)  # fmt: skip
NEGATION_SCOPE = 3


@dataclass
class Parsed:
    """A comment after the pipeline: tokens, lemmas, sentences and their VADER scores."""

    text: str
    lemmas: list[str]
    starts: list[int]
    ends: list[int]
    words: list[bool]  # token is a word (not punctuation or space)
    sentences: list[tuple[int, int]]  # token ranges
    sentence_scores: list[Scores]
    lowers: list[str]  # the tokens in lower case
    hits: list[Hit] = field(default_factory=list)
    model_hits: list[Hit] = field(default_factory=list)
    cache: dict[str, Any] = field(default_factory=dict)  # derived once, shared by its themes

    def sentence_of(self, token: int) -> int:
        for i, (first, last) in enumerate(self.sentences):
            if first <= token < last:
                return i
        return max(0, len(self.sentences) - 1)


def parse(
    doc: Doc,
    lemma: Callable[[Any], str],
    table: LemmaTable | None = None,
    text: str | None = None,
    scored: bool = True,
    enders: frozenset[str] | None = None,
) -> Parsed:
    """Read what the analysis needs from a doc, scoring each sentence with VADER once
    (unless `scored` is false: discovery reads only the words).

    With a lookup table the tokens are read as arrays rather than Token objects, which is
    several times faster; the lemma is then looked up on the lower-case text. With `enders` (the
    sentencizer's characters, when it did not run) the sentences are found here, by its rule.
    """
    if table is None:
        lemmas, starts, ends, words, lowers = [], [], [], [], []
        for token in doc:
            lowers.append(token.lower_)
            lemmas.append(lemma(token))
            starts.append(token.idx)
            ends.append(token.idx + len(token.text))
            words.append(not (token.is_punct or token.is_space))
        sent_starts = [token.is_sent_start for token in doc]
    else:
        strings = doc.vocab.strings
        raw = doc.to_array([ORTH, IDX, IS_PUNCT, IS_SPACE, SENT_START])
        texts = [strings[h] for h in raw[:, 0].tolist()]  # hashes are unsigned 64-bit
        array = raw.astype(np.int64)
        starts = array[:, 1].tolist()
        ends = [a + len(t) for a, t in zip(starts, texts, strict=True)]
        lowers = [t.lower() for t in texts]
        lemmas = [table[low] for low in lowers]
        words = ((array[:, 2] == 0) & (array[:, 3] == 0)).tolist()
        if enders is None:
            sent_starts = (array[:, 4] == 1).tolist()
        else:
            # The same rule as spaCy's Sentencizer, without a Token object per token.
            sent_starts = sentence_starts(texts, (array[:, 2] != 0).tolist(), enders)
    sentences, sentence_scores = [], []
    if text is None:  # doc.text is rebuilt from the tokens: the caller usually has it already
        text = doc.text
    bounds = [i for i, first in enumerate(sent_starts) if first or i == 0] + [len(starts)]
    for first, last in zip(bounds, bounds[1:], strict=False):
        if first >= last:
            continue
        chunk = text[starts[first] : ends[last - 1]]
        if chunk.strip():
            sentences.append((first, last))
            if scored:
                sentence_scores.append(score(chunk))
    return Parsed(text, lemmas, starts, ends, words, sentences, sentence_scores, lowers)


def negation_marked(parsed: Parsed) -> list[str]:
    """Lemmas with the few words after a negator prefixed "NOT_" ("not NOT_slow")."""
    if NEGATORS.isdisjoint(parsed.lemmas):
        return parsed.lemmas
    out = []
    scope = 0
    for lemma, is_word in zip(parsed.lemmas, parsed.words, strict=True):
        if not is_word:
            scope = 0
            out.append(lemma)
            continue
        if lemma in CONTRAST:
            scope = 0
            out.append(lemma)
        elif lemma in NEGATORS:
            scope = NEGATION_SCOPE
            out.append(lemma)
        elif scope:
            out.append("NOT_" + lemma)
            scope -= 1
        else:
            out.append(lemma)
    return out


def ngrams(parsed: Parsed, lemmas: Sequence[str] | None = None, prefix: str = "") -> list[str]:
    """Word 1-2-grams per sentence, punctuation left out except "!" and "?"."""
    lemmas = parsed.lemmas if lemmas is None else lemmas
    is_word = parsed.words
    feats: list[str] = []
    for first, last in parsed.sentences:
        seq = [lemmas[i] for i in range(first, last) if is_word[i] or lemmas[i] in ("!", "?")]
        if prefix:
            feats += [prefix + w for w in seq]
            feats += [f"{prefix}{a} {b}" for a, b in zip(seq, seq[1:], strict=False)]
        else:
            feats += seq
            feats += [a + " " + b for a, b in zip(seq, seq[1:], strict=False)]
    return feats


# What a sentence says the product can or cannot do, whatever the capability is called: "can't
# split the bill", "no option for that", "wish it let me", "only pushes invoices". Word n-grams
# see each capability's name apart; these frames let every one of them count alike.
_CAN = frozenset({"can", "ca", "could", "let", "allow", "support", "offer"})
_HAVE = frozenset({"have", "let", "allow", "support", "offer", "able"})
_ABSENT = frozenset({"unable", "impossible", "lack", "missing", "miss", "without"})
_WANT = frozenset({"wish", "hope", "request", "roadmap", "need", "want"})
_WOULD = frozenset({"love", "like", "kill", "be", "nice", "great", "perfect", "good"})
_OPTION = frozenset({"option", "setting", "way", "ability", "feature", "button", "mode", "tool"})
# A comment with none of these words has no frame: most comments, skipped at once.
_CUES = _CAN | _HAVE | _ABSENT | _WANT | {"no", "not", "would", "only", "but", "please"}


def frames(parsed: Parsed) -> list[str]:
    """Capability frames of each sentence, as extra terms ("~cannot", "~want", ...)."""
    out: list[str] = []
    lemmas, words = parsed.lemmas, parsed.words
    if _CUES.isdisjoint(lemmas):
        return out
    for first, last in parsed.sentences:
        seq = [lemmas[i] for i in range(first, last) if words[i]]
        for i, lemma in enumerate(seq):
            before = seq[i - 1] if i else ""
            after = seq[i + 1] if i + 1 < len(seq) else ""
            if lemma in _CAN and after == "not" or lemma in _ABSENT:
                out.append("~cannot")
            elif before == "not":
                continue  # "doesn't let": counted with its "not"
            elif lemma in ("can", "could", "let", "allow"):
                out.append("~can")
            elif lemma == "no" and after in _OPTION or lemma == "not" and after in _HAVE:
                out.append("~cannot")
            elif lemma == "no" and i == 0:
                out.append("~none")
            elif lemma in _WANT or lemma == "would" and after in _WOULD or before == "please":
                out.append("~want")
            elif lemma == "only":
                out.append("~only")
            elif lemma == "but" and after == "not":
                out.append("~butnot")
    return out


def cached_ngrams(parsed: Parsed) -> list[str]:
    """ngrams(parsed), kept on the parsed comment: the detector and the sentiment share it."""
    found = parsed.cache.get("ngrams")
    if found is None:
        found = parsed.cache["ngrams"] = ngrams(parsed)
    return found


def detector_terms(parsed: Parsed) -> list[str]:
    """The terms theme detection reads: the n-grams and the capability frames."""
    found = parsed.cache.get("terms")
    if found is None:
        found = parsed.cache["terms"] = cached_ngrams(parsed) + frames(parsed)
    return found


def char_ngrams(text: str) -> list[str]:
    """Character 4-grams inside words, padded with spaces: robust to typos ("sloooow")."""
    feats: list[str] = []
    for word in text.lower().split():
        feats.extend(_word_ngrams(word))
    return feats


@functools.lru_cache(maxsize=50_000)
def _word_ngrams(word: str) -> tuple[str, ...]:
    padded = f" {word[:30]} "
    n = len(padded)
    # 4-grams alone measured as accurate as 3- to 5-grams, with a third of the features.
    return tuple(padded[i : i + 4] for i in range(n - 3))


class TfIdf:
    """TF-IDF over feature strings with a fixed vocabulary: plain arrays, so it saves as data."""

    def __init__(self, terms: Sequence[str], idf: np.ndarray) -> None:
        self.terms = list(terms)
        self.index = {term: i for i, term in enumerate(self.terms)}
        self.idf = np.asarray(idf, dtype=np.float32)
        if len(self.terms) != len(self.idf):
            raise ValueError("a vocabulary needs one idf weight per term")

    @classmethod
    def fit(cls, docs: Sequence[Sequence[str]], min_df: int = 2, max_terms: int = 50000) -> TfIdf:
        df: dict[str, int] = {}
        for doc in docs:
            for term in set(doc):
                df[term] = df.get(term, 0) + 1
        kept = sorted((t for t, c in df.items() if c >= min_df), key=lambda t: (-df[t], t))
        kept = sorted(kept[:max_terms])
        n = len(docs)
        idf = np.array([math.log((1 + n) / (1 + df[t])) + 1.0 for t in kept], dtype=np.float32)
        return cls(kept, idf)

    def transform(self, docs: Sequence[Sequence[str]]) -> sparse.csr_matrix:
        """Sublinear term frequency times idf, each row scaled to unit length."""
        return self.weigh(self.counts(docs))

    def counts(self, docs: Sequence[Sequence[str]]) -> sparse.csr_matrix:
        """Raw term counts, for rows that are added up before weighing."""
        # One pass over all the terms in C; unknown terms map to -1 and are dropped.
        lengths = np.fromiter(map(len, docs), dtype=np.int64, count=len(docs))
        terms = itertools.chain.from_iterable(docs)
        found = np.fromiter(
            map(self.index.get, terms, itertools.repeat(-1)),
            dtype=np.int64,
            count=int(lengths.sum()),
        )
        rows = np.repeat(np.arange(len(docs), dtype=np.int64), lengths)
        known = found >= 0
        return self._counts(rows[known], found[known], len(docs))

    def transform_chars(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """transform() of char_ngrams(text), with each word's columns remembered."""
        cache = self._word_columns
        get = self.index.get
        rows: list[int] = []
        cols: list[int] = []
        for row, text in enumerate(texts):
            start = len(cols)
            for word in text.lower().split():
                found = cache.get(word)
                if found is None:
                    found = [j for j in map(get, _word_ngrams(word)) if j is not None]
                    if len(cache) < 100_000:
                        cache[word] = found
                cols.extend(found)
            rows.extend([row] * (len(cols) - start))
        return self.weigh(self._counts(rows, cols, len(texts)))

    @functools.cached_property
    def _word_columns(self) -> dict[str, list[int]]:
        return {}

    def _counts(self, rows: Any, cols: Any, n: int) -> sparse.csr_matrix:
        ones = np.ones(len(cols), dtype=np.float32)
        # Building from coordinates sums the repeated (row, column) pairs into counts.
        counts = sparse.csr_matrix(
            (ones, (np.asarray(rows, dtype=np.int32), np.asarray(cols, dtype=np.int32))),
            shape=(n, len(self.terms)),
            dtype=np.float32,
        )
        counts.sum_duplicates()
        return counts

    def weigh(self, counts: sparse.csr_matrix) -> sparse.csr_matrix:
        """TF-IDF rows of unit length from raw counts."""
        weighed = counts.copy()
        weighed.data = (1.0 + np.log(weighed.data)) * self.idf[weighed.indices]
        norms = np.sqrt(np.asarray(weighed.multiply(weighed).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return sparse.csr_matrix(sparse.diags(1.0 / norms) @ weighed, dtype=np.float32)


def hit_flags(parsed_docs: Sequence[Parsed], n_themes: int) -> np.ndarray:
    """One column per theme of the model's taxonomy: 1 where the matcher found it."""
    flags = np.zeros((len(parsed_docs), n_themes), dtype=np.float32)
    for row, parsed in enumerate(parsed_docs):
        for hit in parsed.model_hits:
            flags[row, hit.theme] = 1.0
    return flags


def match_all(matcher: Matcher, parsed_docs: Sequence[Parsed], into: str = "hits") -> None:
    """Run a matcher over parsed docs and keep its hits on each (hits or model_hits)."""
    for parsed in parsed_docs:
        setattr(parsed, into, matcher.find(parsed.lemmas, parsed.starts, parsed.ends, parsed.text))

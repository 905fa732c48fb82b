"""The spaCy pipeline: built once per process and reused by every analysis."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from typing import NamedTuple

import spacy
from spacy.language import Language
from spacy.tokens import Doc

# Long comments are cut to this many characters before analysis: the themes and the tone of a
# comment show in its first few paragraphs, and the cost of analysis grows with the length.
MAX_CHARS = 5000
# Distinct words whose lemma a lookup table remembers.
MAX_CACHED_WORDS = 200_000
# Words spaCy's lookup table turns into a lemma of another meaning: "ai" -> "have" (it is there
# for "ain't"), "as" -> "a", and comparatives that lose their strength ("worst" -> "wrong").
KEEP_AS_IS = frozenset({"ai", "as", "better", "best", "worse", "worst"})

# Trained English pipelines, best first, used when one is installed and the caller asked for "auto".
_TRAINED = ("en_core_web_sm", "en_core_web_md", "en_core_web_lg")
# Components of a trained pipeline that the analysis does not need; dropping them keeps it fast.
_UNUSED = ("parser", "ner")


@functools.lru_cache(maxsize=4)
def get_pipeline(name: str = "auto") -> Language:
    """The shared pipeline: "auto" (a trained one when installed), "blank" or a package name."""
    if name == "blank":
        return _blank()
    if name == "auto":
        installed = set(spacy.util.get_installed_models())
        name = next((model for model in _TRAINED if model in installed), "")
        if not name:
            return _blank()
    nlp = spacy.load(name, exclude=[pipe for pipe in _UNUSED])
    if "sentencizer" not in nlp.pipe_names and "senter" not in nlp.pipe_names:
        nlp.add_pipe("sentencizer")
    return nlp


def _blank() -> Language:
    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.add_pipe("sentencizer")
    nlp.initialize()
    return nlp


def sentence_ends(nlp: Language) -> frozenset[str] | None:
    """The sentencizer's end-of-sentence characters when it alone splits sentences, else None."""
    names = nlp.pipe_names
    if "sentencizer" not in names or "senter" in names or "parser" in names:
        return None
    return frozenset(nlp.get_pipe("sentencizer").punct_chars)


def sentence_starts(texts: list[str], is_punct: list[bool], ends: frozenset[str]) -> list[bool]:
    """spaCy's Sentencizer rule on token texts: a sentence starts at the first token after an
    end character that is neither punctuation nor an end character itself."""
    starts = [False] * len(texts)
    if texts:
        starts[0] = True
        seen = False
        for i, text in enumerate(texts):
            if text in ends:
                seen = True
            elif seen and not is_punct[i]:
                starts[i] = True
                seen = False
    return starts


class LemmaTable(dict):
    """Lower-case word -> lower-case lemma, read from spaCy's lookup table on a word's first use.

    spaCy keys its table by string hash, so a plain dict of its items would find no word at all.
    """

    def __init__(self, table) -> None:
        super().__init__()
        self._table = table

    def __missing__(self, word: str) -> str:
        lemma = word if word in KEEP_AS_IS else self._table.get(word, word).lower()
        if len(self) < MAX_CACHED_WORDS:  # typos and ids must not grow it without bound
            self[word] = lemma
        return lemma


@functools.lru_cache(maxsize=4)
def lookup_table(nlp: Language) -> LemmaTable | None:
    """The lemma lookup table when the pipeline lemmatizes by lookup, else None."""
    if "lemmatizer" not in nlp.pipe_names:
        return None
    lemmatizer = nlp.get_pipe("lemmatizer")
    if getattr(lemmatizer, "mode", "") != "lookup":
        return None
    return LemmaTable(lemmatizer.lookups.get_table("lemma_lookup"))


class Reading(NamedTuple):
    """How the analysis reads a pipeline's docs: from the token arrays when there is a lemma
    table (the lemmatizer then need not run), applying the sentencizer's rule itself when it
    alone splits sentences (nor need it run)."""

    table: LemmaTable | None
    enders: frozenset[str] | None
    skip: list[str]


def reading(nlp: Language) -> Reading:
    """The Reading of a pipeline."""
    table = lookup_table(nlp)
    if table is None:
        return Reading(None, None, [])
    enders = sentence_ends(nlp)
    return Reading(
        table, enders, ["lemmatizer"] if enders is None else ["lemmatizer", "sentencizer"]
    )


def lemmatizer_for(nlp: Language):
    """Return a function token -> lower-case lemma that ignores the case of the token.

    The lookup table is keyed on the exact text, so "Billing" at the start of a sentence would
    keep its own form; looking up the lower-case text gives "bill" wherever the word stands.
    """
    table = lookup_table(nlp)
    if table is None:
        return lambda token: token.lemma_.lower() or token.lower_

    def lemma(token) -> str:
        return table[token.lower_]

    return lemma


def cap(text: str, limit: int = MAX_CHARS) -> str:
    """Cut text to at most limit characters, at a sentence or word boundary when one is near."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    # Prefer ending on a sentence, then on a space, so the last word is not cut in half.
    for mark in (". ", "! ", "? ", "\n"):
        at = head.rfind(mark)
        if at >= limit * 0.8:
            return head[: at + 1]
    at = head.rfind(" ")
    return head[:at] if at >= limit * 0.8 else head


def pipe(nlp: Language, texts: Iterable[str], batch_size: int = 256) -> Iterator[Doc]:
    """Run texts through the pipeline in batches."""
    return nlp.pipe(texts, batch_size=batch_size)

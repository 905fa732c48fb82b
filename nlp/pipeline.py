"""The spaCy pipeline: built once per process and reused by every analysis."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator

import spacy
from spacy.language import Language
from spacy.tokens import Doc

# Long comments are cut to this many characters before analysis: the themes and the tone of a
# comment show in its first few paragraphs, and the cost of analysis grows with the length.
MAX_CHARS = 5000

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


@functools.lru_cache(maxsize=4)
def lookup_table(nlp: Language) -> dict[str, str] | None:
    """The lemma lookup table when the pipeline lemmatizes by lookup, else None."""
    if "lemmatizer" not in nlp.pipe_names:
        return None
    lemmatizer = nlp.get_pipe("lemmatizer")
    if getattr(lemmatizer, "mode", "") != "lookup":
        return None
    table = lemmatizer.lookups.get_table("lemma_lookup")
    return dict(table.items())


def lemmatizer_for(nlp: Language):
    """Return a function token -> lower-case lemma that ignores the case of the token.

    The lookup table is keyed on the exact text, so "Billing" at the start of a sentence would
    keep its own form; looking up the lower-case text gives "bill" wherever the word stands.
    """
    table = lookup_table(nlp)
    if table is None:
        return lambda token: token.lemma_.lower() or token.lower_
    get = table.get

    def lemma(token) -> str:
        lower = token.lower_
        return get(lower, lower)

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

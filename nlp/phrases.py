"""The phrases theme discovery counts: noun phrases and verb-object pairs, found by rule.

The pipeline has no tagger or parser (spacy.blank("en") with lookup lemmas), so the shapes come
from word lists (data/phrases.json), spaCy's stop words, WordNet's parts of speech as shipped
with spaCy's lookup tables (is a word ever a noun?) and VADER's lexicon (is it a feeling?):

- a phrase is one to three content words, in one sentence, with at most two determiners or
  prepositions between two of them ("export to csv", "open a project");
- stop words, fillers ("lately", "today") and vague words ("good", "need") never stand alone
  nor start or end a phrase; generic nouns ("team", "time") only describe another word;
- a lone word is a noun (or a name WordNet does not know: "csv", "zapier"), never a word of
  feeling that is an adjective ("slow", "fine"), nor a word that is only a verb or an adverb;
- a phrase never ends on a word that is only an adjective ("mode dark" is no phrase).

Near-duplicates share a `key`: their content words, sorted ("export csv", "csv export",
"exporting csv" and "export to csv" are all "csv export").
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import NamedTuple

from spacy.lang.en.stop_words import STOP_WORDS

MAX_WORDS = 3  # content words in a phrase
MAX_GLUE = 2  # determiners and prepositions in a row inside one


class Words(NamedTuple):
    """What discovery knows of a word, by lower-case lemma."""

    weak: frozenset[str]  # never alone, first or last
    generic: frozenset[str]  # never alone or last
    glue: frozenset[str]  # only inside
    nouns: frozenset[str]
    verbs: frozenset[str]
    adjectives: frozenset[str]
    adverbs: frozenset[str]
    feelings: frozenset[str]


@functools.lru_cache(maxsize=1)
def words() -> Words:
    """The word lists, read once per process."""
    from spacy.lookups import load_lookups

    from nlp.sentiment import lexicon

    data = json.loads(resources.files("nlp").joinpath("data/phrases.json").read_text("utf-8"))
    index = load_lookups("en", ["lemma_index"]).get_table("lemma_index")
    nouns, verbs, adjectives, adverbs = (
        frozenset(index.get(pos, [])) for pos in ("noun", "verb", "adj", "adv")
    )
    stop = (STOP_WORDS | {"nt", "s", "t", "m", "re", "ve", "ll", "d"}) - set(data["content"])
    only_adverbs = adverbs - nouns - verbs - adjectives
    weak = frozenset(stop | set(data["fillers"]) | set(data["vague"]) | only_adverbs)
    return Words(
        weak=weak,
        generic=frozenset(data["generic"]),
        glue=frozenset(data["glue"]),
        nouns=nouns,
        verbs=verbs,
        adjectives=adjectives,
        adverbs=adverbs,
        feelings=frozenset(w for w in lexicon() if w.isalpha()),
    )


class Kind(NamedTuple):
    """Where a word may stand in a phrase."""

    glue: bool  # only inside
    edge: bool  # may start one
    last: bool  # may end one: its head noun or a verb's object
    alone: bool  # may be one on its own


@functools.lru_cache(maxsize=100_000)
def kind(word: str) -> Kind:
    """Where a word may stand: content words but weak ones start a phrase; generic nouns and
    words that are only adjectives never end one; a lone word is a noun (or a name WordNet does
    not know), never the adjective of a feeling."""
    w = words()
    if word in w.glue:
        return Kind(True, False, False, False)
    edge = bool(word) and word not in w.weak
    only_adjective = word in w.adjectives and word not in w.nouns and word not in w.verbs
    last = edge and word not in w.generic and not only_adjective
    known = word in w.nouns or word in w.verbs or only_adjective or word in w.adverbs
    alone = (
        last
        and len(word) >= 3
        and not (word in w.feelings and word in w.adjectives)
        and (word in w.nouns or not known)
    )
    return Kind(False, edge, last, alone)


def found_in(lemmas: list[str]) -> set[str]:
    """The phrases of one sentence, given its words' lemmas ("" for what is not a word)."""
    kinds = [kind(word) for word in lemmas]
    out: set[str] = set()
    for i, first in enumerate(kinds):
        if not first.edge:
            continue
        if first.alone:
            out.add(lemmas[i])
        content, glue = 1, 0
        for j in range(i + 1, len(lemmas)):
            this = kinds[j]
            if this.glue:
                glue += 1
                if glue > MAX_GLUE:
                    break
                continue
            if not this.edge:
                break
            content, glue = content + 1, 0
            if content > MAX_WORDS:
                break
            if this.last:
                out.add(" ".join(lemmas[i : j + 1]))
    return out


def substantive(phrase: str) -> bool:
    """Whether a phrase (kept by an earlier version, perhaps) has one of the shapes above."""
    return phrase in found_in(phrase.split())


def key(phrase: str) -> str:
    """What near-duplicates share: the phrase's content words, sorted."""
    glue = words().glue
    return " ".join(sorted(word for word in phrase.split() if word not in glue))


@functools.lru_cache(maxsize=100_000)
def topic_of(phrase: str) -> str | None:
    """The `key` of a phrase of substance, None for any other (kept by an earlier version)."""
    return key(phrase) if substantive(phrase) else None

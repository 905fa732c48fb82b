"""Themes and their seed phrases, and the matcher that finds them in a comment by lemma."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from spacy.language import Language

OTHER = "other"
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class TaxonomyError(ValueError):
    """A taxonomy that cannot be used: names the theme and the field at fault."""


@dataclass(frozen=True, slots=True)
class Span:
    """Evidence in the analysed text: [start, end) character offsets and the text there."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Theme:
    """A theme: seed phrases that signal it and exclusions that veto a phrase they overlap."""

    slug: str
    name: str
    description: str = ""
    phrases: tuple[str, ...] = ()
    exclusions: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "name": self.name,
            "description": self.description,
            "phrases": list(self.phrases),
            "exclusions": list(self.exclusions),
        }


@dataclass(frozen=True)
class Taxonomy:
    """An ordered set of themes with unique slugs."""

    themes: tuple[Theme, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        object.__setattr__(self, "themes", tuple(self.themes))
        seen: set[str] = set()
        for theme in self.themes:
            if not _SLUG.match(theme.slug):
                raise TaxonomyError(f"theme slug {theme.slug!r} must be 1-64 of a-z, 0-9, - or _")
            if theme.slug in seen:
                raise TaxonomyError(f"theme slug {theme.slug!r} appears twice")
            seen.add(theme.slug)

    @property
    def slugs(self) -> list[str]:
        return [theme.slug for theme in self.themes]

    def get(self, slug: str) -> Theme | None:
        return next((theme for theme in self.themes if theme.slug == slug), None)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Taxonomy:
        """Build a taxonomy from its JSON form; raises TaxonomyError naming what is wrong."""
        if not isinstance(data, dict) or not isinstance(data.get("themes"), list):
            raise TaxonomyError("a taxonomy is an object with a list of themes under 'themes'")
        themes = []
        for i, item in enumerate(data["themes"]):
            if not isinstance(item, dict):
                raise TaxonomyError(f"themes[{i}] must be an object")
            slug = item.get("slug")
            if not isinstance(slug, str):
                raise TaxonomyError(f"themes[{i}].slug must be a string")
            lists = {}
            for key in ("phrases", "exclusions"):
                value = item.get(key, [])
                if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
                    raise TaxonomyError(f"theme {slug!r}: {key} must be a list of strings")
                lists[key] = tuple(p.strip() for p in value if p.strip())
            themes.append(
                Theme(
                    slug=slug,
                    name=str(item.get("name") or slug),
                    description=str(item.get("description") or ""),
                    **lists,
                )
            )
        return cls(themes=tuple(themes))

    def to_dict(self) -> dict[str, Any]:
        return {"themes": [theme.to_dict() for theme in self.themes]}


def default_taxonomy() -> Taxonomy:
    """The taxonomy shipped for software products (nlp/data/taxonomy.json)."""
    text = resources.files("nlp").joinpath("data/taxonomy.json").read_text(encoding="utf-8")
    return Taxonomy.from_dict(json.loads(text))


@dataclass(slots=True)
class Hit:
    """One phrase of a theme found in a doc: token range and character span."""

    theme: int
    first: int
    last: int  # exclusive
    span: Span


class Matcher:
    """Finds each theme's phrases in docs by lower-case lemma, longest phrase first.

    Phrases are lemmatised with the same pipeline as the comments, so "took ages" also finds
    "takes ages" and "Billing" finds "billed". An exclusion of a theme vetoes each of the theme's
    hits that it overlaps ("support for SSO" is not about the support team).
    """

    def __init__(self, taxonomy: Taxonomy, nlp: Language, lemma: Callable[[Any], str]) -> None:
        self.taxonomy = taxonomy
        self._lemma = lemma
        # first lemma -> [(lemmas, theme index, is exclusion)], longest first.
        self._index: dict[str, list[tuple[tuple[str, ...], int, bool]]] = {}
        phrases = [
            (phrase, i, excl)
            for i, theme in enumerate(taxonomy.themes)
            for excl, group in ((False, theme.phrases), (True, theme.exclusions))
            for phrase in group
        ]
        docs = nlp.pipe(phrase for phrase, _, _ in phrases) if phrases else []
        for (_, i, excl), doc in zip(phrases, docs, strict=True):
            lemmas = tuple(lemma(token) for token in doc if not token.is_space)
            if lemmas:
                self._index.setdefault(lemmas[0], []).append((lemmas, i, excl))
        for entries in self._index.values():
            entries.sort(key=lambda entry: -len(entry[0]))

    def find(
        self, lemmas: Sequence[str], starts: Sequence[int], ends: Sequence[int], text: str
    ) -> list[Hit]:
        """Return the theme hits in a tokenised text that no exclusion vetoes, in text order."""
        hits: list[Hit] = []
        vetoes: list[tuple[int, int, int]] = []
        index = self._index
        n = len(lemmas)
        # Most tokens start no phrase: find the few that do in one tight pass.
        for start in [i for i, lemma in enumerate(lemmas) if lemma in index]:
            for phrase, theme, excl in index[lemmas[start]]:
                end = start + len(phrase)
                if end > n or (len(phrase) > 1 and tuple(lemmas[start:end]) != phrase):
                    continue
                if excl:
                    vetoes.append((theme, start, end))
                else:
                    a, b = starts[start], ends[end - 1]
                    hits.append(Hit(theme, start, end, Span(a, b, text[a:b])))
        if vetoes:
            hits = [h for h in hits if not _vetoed(h, vetoes)]
        return _longest(hits)

    def themes_in(self, hits: Iterable[Hit]) -> dict[int, list[Hit]]:
        """Group hits by theme index."""
        grouped: dict[int, list[Hit]] = {}
        for hit in hits:
            grouped.setdefault(hit.theme, []).append(hit)
        return grouped


def _vetoed(hit: Hit, vetoes: list[tuple[int, int, int]]) -> bool:
    return any(
        theme == hit.theme and start < hit.last and hit.first < end for theme, start, end in vetoes
    )


def _longest(hits: list[Hit]) -> list[Hit]:
    """Within one theme keep only hits not inside a longer hit ("load time" over "load")."""
    kept: list[Hit] = []
    for hit in sorted(hits, key=lambda h: (h.first, -(h.last - h.first))):
        if any(k.theme == hit.theme and k.first <= hit.first and hit.last <= k.last for k in kept):
            continue
        kept.append(hit)
    return kept

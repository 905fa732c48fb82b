"""Editing a workspace's taxonomy changes the tags it gets."""

from __future__ import annotations

import pytest

from nlp import Analyzer, Taxonomy, TaxonomyError, Theme, default_taxonomy, load_model


def slugs(analyzer: Analyzer, text: str) -> set[str]:
    return {m.slug for m in analyzer.analyse(text).themes}


def edited(taxonomy: Taxonomy, *themes: Theme, drop: tuple[str, ...] = ()) -> Taxonomy:
    kept = [t for t in taxonomy.themes if t.slug not in drop]
    return Taxonomy(tuple(kept) + themes)


def test_default_taxonomy_round_trips_through_json():
    taxonomy = default_taxonomy()
    assert Taxonomy.from_dict(taxonomy.to_dict()) == taxonomy
    assert {"pricing", "billing", "support", "onboarding", "mobile", "other"} <= set(taxonomy.slugs)
    assert all(t.description for t in taxonomy.themes)


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"themes": [{"name": "no slug"}]},
        {"themes": [{"slug": "Bad Slug"}]},
        {"themes": [{"slug": "a"}, {"slug": "a"}]},
        {"themes": [{"slug": "a", "phrases": "not a list"}]},
    ],
)
def test_invalid_taxonomy_is_refused_with_a_reason(data):
    with pytest.raises(TaxonomyError):
        Taxonomy.from_dict(data)


def test_adding_a_theme_tags_its_phrases():
    text = "The new AI assistant writes nonsense summaries."
    base = default_taxonomy()
    assert "ai" not in slugs(Analyzer(base, spacy_model="blank"), text)
    added = edited(base, Theme("ai", "AI assistant", phrases=("ai assistant", "summaries")))
    assert "ai" in slugs(Analyzer(added, spacy_model="blank"), text)


def test_a_phrase_finds_other_forms_of_its_words():
    added = edited(default_taxonomy(), Theme("exports", "Exports", phrases=("export report",)))
    result = Analyzer(added, spacy_model="blank").analyse("I exported reports all morning.")
    found = [m for m in result.themes if m.slug == "exports"]
    assert found and [s.text for s in found[0].evidence] == ["exported reports"]


def test_ai_is_not_read_as_a_form_of_have():
    added = edited(default_taxonomy(), Theme("ai", "AI", phrases=("ai",)))
    assert "ai" in slugs(Analyzer(added, spacy_model="blank"), "The AI keeps guessing wrong.")
    assert "ai" not in slugs(Analyzer(added, spacy_model="blank"), "I have no complaints.")


def test_renaming_a_theme_tags_the_new_slug_even_with_a_model():
    base = default_taxonomy()
    old = base.get("pricing")
    assert old is not None
    renamed = edited(base, Theme("cost", "Cost", old.description, old.phrases), drop=("pricing",))
    analyzer = Analyzer(renamed, model=load_model(None), spacy_model="blank")
    found = slugs(analyzer, "Way too expensive for a team of three.")
    assert "cost" in found
    assert "pricing" not in found


def test_merging_two_themes_gives_one_tag():
    base = default_taxonomy()
    pricing, billing = base.get("pricing"), base.get("billing")
    assert pricing is not None and billing is not None
    money = Theme(
        "money",
        "Money",
        phrases=pricing.phrases + billing.phrases,
        exclusions=pricing.exclusions + billing.exclusions,
    )
    merged = edited(base, money, drop=("pricing", "billing"))
    found = slugs(Analyzer(merged, spacy_model="blank"), "Too expensive, and I was charged twice.")
    assert "money" in found
    assert not found & {"pricing", "billing"}


def test_an_exclusion_vetoes_the_phrase_it_overlaps():
    text = "Please add support for SAML logins."
    base = default_taxonomy()
    support = base.get("support")
    assert support is not None
    assert "support" not in slugs(Analyzer(base, spacy_model="blank"), text)
    loose = Theme(support.slug, support.name, support.description, support.phrases, ())
    assert "support" in slugs(
        Analyzer(edited(base, loose, drop=("support",)), spacy_model="blank"), text
    )


def test_edited_theme_is_decided_by_its_phrases_not_the_model():
    base = default_taxonomy()
    mobile = base.get("mobile")
    assert mobile is not None
    narrowed = Theme("mobile", "Mobile", mobile.description, ("android",), ())
    analyzer = Analyzer(edited(base, narrowed, drop=("mobile",)), model=load_model(None))
    assert "mobile" not in slugs(analyzer, "The iPhone app crashes every time I open it.")
    assert "mobile" in slugs(analyzer, "The android build crashes every time I open it.")

"""Fixtures shared by the nlp tests: built once per module, since a pipeline takes a second."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from nlp import Analyzer, default_taxonomy, load_model
from nlp.learn import LabeledExample, examples_from_records


@pytest.fixture(scope="module")
def taxonomy_analyzer() -> Analyzer:
    """The default taxonomy alone (the cold start of a new workspace)."""
    return Analyzer(taxonomy=default_taxonomy(), spacy_model="blank")


@pytest.fixture(scope="module")
def model_analyzer() -> Analyzer:
    """The default taxonomy with the shipped default model."""
    return Analyzer(taxonomy=default_taxonomy(), model=load_model(None), spacy_model="blank")


@pytest.fixture(scope="session")
def shipped_examples() -> list[LabeledExample]:
    text = resources.files("nlp").joinpath("data/comments.jsonl").read_text(encoding="utf-8")
    return examples_from_records([json.loads(line) for line in text.splitlines() if line])

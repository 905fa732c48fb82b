"""The pipeline's sentence split, read while the tokens are read, is spaCy's own."""

from __future__ import annotations

import json
from importlib import resources

from spacy.attrs import IS_PUNCT, ORTH

from nlp import Analyzer
from nlp.pipeline import get_pipeline, sentence_ends, sentence_starts

TEXTS = [
    "Fast. Really fast!! But the export... it fails?! Every time",
    "no punctuation at all just words",
    "Wait.\n\nNew paragraph. “Quoted.” (Aside.) Next one",
    "Ends with a period.",
    "...",
    "",
    "¿Qué? Bien. 日本語。テスト",
]


def _texts() -> list[str]:
    lines = resources.files("nlp").joinpath("data/comments.jsonl").read_text("utf-8").splitlines()
    return [*TEXTS, *(json.loads(line)["text"] for line in lines if line.strip())]


def test_sentences_start_where_spacys_sentencizer_starts_them():
    nlp = get_pipeline("blank")
    ends = sentence_ends(nlp)
    assert ends is not None and "." in ends
    for doc in nlp.pipe(_texts(), disable=["lemmatizer"]):
        raw = doc.to_array([ORTH, IS_PUNCT])
        texts = [nlp.vocab.strings[h] for h in raw[:, 0].tolist()] if len(doc) else []
        punct = (raw[:, 1] != 0).tolist() if len(doc) else []
        assert sentence_starts(texts, punct, ends) == [bool(t.is_sent_start) for t in doc]


def test_analysis_scores_each_sentence_of_a_comment():
    analyzer = Analyzer(spacy_model="blank")
    parsed = analyzer.parse(["Support was great. The export is broken! Pricing is fine"])[0]
    assert len(parsed.sentences) == 3
    assert parsed.sentence_scores[0][3] > 0 > parsed.sentence_scores[1][3]

"""Optional static embeddings in the model2vec format, read from a folder the caller names."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

from nlp import Analyzer, ModelError, default_taxonomy
from nlp.embeddings import load_embeddings
from nlp.learn import train

WORDS = ["[UNK]", "slow", "fast", "support", "price", "crash", "##es", "great", "app", "the"]


def write_model2vec(folder, vectors: np.ndarray) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    data = vectors.astype(np.float32).tobytes()
    header = {"embeddings": {"dtype": "F32", "shape": list(vectors.shape),
                             "data_offsets": [0, len(data)]}}  # fmt: skip
    raw = json.dumps(header).encode()
    (folder / "model.safetensors").write_bytes(struct.pack("<Q", len(raw)) + raw + data)
    vocab = {w: i for i, w in enumerate(WORDS)}
    tokenizer = {
        "normalizer": {"type": "BertNormalizer", "lowercase": True},
        "model": {"type": "WordPiece", "vocab": vocab},
    }
    (folder / "tokenizer.json").write_text(json.dumps(tokenizer))


@pytest.fixture
def folder(tmp_path):
    rng = np.random.default_rng(0)
    write_model2vec(tmp_path / "m2v", rng.normal(size=(len(WORDS), 8)))
    return tmp_path / "m2v"


def test_texts_sharing_words_get_close_vectors(folder):
    emb = load_embeddings(folder)
    a, b, c = emb.embed(["The app is slow", "slow app", "great support"])
    assert float(a @ b) > float(a @ c)
    assert np.allclose(np.linalg.norm(emb.embed(["crashes"])), 1.0)


def test_model_trained_with_embeddings_needs_them(folder, shipped_examples):
    model, report = train(
        shipped_examples[:200], default_taxonomy(), embeddings_path=folder, folds=2,
        spacy_model="blank",
    )  # fmt: skip
    assert model.config["embedding_dim"] == 8
    with_vectors = Analyzer(model=model, embeddings_path=folder, spacy_model="blank")
    assert with_vectors.analyse("the app crashes").themes
    with pytest.raises(ModelError, match="embeddings"):
        Analyzer(model=model, spacy_model="blank")


def test_unreadable_embeddings_raise_model_error(tmp_path):
    (tmp_path / "model.safetensors").write_bytes(b"\x00\x01")
    with pytest.raises(ModelError):
        load_embeddings(tmp_path)

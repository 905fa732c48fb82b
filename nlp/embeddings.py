"""Static sentence embeddings from a model2vec folder, read without extra libraries.

A model2vec model is a folder with `model.safetensors` (one matrix: a vector per token) and
`tokenizer.json` (the token vocabulary). A sentence's embedding is the mean of its tokens'
vectors. Tokens are found by greedy longest match over the vocabulary, which is how WordPiece
splits a word and close enough for the other tokenizer kinds.
"""

from __future__ import annotations

import hashlib
import json
import re
import struct
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from nlp.errors import ModelError

_DTYPES = {"F16": np.float16, "F32": np.float32, "F64": np.float64, "I8": np.int8}
_WORDS = re.compile(r"\w+|[^\w\s]")
# Sentence-piece and byte-level tokenizers mark the start of a word with these characters.
_WORD_START = ("▁", "Ġ")


class Embeddings:
    """Token vectors and a vocabulary; embed() turns texts into unit-length mean vectors."""

    def __init__(self, vectors: np.ndarray, vocab: dict[str, int], lowercase: bool = True) -> None:
        self.vectors = vectors.astype(np.float32, copy=False)
        self.vocab = vocab
        self.lowercase = lowercase
        self.dim = int(vectors.shape[1])
        self._start = next((m for m in _WORD_START if any(t.startswith(m) for t in vocab)), "")
        self._longest = max((len(t) for t in vocab), default=1)
        self._cache: dict[str, list[int]] = {}

    @property
    def fingerprint(self) -> str:
        """Identifies the vectors, so a model refuses embeddings other than its own."""
        digest = hashlib.sha256(self.vectors[: min(64, len(self.vectors))].tobytes())
        return f"{self.vectors.shape[0]}x{self.dim}:{digest.hexdigest()[:16]}"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            ids = [i for word in self._words(text) for i in self._pieces(word)]
            if ids:
                vec = self.vectors[ids].mean(axis=0)
                norm = float(np.linalg.norm(vec))
                if norm > 0:
                    out[row] = vec / norm
        return out

    def _words(self, text: str) -> list[str]:
        return _WORDS.findall(text.lower() if self.lowercase else text)

    def _pieces(self, word: str) -> list[int]:
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        ids: list[int] = []
        rest, first = word, True
        while rest:
            for size in range(min(len(rest), self._longest), 0, -1):
                piece = rest[:size]
                key = (self._start + piece) if first and self._start else piece
                if not first and not self._start:
                    key = "##" + piece
                if key in self.vocab:
                    ids.append(self.vocab[key])
                    rest, first = rest[size:], False
                    break
            else:
                rest, first = rest[1:], False  # a character outside the vocabulary: skip it
        if len(self._cache) < 200_000:
            self._cache[word] = ids
        return ids


def load_embeddings(path: str | Path) -> Embeddings:
    """Load a model2vec folder (model.safetensors + tokenizer.json); raises ModelError."""
    folder = Path(path)
    try:
        vectors = _read_safetensors(folder / "model.safetensors")
        tokenizer = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, struct.error) as exc:
        raise ModelError(f"cannot read embeddings in {folder}: {exc}") from exc
    vocab = _vocab(tokenizer)
    if not vocab or max(vocab.values()) >= len(vectors):
        raise ModelError(f"embeddings in {folder}: vocabulary and vectors do not match")
    normalizer = json.dumps(tokenizer.get("normalizer") or {}).lower()
    return Embeddings(vectors, vocab, lowercase="lowercase" in normalizer or not normalizer)


def _read_safetensors(path: Path) -> np.ndarray:
    raw = path.read_bytes()
    (size,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + size])
    header.pop("__metadata__", None)
    name = "embeddings" if "embeddings" in header else next(iter(header))
    info = header[name]
    dtype = _DTYPES.get(info["dtype"])
    if dtype is None:
        raise ValueError(f"unsupported tensor type {info['dtype']}")
    begin, end = info["data_offsets"]
    data = raw[8 + size + begin : 8 + size + end]
    array = np.frombuffer(data, dtype=dtype).reshape(info["shape"])
    if array.ndim != 2:
        raise ValueError("the embeddings tensor must be a matrix")
    return array.astype(np.float32)


def _vocab(tokenizer: dict) -> dict[str, int]:
    vocab = (tokenizer.get("model") or {}).get("vocab")
    if isinstance(vocab, dict):
        return {str(k): int(v) for k, v in vocab.items()}
    if isinstance(vocab, list):  # Unigram: [[piece, score], ...] in id order
        return {str(item[0]): i for i, item in enumerate(vocab)}
    return {}

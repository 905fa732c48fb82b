"""Static sentence embeddings from a model2vec folder, read without extra libraries.

A model2vec model is a folder with `model.safetensors` (one matrix: a vector per token) and
`tokenizer.json` (the token vocabulary and how text is split into tokens). A sentence's
embedding is the mean of its tokens' vectors, scaled to unit length.

WordPiece tokenizers (BERT's, as in the shipped embeddings) are followed exactly: the BERT
normalizer (control characters dropped, lower case and accents stripped when it says so),
splitting on white space and punctuation, then greedy longest match with "##" continuations,
a word with no match becoming the unknown token, which is left out of the mean as model2vec
does. Other tokenizer kinds (Unigram, BPE) get the same greedy longest match with their
word-start marker, which is close enough for a static mean.

default_embeddings_path() is the folder shipped in nlp/data/embeddings (None if absent);
resolve_embeddings() turns what a caller passed (a folder, SHIPPED or None) into a folder.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import struct
import unicodedata
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import numpy as np
from scipy import sparse

from nlp.errors import ModelError

_DTYPES = {"F16": np.float16, "F32": np.float32, "F64": np.float64, "I8": np.int8}
# BERT's pre-tokenizer on ASCII text: runs of letters, digits and controls, or one punctuation.
_ASCII_WORDS = re.compile(r"[^\s!-/:-@\[-`{-~]+|[!-/:-@\[-`{-~]")
# Sentence-piece and byte-level tokenizers mark the start of a word with these characters.
_WORD_START = ("▁", "Ġ")
# As many tokens as model2vec reads of a text by default.
MAX_TOKENS = 512
# How a text's token vectors become one: their mean, or their mean and element-wise maximum.
MEAN = "mean"
MEAN_MAX = "mean+max"


# What callers pass for "the embeddings shipped with the package, if there are any".
SHIPPED = "shipped"


def default_embeddings_path() -> Path | None:
    """The shipped static embeddings (nlp/data/embeddings), or None when they are absent."""
    folder = Path(str(resources.files("nlp").joinpath("data/embeddings")))
    if (folder / "model.safetensors").is_file() and (folder / "tokenizer.json").is_file():
        return folder
    return None


def resolve_embeddings(path: str | Path | None) -> Path | None:
    """A folder of embeddings from a caller's choice: a path, SHIPPED (the shipped ones when
    present) or None / "none" (no embeddings)."""
    if path is None or str(path).lower() == "none":
        return None
    if str(path) == SHIPPED:
        return default_embeddings_path()
    return Path(path)


@functools.lru_cache(maxsize=2)
def shipped_embeddings() -> Embeddings | None:
    """The shipped embeddings, loaded once per process and shared (None when absent)."""
    folder = default_embeddings_path()
    return load_embeddings(folder) if folder is not None else None


class Embeddings:
    """Token vectors and a vocabulary; embed() turns texts into unit-length mean vectors."""

    def __init__(
        self,
        vectors: np.ndarray,
        vocab: dict[str, int],
        lowercase: bool = True,
        *,
        strip_accents: bool | None = None,
        wordpiece: bool = False,
        prefix: str = "##",
        unknown: str | None = None,
        max_chars: int = 100,
        max_tokens: int | None = MAX_TOKENS,
    ) -> None:
        self.vectors = vectors.astype(np.float32, copy=False)
        self.vocab = vocab
        self.lowercase = lowercase
        # BERT strips accents whenever it lower-cases, unless told otherwise.
        self.strip_accents = lowercase if strip_accents is None else strip_accents
        self.wordpiece = wordpiece
        self.prefix = prefix
        self.unknown = vocab.get(unknown) if unknown is not None else None
        self.max_chars = max_chars
        self.max_tokens = max_tokens
        self.dim = int(vectors.shape[1])
        self._start = (
            ""
            if wordpiece
            else next((m for m in _WORD_START if any(t.startswith(m) for t in vocab)), "")
        )
        self._longest = max((len(t) for t in vocab), default=1)
        self._cache: dict[str, list[int]] = {}

    @property
    def fingerprint(self) -> str:
        """Identifies the vectors, so a model refuses embeddings other than its own."""
        digest = hashlib.sha256(self.vectors[: min(64, len(self.vectors))].tobytes())
        return f"{self.vectors.shape[0]}x{self.dim}:{digest.hexdigest()[:16]}"

    def tokens(self, text: str) -> list[int]:
        """The token ids of a text, the unknown token left out, at most max_tokens."""
        ids: list[int] = []
        get, pieces = self._cache.get, self._pieces
        for word in self._words(text):
            found = get(word)
            ids += pieces(word) if found is None else found
        limit = self.max_tokens
        if limit is not None and len(ids) > limit:
            ids = ids[:limit]
        unknown = self.unknown
        if unknown is not None and unknown in ids:
            ids = [i for i in ids if i != unknown]
        return ids

    def width(self, pooling: str = MEAN) -> int:
        """The length of a text's vector with this pooling."""
        return self.dim * (2 if pooling == MEAN_MAX else 1)

    def embed(self, texts: Sequence[str], pooling: str = MEAN) -> np.ndarray:
        """One row per text (zeros for a text without known tokens): the unit-length mean of
        its token vectors and, with MEAN_MAX, their element-wise maximum after it."""
        rows: list[int] = []
        cols: list[int] = []
        for row, text in enumerate(texts):
            ids = self.tokens(text)
            cols.extend(ids)
            rows.extend([row] * len(ids))
        mean = self._mean(texts, rows, cols)
        if pooling == MEAN:
            return mean
        if pooling != MEAN_MAX:
            raise ValueError(f"unknown pooling {pooling!r}")
        # The strongest value of each dimension: one word that speaks of a theme is not
        # averaged away by the rest of a long comment.
        peak = np.zeros((len(texts), self.dim), dtype=np.float32)
        if cols:
            order = np.asarray(rows)
            starts = np.flatnonzero(np.r_[True, order[1:] != order[:-1]])
            peak[order[starts]] = np.maximum.reduceat(self.vectors[cols], starts, axis=0)
        return np.hstack([mean, _unit(peak)])

    def _mean(self, texts: Sequence[str], rows: list[int], cols: list[int]) -> np.ndarray:
        # The mean of each text's token vectors as one sparse product; the mean's scale does
        # not matter since the rows are then scaled to unit length.
        counts = sparse.csr_matrix(
            (np.ones(len(cols), dtype=np.float32), (rows, cols)),
            shape=(len(texts), len(self.vectors)),
        )
        return _unit(np.asarray(counts @ self.vectors, dtype=np.float32))

    def _words(self, text: str) -> list[str]:
        if self.lowercase:
            text = text.lower()
        if text.isascii():
            return _ASCII_WORDS.findall(text)
        # Word by word: most words of a text with an accent or an emoji are still plain ASCII,
        # and the few others recur, so their accents are stripped once per word.
        words: list[str] = []
        for chunk in text.split():
            if not chunk.isascii() and self.strip_accents:
                chunk = _strip_accents(chunk)
            if chunk.isascii() and chunk.isprintable():
                words += _ASCII_WORDS.findall(chunk)
            else:
                words += _split(chunk)
        return words

    def _pieces(self, word: str) -> list[int]:
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        ids = self._wordpiece(word) if self.wordpiece else self._greedy(word)
        if len(self._cache) < 200_000:
            self._cache[word] = ids
        return ids

    def _wordpiece(self, word: str) -> list[int]:
        """BERT's WordPiece: greedy longest match; no match anywhere makes it unknown."""
        unknown = [] if self.unknown is None else [self.unknown]
        if len(word) > self.max_chars:
            return unknown
        ids: list[int] = []
        vocab, start = self.vocab, 0
        while start < len(word):
            end = min(len(word), start + self._longest)
            found = None
            while end > start:
                piece = word[start:end]
                if start:
                    piece = self.prefix + piece
                found = vocab.get(piece)
                if found is not None:
                    break
                end -= 1
            if found is None:
                return unknown
            ids.append(found)
            start = end
        return ids

    def _greedy(self, word: str) -> list[int]:
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
        return ids


def _unit(rows: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(rows, axis=1)
    norms[norms == 0] = 1.0
    return rows / norms[:, None]


# Called per word: words recur, whereas whole comments never would and only held memory.
@functools.lru_cache(maxsize=4096)
def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


def _split(text: str) -> list[str]:
    """BERT's normalizer and pre-tokenizer on any text: control characters dropped, white
    space and punctuation split off, and each Chinese, Japanese or Korean ideograph a word."""
    words: list[str] = []
    current: list[str] = []
    for char in text:
        code = ord(char)
        if char.isspace():
            kind = "space"
        elif code == 0 or code == 0xFFFD or unicodedata.category(char) in ("Cc", "Cf"):
            continue
        elif _is_punctuation(char, code) or _is_ideograph(code):
            kind = "alone"
        else:
            current.append(char)
            continue
        if current:
            words.append("".join(current))
            current = []
        if kind == "alone":
            words.append(char)
    if current:
        words.append("".join(current))
    return words


def _is_punctuation(char: str, code: int) -> bool:
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def _is_ideograph(code: int) -> bool:
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0x20000 <= code <= 0x2A6DF
        or 0x2A700 <= code <= 0x2B73F
        or 0x2B740 <= code <= 0x2B81F
        or 0x2B820 <= code <= 0x2CEAF
        or 0xF900 <= code <= 0xFAFF
        or 0x2F800 <= code <= 0x2FA1F
    )


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
    model = tokenizer.get("model") or {}
    normalizer = tokenizer.get("normalizer") or {}
    if normalizer.get("type") == "BertNormalizer":
        lowercase = bool(normalizer.get("lowercase", True))
        strip = normalizer.get("strip_accents")
        strip_accents = None if strip is None else bool(strip)
    else:
        lowercase = "lowercase" in json.dumps(normalizer).lower() or not normalizer
        strip_accents = "stripaccents" in json.dumps(normalizer).lower()
    return Embeddings(
        vectors,
        vocab,
        lowercase=lowercase,
        strip_accents=strip_accents,
        wordpiece=model.get("type") == "WordPiece",
        prefix=str(model.get("continuing_subword_prefix") or "##"),
        unknown=model.get("unk_token"),
        max_chars=int(model.get("max_input_chars_per_word") or 100),
    )


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

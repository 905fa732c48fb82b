"""Compressed answers: which coding a client accepts (br, gzip or none), and the bytes in it.

One rule for the widget script (compressed once, at the best level) and for the public API's
JSON answers (compressed as they go, at a cheap level).
"""

from __future__ import annotations

import gzip
from collections.abc import Callable

import brotli
from flask import Response
from werkzeug.datastructures import Accept

# On a tie the first wins: brotli makes the widget about a fifth smaller than gzip does.
CODINGS = ("br", "gzip")
# Below this the saving is about what the Content-Encoding and Vary headers cost.
MIN_BYTES = 512


def _quality(accepted: Accept, coding: str) -> float:
    # A coding named outright overrides "*" (RFC 9110 12.5.3), so "gzip;q=0, *" refuses gzip.
    named = [q for value, q in accepted if value.lower() == coding]
    if named:
        return named[0]
    return next((q for value, q in accepted if value == "*"), 0.0)


def chosen_coding(accepted: Accept) -> str | None:
    """The coding to answer in: the client's best-rated of br and gzip; None for identity."""
    best, best_q = None, 0.0
    for coding in CODINGS:
        quality = _quality(accepted, coding)
        if quality > best_q:
            best, best_q = coding, quality
    return best


def compress(body: bytes, coding: str, best: bool = False) -> bytes:
    """`body` in `coding`; `best` spends time only worth spending on bytes compressed once."""
    if coding == "br":
        return brotli.compress(body, quality=11 if best else 4)
    # mtime=0: the same bytes every time, so the same body never looks changed.
    return gzip.compress(body, compresslevel=9 if best else 6, mtime=0)


def compress_answer(response: Response, accepted: Callable[[], Accept]) -> Response:
    """Compress a buffered answer of MIN_BYTES or more in the coding the client prefers;
    `accepted` reads the request's Accept-Encoding, parsed only for an answer that long."""
    length = response.content_length
    if length is not None and length < MIN_BYTES:
        return response  # never compressed, whatever the client accepts: no Vary either
    response.vary.add("Accept-Encoding")
    if (
        response.direct_passthrough
        or response.is_streamed
        or "Content-Encoding" in response.headers
        or response.status_code in (204, 304)
    ):
        return response
    coding = chosen_coding(accepted())
    body = response.get_data()
    if coding is None or len(body) < MIN_BYTES:
        return response
    response.set_data(compress(body, coding))
    response.headers["Content-Encoding"] = coding
    return response

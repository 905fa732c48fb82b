"""Which coding an answer goes out in."""

from __future__ import annotations

import pytest
from werkzeug.http import parse_accept_header

from feedback.compression import chosen_coding

CHROMIUM = "gzip, deflate, br, zstd"


@pytest.mark.parametrize(
    ("header", "coding"),
    [
        (CHROMIUM, "br"),
        ("gzip, deflate", "gzip"),
        ("br;q=0.5, gzip", "gzip"),  # the client's rating wins
        ("*", "br"),
        ("gzip;q=0, *", "br"),
        ("br;q=0, gzip;q=0, *", None),  # named outright, so "*" does not bring them back
        ("", None),
        ("identity", None),
    ],
)
def test_the_coding_follows_accept_encoding(header: str, coding: str | None) -> None:
    assert chosen_coding(parse_accept_header(header)) == coding

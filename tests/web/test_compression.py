"""Which coding an answer goes out in, and the public API's answers compressed on the way."""

from __future__ import annotations

import gzip
import json

import brotli
import pytest
from flask.testing import FlaskClient
from werkzeug.http import parse_accept_header

from feedback.demo.seed import seed_demo_workspace
from feedback.web.compression import MIN_BYTES, chosen_coding
from tests.factories import make_survey, make_tenant

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


def _long_survey(t) -> None:
    options = [f"Reason {i}: how the agent handled the question" for i in range(20)]
    make_survey(
        t.workspace,
        "csat",
        followups=[
            {"id": "reason", "type": "single", "prompt": "What was it about?", "options": options},
            {"id": "detail", "type": "text", "prompt": "Tell us more about it, please."},
        ],
    )


def test_a_long_public_answer_is_compressed_for_a_client_that_takes_it(
    client: FlaskClient,
) -> None:
    t = make_tenant(client)
    _long_survey(t)
    plain = client.post(t.public("/eligibility"), json={"anonymous_id": "anon-12345678"})
    assert len(plain.data) > 1024 and "Content-Encoding" not in plain.headers
    for header, decode in ((CHROMIUM, brotli.decompress), ("gzip", gzip.decompress)):
        packed = client.post(
            t.public("/eligibility"),
            json={"anonymous_id": "anon-12345678"},
            headers={"Accept-Encoding": header},
        )
        assert packed.headers["Content-Encoding"] in header
        assert {"Origin", "Accept-Encoding"} <= set(packed.headers["Vary"].split(", "))
        assert decode(packed.data) == plain.data
        assert len(packed.data) < 1024


def test_a_short_public_answer_goes_as_it_is(client: FlaskClient) -> None:
    t = make_tenant(client)
    res = client.post(
        t.public("/eligibility"),
        json={"anonymous_id": "anon-12345678"},
        headers={"Accept-Encoding": CHROMIUM},
    )
    assert len(res.data) < MIN_BYTES and "Content-Encoding" not in res.headers
    assert res.json["show"] is False


def test_the_demo_first_eligibility_answer_fits_in_1kb(client: FlaskClient) -> None:
    demo = seed_demo_workspace(responses=60)
    res = client.post(
        f"/api/public/{demo.workspace.public_key}/eligibility",
        json={"url": "http://localhost:8000/", "anonymous_id": "anon-12345678"},
        headers={"Accept-Encoding": CHROMIUM},
    )
    assert res.status_code == 200
    body = brotli.decompress(res.data) if res.headers.get("Content-Encoding") else res.data
    assert json.loads(body)["show"] is True  # the demo's NPS survey, with its follow-ups
    assert len(res.data) <= 1024

"""The widget script is served compressed, versioned and with caching a host page can rely on."""

from __future__ import annotations

import gzip
from pathlib import Path

import brotli
import pytest
from flask import Flask
from flask.testing import FlaskClient

from feedback.accounts import workspaces
from feedback.extensions import db
from feedback.widget.script import embed_snippet, script_url, widget_script

SOURCE = (Path(__file__).resolve().parents[2] / "feedback" / "static" / "widget.js").read_bytes()
CHROMIUM = "gzip, deflate, br, zstd"  # what Chromium sends
BUDGET = 10 * 1024  # bytes on the wire, card and styles included (DESIGN.md)


def _pinned(client: FlaskClient, encoding: str = CHROMIUM, **headers: str):
    path = script_url("http://x").removeprefix("http://x")
    return client.get(path, headers={"Accept-Encoding": encoding, **headers})


def test_brotli_goes_to_a_browser_that_takes_it(client: FlaskClient) -> None:
    res = _pinned(client)
    assert res.status_code == 200
    assert res.headers["Content-Encoding"] == "br"
    assert "Accept-Encoding" in res.headers["Vary"]
    assert brotli.decompress(res.data) == SOURCE
    assert res.headers["Content-Length"] == str(len(res.data))


def test_gzip_goes_to_a_client_without_brotli(client: FlaskClient) -> None:
    res = _pinned(client, "gzip, deflate")
    assert res.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(res.data) == SOURCE


@pytest.mark.parametrize("encoding", ["", "identity", "deflate", "br;q=0, gzip;q=0"])
def test_plain_bytes_go_to_a_client_that_takes_neither(client: FlaskClient, encoding) -> None:
    res = _pinned(client, encoding)
    assert "Content-Encoding" not in res.headers
    assert res.data == SOURCE
    assert "Accept-Encoding" in res.headers["Vary"]


def test_the_versioned_url_is_kept_a_year_and_the_bare_one_minutes(client: FlaskClient) -> None:
    assert _pinned(client).headers["Cache-Control"] == "public, max-age=31536000, immutable"
    for path in ("/widget.js", "/widget.js?v=0123456789abcdef"):  # old snippet, old version
        cache = client.get(path).headers["Cache-Control"]
        assert "max-age=300" in cache and "immutable" not in cache


def test_each_coding_has_its_own_etag_and_revalidates(client: FlaskClient) -> None:
    tags = {enc: _pinned(client, enc).headers["ETag"] for enc in (CHROMIUM, "gzip", "")}
    assert len(set(tags.values())) == 3
    for encoding, etag in tags.items():
        again = _pinned(client, encoding, **{"If-None-Match": etag})
        assert again.status_code == 304 and again.data == b""
        assert again.headers["ETag"] == etag
    # A cached gzip copy does not stand in for the brotli one.
    assert _pinned(client, CHROMIUM, **{"If-None-Match": tags["gzip"]}).status_code == 200


def test_the_version_follows_the_content(client: FlaskClient) -> None:
    script = widget_script()
    assert script_url("http://app.test/") == f"http://app.test/widget.js?v={script.version}"
    assert widget_script() is script  # compressed once, not per request


def test_the_bytes_that_travel_fit_the_budget(client: FlaskClient) -> None:
    for encoding in (CHROMIUM, "gzip"):
        assert len(_pinned(client, encoding).data) <= BUDGET, encoding


def test_demo_page_needs_the_demo_workspace(app: Flask, client: FlaskClient) -> None:
    app.config["FEEDBACK_ENV"] = "development"
    assert client.get("/demo").status_code == 404


def test_demo_page_exists_only_in_development(app: Flask, client: FlaskClient) -> None:
    workspaces.create_workspace("Acme Analytics (demo)", "demo")
    db.session.commit()
    assert client.get("/demo").status_code == 404  # production, the default
    app.config["FEEDBACK_ENV"] = "development"
    page = client.get("/demo")
    assert page.status_code == 200
    assert f"/widget.js?v={widget_script().version}" in page.get_data(as_text=True)


def test_the_snippet_names_nobody_until_told_to() -> None:
    # Placeholders sent as they are ("EMAIL" is no address) would make every call a 422.
    lines = embed_snippet("http://127.0.0.1:5077", "pk_demo").splitlines()
    assert lines[0] == "<script>" and lines[-1] == "</script>"
    code = [line for line in lines[1:-1] if not line.startswith("//")]
    assert len(code) == 1 and "identify" not in code[0]
    assert '"http://127.0.0.1:5077/widget.js?v=' in code[0] and '"pk_demo");' in code[0]
    assert lines[-2] == (
        '// feedback("identify", "USER_ID", '
        '{email: "EMAIL", traits: {plan: "PLAN"}, userHash: "USER_HASH"});'
    )

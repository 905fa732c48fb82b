"""The widget script is served with caching a host page can rely on."""

from __future__ import annotations

from flask.testing import FlaskClient


def test_widget_is_cached_and_revalidated(client: FlaskClient) -> None:
    first = client.get("/widget.js")
    assert first.status_code == 200
    assert first.mimetype == "text/javascript"
    assert "max-age=300" in first.headers["Cache-Control"]
    etag = first.headers["ETag"]
    again = client.get("/widget.js", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""


def test_demo_page_needs_the_demo_workspace(client: FlaskClient) -> None:
    assert client.get("/demo").status_code == 404

"""The widget script is served with caching a host page can rely on."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from feedback.extensions import db
from feedback.services import workspaces


def test_widget_is_cached_and_revalidated(client: FlaskClient) -> None:
    first = client.get("/widget.js")
    assert first.status_code == 200
    assert first.mimetype == "text/javascript"
    assert "max-age=300" in first.headers["Cache-Control"]
    etag = first.headers["ETag"]
    again = client.get("/widget.js", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""


def test_demo_page_needs_the_demo_workspace(app: Flask, client: FlaskClient) -> None:
    app.config["FEEDBACK_ENV"] = "development"
    assert client.get("/demo").status_code == 404


def test_demo_page_exists_only_in_development(app: Flask, client: FlaskClient) -> None:
    workspaces.create_workspace("Acme Analytics (demo)", "demo")
    db.session.commit()
    assert client.get("/demo").status_code == 404  # production, the default
    app.config["FEEDBACK_ENV"] = "development"
    assert client.get("/demo").status_code == 200

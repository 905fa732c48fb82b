"""The app served on loopback, and Delighted's official client pointed at it."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

with warnings.catch_warnings():
    # The client warns on import that Delighted has closed: the reason this API exists.
    warnings.simplefilter("ignore", FutureWarning)
    import delighted


@pytest.fixture
def base_url(app: Flask) -> Iterator[str]:
    """The app of this test (SQLite or PostgreSQL) served from a thread; its Delighted base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/delighted/v1/"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def use_key(base_url: str) -> Iterator[Any]:
    """`use_key(secret)` points the client's module settings at the app with this key."""
    saved = (delighted.api_key, delighted.api_base_url, delighted.shared_client)

    def point(secret: str) -> None:
        delighted.api_key = secret
        delighted.api_base_url = base_url
        delighted.shared_client = None  # the client keeps its first key otherwise

    yield point
    delighted.api_key, delighted.api_base_url, delighted.shared_client = saved

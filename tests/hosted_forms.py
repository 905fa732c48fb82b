"""Filling in the hosted page's forms as a browser without JavaScript would."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from flask.testing import FlaskClient

_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
_CHECKED = re.compile(
    r'<input type="(?:radio|checkbox)" name="([^"]+)" id="[^"]*" value="([^"]*)" checked>'
)
_ACTION = re.compile(r'<form method="post" action="([^"]+)"')


def hidden_fields(html: str) -> dict[str, str]:
    return {name: unescape(value) for name, value in _HIDDEN.findall(html)}


def send_form(client: FlaskClient, url: str, **fields: Any) -> Any:
    """Open `url`, then POST its form with the hidden fields and `fields` (not following)."""
    page = client.get(url)
    assert page.status_code == 200, page.text
    action = _ACTION.search(page.text)
    assert action, "the page has no form"
    # What a browser sends: the hidden fields, what is already chosen, what the user changed.
    chosen = {name: unescape(value) for name, value in _CHECKED.findall(page.text)}
    data = {**hidden_fields(page.text), **chosen, **fields}
    return client.post(unescape(action.group(1)), data=data)


def answer(client: FlaskClient, url: str, **fields: Any) -> Any:
    """Send a form and follow the redirect to the next step's page."""
    sent = send_form(client, url, **fields)
    assert sent.status_code == 303, sent.text
    return client.get(sent.headers["Location"])

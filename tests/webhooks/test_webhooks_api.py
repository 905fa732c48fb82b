"""The webhooks API at its edge: what a call may name, and how a wrong value is refused.

Deliveries to a real receiver are tested in tests/services/test_webhooks.py.
"""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.factories import OTHER_DIGITS, Tenant, make_tenant
from tests.resolver import Resolver


@pytest.fixture(autouse=True)
def _receiver_name(resolver: Resolver) -> None:
    # The receiver's name resolves to a public address; nothing is ever posted to it here.
    resolver.add("hooks.example.com", ["93.184.215.14"])


def hook_id(t: Tenant) -> int:
    made = t.post(
        "/api/v1/webhooks", {"url": "https://hooks.example.com/in", "events": ["case.opened"]}
    )
    assert made.status_code == 201, made.json
    return made.json["id"]


@pytest.mark.parametrize("url", ["http://[", "https://[::1/in", "https://hooks.example:99999/in"])
def test_a_url_urlsplit_refuses_is_a_422(client: FlaskClient, url: str) -> None:
    t = make_tenant(client)
    refused = t.post("/api/v1/webhooks", {"url": url, "events": ["case.opened"]})
    assert refused.status_code == 422 and refused.json["error"]["field"] == "url"
    assert t.get("/api/v1/webhooks").json["data"] == []


@OTHER_DIGITS
def test_a_limit_or_id_in_other_digits_is_refused(client: FlaskClient, script: dict) -> None:
    t = make_tenant(client)
    hook = str(hook_id(t))
    assert t.get(f"/api/v1/webhooks/{hook}/deliveries?limit=3").status_code == 200
    for limit in ("3".translate(script), "0", "201"):
        refused = t.get(f"/api/v1/webhooks/{hook}/deliveries?limit={limit}")
        assert refused.status_code == 422 and refused.json["error"]["field"] == "limit", limit
    assert t.get(f"/api/v1/webhooks/{hook.translate(script)}/deliveries").status_code == 404
    assert t.delete(f"/api/v1/webhooks/{hook.translate(script)}").status_code == 404
    assert len(t.get("/api/v1/webhooks").json["data"]) == 1

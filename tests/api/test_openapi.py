"""The published API contract: every route documented, every documented route real."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from feedback.openapi import document

API_PREFIXES = ("/api/public/", "/api/v1/")


def _routes(app: Flask) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API_PREFIXES):
            continue
        # Flask's <int:id> and <path:x> are OpenAPI's {id} and {x}.
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found.add((method.lower(), path))
    return found


def test_every_route_is_documented_and_every_documented_route_is_real(app: Flask) -> None:
    documented = {(method, path) for path, item in document()["paths"].items() for method in item}
    routes = _routes(app)
    assert sorted(routes - documented) == [], "routes missing from the OpenAPI document"
    assert sorted(documented - routes) == [], "documented operations with no route"


def test_the_document_is_valid_openapi_and_served(client: FlaskClient) -> None:
    served = client.get("/api/openapi.json")
    assert served.status_code == 200
    validate(served.get_json())
    # Path parameters are declared wherever they appear.
    for path, item in document()["paths"].items():
        for operation in item.values():
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == set(re.findall(r"{(\w+)}", path)), path

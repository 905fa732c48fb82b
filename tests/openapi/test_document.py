"""The published API contract: every route documented, every documented route real."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from feedback.openapi.document import document

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


def test_every_operation_has_one_declared_tag() -> None:
    doc = document()
    declared = [tag["name"] for tag in doc["tags"]]
    used = set()
    for path, item in doc["paths"].items():
        for operation in item.values():
            assert len(operation["tags"]) == 1 and operation["tags"][0] in declared, path
            used.add(operation["tags"][0])
    assert used == set(declared)  # no empty group


def test_operations_that_change_data_name_the_write_scope() -> None:
    for path, item in document()["paths"].items():
        for method, operation in item.items():
            if path.startswith("/api/v1/") and method in ("post", "patch", "put", "delete"):
                if path.startswith("/api/v1/helpdesk/"):
                    continue  # a key or the helpdesk's signature
                assert operation["security"] == [{"bearer": ["write"]}], (method, path)

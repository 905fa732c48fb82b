"""The OpenAPI 3 document of the public and management APIs, served at /api/openapi.json.

The document is data: openapi.yaml, next to this module, written by hand. Nothing in it comes
from code; tests/openapi/test_document.py checks it against the app's routes and constants instead,
and tests/api/test_fuzz.py fuzzes the API from it.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

import yaml
from flask import Blueprint, jsonify

bp = Blueprint("openapi", __name__)

SOURCE = "openapi.yaml"
# The file's block of pieces reused through YAML anchors: not part of the document itself.
SHARED = "x-shared"


@functools.cache
def document() -> dict[str, Any]:
    """The whole OpenAPI document, read once."""
    text = resources.files(__package__).joinpath(SOURCE).read_text(encoding="utf-8")
    doc = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    doc.pop(SHARED, None)
    return doc


@bp.get("/api/openapi.json")
def openapi_json() -> Any:
    return jsonify(document())

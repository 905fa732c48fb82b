"""The API reference page: the OpenAPI document read into groups and rendered on the server.

No script and nothing from another site (the page holds under the dashboard's CSP); what it
shows is the very document at /api/openapi.json, so the two cannot disagree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, render_template
from markupsafe import Markup, escape

from feedback.openapi.document import document

bp = Blueprint("reference", __name__)

METHODS = ("get", "post", "put", "patch", "delete")


@dataclass
class Field:
    name: str
    type: str
    required: bool = False
    where: str = ""
    description: str = ""


@dataclass
class Operation:
    method: str
    path: str
    summary: str
    auth: str
    params: list[Field] = field(default_factory=list)
    body_type: str | None = None  # the media type of the body, when there is one
    body: list[Field] = field(default_factory=list)
    body_note: str = ""
    answers: list[tuple[str, str, str]] = field(default_factory=list)  # status, text, shape
    errors: list[tuple[str, str]] = field(default_factory=list)  # status, code

    @property
    def anchor(self) -> str:
        return slug(f"{self.method} {self.path}")


@dataclass
class Section:
    name: str
    description: str
    operations: list[Operation]

    @property
    def anchor(self) -> str:
        return slug(self.name)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def code_spans(text: str) -> Markup:
    """Escape `text`, then show its `backquoted` parts as code."""
    parts = str(escape(text)).split("`")
    return Markup("".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts)))


def _resolve(doc: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if not ref:
        return node
    found: Any = doc
    for part in ref.removeprefix("#/").split("/"):
        found = found[part]
    return found


def type_of(doc: dict[str, Any], schema: dict[str, Any] | None) -> str:
    """A schema as a reader says it: "string", "integer or null", "one of: a, b", "Survey"."""
    if not schema:
        return "any"
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "enum" in schema:
        return "one of: " + ", ".join("null" if v is None else str(v) for v in schema["enum"])
    kinds = schema.get("type", "any")
    if isinstance(kinds, list):
        return " or ".join(kinds)
    if kinds == "array":
        return f"array of {type_of(doc, schema['items'])}" if schema.get("items") else "array"
    if kinds == "object" and not schema.get("properties"):
        return "object"
    return kinds


def _fields(doc: dict[str, Any], schema: dict[str, Any]) -> list[Field]:
    schema = _resolve(doc, schema)
    required = set(schema.get("required", []))
    return [
        Field(name, type_of(doc, sub), name in required, description=sub.get("description", ""))
        for name, sub in schema.get("properties", {}).items()
    ]


def _auth(operation: dict[str, Any]) -> str:
    security = operation.get("security")
    if security == []:
        return "none: the workspace's public key is in the path"
    if security and len(security) > 1:
        return "a secret key, or the helpdesk's signature (X-Feedback-Signature)"
    if security and security[0].get("bearer") == ["write"]:
        return "a secret key with the write scope"
    return "a secret key (read or write)"


def _operation(doc: dict[str, Any], method: str, path: str, raw: dict[str, Any]) -> Operation:
    op = Operation(method.upper(), path, raw.get("summary", ""), _auth(raw))
    for param in raw.get("parameters", []):
        op.params.append(
            Field(
                param["name"],
                type_of(doc, param.get("schema")),
                bool(param.get("required")),
                param["in"],
                param.get("description", ""),
            )
        )
    content = raw.get("requestBody", {}).get("content", {})
    for media, body in content.items():
        op.body_type = media
        op.body = _fields(doc, body.get("schema", {}))
        if not op.body and media == "application/json":
            op.body_note = "A JSON object; the README describes its fields."
    for status, answer in sorted(raw.get("responses", {}).items()):
        if "$ref" in answer:
            op.errors.append((status, answer["$ref"].rsplit("/", 1)[-1]))
            continue
        schema = answer.get("content", {}).get("application/json", {}).get("schema")
        op.answers.append((status, answer.get("description", ""), type_of(doc, schema)))
    return op


def sections(doc: dict[str, Any]) -> list[Section]:
    """The document's operations grouped by tag, in the document's order."""
    groups = {t["name"]: Section(t["name"], t.get("description", ""), []) for t in doc["tags"]}
    for path, item in doc["paths"].items():
        for method in METHODS:
            if method in item:
                operation = _operation(doc, method, path, item[method])
                groups[item[method]["tags"][0]].operations.append(operation)
    return [group for group in groups.values() if group.operations]


def error_codes(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """Every error code with what it means."""
    return [
        (code, answer["description"]) for code, answer in doc["components"]["responses"].items()
    ]


@bp.get("/api/reference")
def api_reference() -> str:
    doc = document()
    return render_template(
        "openapi/reference.html",
        doc=doc,
        sections=sections(doc),
        errors=error_codes(doc),
        code_spans=code_spans,
    )

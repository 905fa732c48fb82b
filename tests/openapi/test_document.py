"""The published API contract: every route documented, every documented route real, and what
the document repeats of the code (enums, bounds, error codes) equal to it."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from fnmatch import fnmatch
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate
from werkzeug.routing import Rule

from feedback.accounts.models import API_SCOPES
from feedback.audit.models import ACTIONS as AUDIT_ACTIONS
from feedback.cases.api import MAX_LIST
from feedback.cases.models import CASE_STATUSES, RESOLUTIONS
from feedback.cases.work import SETTABLE
from feedback.email.invites import MAX_INVITES
from feedback.errors import HTTP_CODES, MAX_ID
from feedback.metrics.loop_sums import LOOP_GROUPS
from feedback.metrics.models import PERSPECTIVES
from feedback.metrics.money import NPS_BANDS
from feedback.metrics.series import INTERVALS
from feedback.openapi.document import document
from feedback.responses.models import CHANNELS as RESPONSE_CHANNELS
from feedback.responses.models import RESPONDENT_EVENTS
from feedback.scorecard.kpi import GROUPS
from feedback.scorecard.kpis import MAX_VALUES as MAX_KPI_VALUES
from feedback.surveys.definition import CHANNELS as SURVEY_CHANNELS
from feedback.surveys.definition import STATUSES as SURVEY_STATUSES
from feedback.surveys.kinds import KINDS, MAX_SCORE
from feedback.webhooks.models import WEBHOOK_EVENTS, WEBHOOK_FORMATS
from feedback.webhooks.service import MAX_LOG

# Under /api/ but not the API: the document itself and its page.
NOT_DESCRIBED = {"/api/openapi.json", "/api/reference"}


def _api_rules(app: Flask) -> Iterator[tuple[str, Rule]]:
    """Every API route, with its path as OpenAPI writes it."""
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") and rule.rule not in NOT_DESCRIBED:
            # Flask's <int:id> and <path:x> are OpenAPI's {id} and {x}.
            yield re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule), rule


def _routes(app: Flask) -> set[tuple[str, str]]:
    found = set()
    for path, rule in _api_rules(app):
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


# -- the document against the code's constants ---------------------------------------------
# The document is data (feedback/openapi/openapi.yaml): where it repeats a constant of the code,
# these tests hold the two together, so a value added in one place fails here until it is added
# in the other.


def _walk(where: str, schema: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema inside `schema` (a $ref is walked where it is defined), with its address:
    `.field` for an object's property, `[]` for an array's items, `.*` for a map's values."""
    if not isinstance(schema, dict) or "$ref" in schema:
        return
    yield where, schema
    for name, sub in schema.get("properties", {}).items():
        yield from _walk(f"{where}.{name}", sub)
    yield from _walk(f"{where}[]", schema.get("items"))
    yield from _walk(f"{where}.*", schema.get("additionalProperties"))
    for alternative in schema.get("anyOf", []):
        yield from _walk(where, alternative)


def _schemas(doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema of the document: `Case.status` in a component, `GET /path name` for a
    parameter, `POST /path body.field` in a request body, `GET /path 200` in an answer."""
    for name, schema in doc["components"]["schemas"].items():
        yield from _walk(name, schema)
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            at = f"{method.upper()} {path}"
            for param in operation.get("parameters", []):
                yield from _walk(f"{at} {param['name']}", param["schema"])
            for media in operation.get("requestBody", {}).get("content", {}).values():
                yield from _walk(f"{at} body", media["schema"])
            for status, answer in operation["responses"].items():
                for media in answer.get("content", {}).values():
                    yield from _walk(f"{at} {status}", media["schema"])


CASE_RESOLUTION = [*RESOLUTIONS, None]  # null clears it
# Enums that list a constant's values, where they are in the document.
MIRRORED_ENUMS: dict[str, Sequence[Any]] = {
    "SurveyInput.kind": list(KINDS),
    "Survey.kind": list(KINDS),
    "Response.kind": list(KINDS),
    "GET /api/v1/metrics/{kind} kind": list(KINDS),
    "SurveyInput.channels[]": SURVEY_CHANNELS,
    "SurveyInput.status": SURVEY_STATUSES,
    "ResponseInput.channel": RESPONSE_CHANNELS,
    "Case.status": CASE_STATUSES,
    "CaseChange.status": SETTABLE,
    "CaseChange.resolution": CASE_RESOLUTION,
    "POST /api/v1/helpdesk/cases/{case_id} body.status": SETTABLE,
    "POST /api/v1/helpdesk/cases/{case_id} body.resolution": CASE_RESOLUTION,
    "POST /api/v1/api-keys body.scopes[]": API_SCOPES,
    "GET /api/v1/metrics/loop group_by": LOOP_GROUPS,
    "GET /api/v1/metrics/{kind} interval": INTERVALS,
    "POST /api/v1/webhooks body.events[]": WEBHOOK_EVENTS,
    "POST /api/v1/webhooks body.format": WEBHOOK_FORMATS,
    "POST /api/v1/respondents/{external_id}/events body.event": RESPONDENT_EVENTS,
    "RespondentEvent.event": RESPONDENT_EVENTS,
    "Money.by_band[].band": NPS_BANDS,
    "Money.churn.by_band[].band": NPS_BANDS,
    "Money.churn.by_month[].bands[].band": NPS_BANDS,
    "ScorecardKpi.group": GROUPS,
    "ScorecardKpi.perspective": PERSPECTIVES,
    "GET /api/v1/audit-events action": AUDIT_ACTIONS,
}
# Enums of the document's own, which no constant lists (the error codes have their own test).
OWN_ENUMS = {
    "Error.error.code",
    "Case.identity",  # verified or claimed, set where a response is recorded
    "GET /api/v1/cases owner",  # me, none, or a user id
    "GET /api/v1/cases overdue",
    # A note or a reply: NOTE_KINDS' third, "answer", is the respondent's, from the hosted page.
    "POST /api/v1/cases/{case_id}/notes body.kind",
    # What the money block says it holds (feedback/metrics/money.py).
    "Money.status",
    "Money.per",
    "Money.churn.status",
}


def test_every_enum_that_mirrors_a_constant_equals_it() -> None:
    enums: dict[str, list[list[Any]]] = {}
    for where, schema in _schemas(document()):
        if "enum" in schema:
            enums.setdefault(where, []).append(schema["enum"])
    unknown = sorted(set(enums) - set(MIRRORED_ENUMS) - OWN_ENUMS)
    assert unknown == [], "new enums: add each to MIRRORED_ENUMS (or OWN_ENUMS) in this test"
    missing = sorted(set(MIRRORED_ENUMS) - set(enums))
    assert missing == [], "MIRRORED_ENUMS names what the document no longer has"
    for where, expected in MIRRORED_ENUMS.items():
        for values in enums[where]:
            assert values == list(expected), f"{where} in openapi.yaml must list {expected}"


# Bounds that are a constant of the code: (address pattern, keyword, the constant).
MIRRORED_BOUNDS: tuple[tuple[str, str, int], ...] = (
    ("*.owner", "maximum", MAX_ID),  # a user id (a theme's owner is a name)
    ("GET /api/v1/cases owner", "maximum", MAX_ID),
    ("POST /api/v1/cases body.response", "maximum", MAX_ID),
    ("POST /api/v1/cases/{case_id}/merge body.case", "maximum", MAX_ID),
    ("POST /api/v1/cases/assign body.cases[]", "maximum", MAX_ID),
    ("* score_min", "maximum", MAX_SCORE),
    ("* score_max", "maximum", MAX_SCORE),
    ("GET /api/v1/webhooks/{webhook_id}/deliveries limit", "maximum", MAX_LOG),
    ("GET /api/v1/cases limit", "maximum", MAX_LIST),
    ("POST /api/v1/cases/assign body.cases", "maxItems", MAX_LIST),
    ("POST /api/v1/invites body.invites", "maxItems", MAX_INVITES),
    ("POST /api/v1/kpis/values body", "maxItems", MAX_KPI_VALUES),
)


def test_every_bound_that_mirrors_a_constant_equals_it() -> None:
    schemas = list(_schemas(document()))
    for pattern, keyword, constant in MIRRORED_BOUNDS:
        found = [(w, s[keyword]) for w, s in schemas if fnmatch(w, pattern) and keyword in s]
        assert found, f"nothing in the document is {pattern} with a {keyword}"
        assert all(value == constant for _, value in found), (found, constant)
    # Any larger number is an id, whose bound is the database's integer column's.
    for where, schema in schemas:
        if schema.get("maximum", 0) > 100_000:
            assert schema["maximum"] == MAX_ID, where


def test_a_routes_int_ids_are_documented_as_ids(app: Flask) -> None:
    # Flask's <int:name> is a row id (feedback.RowId: the digits 0-9, at most MAX_ID). The
    # cases' routes read theirs as text and check it the same way (cases.work.get_case).
    ints = set()
    for path, rule in _api_rules(app):
        ints |= {(path, name) for name in re.findall(r"<int:(\w+)>", rule.rule)}
    documented = set()
    for path, item in document()["paths"].items():
        for operation in item.values():
            for param in operation.get("parameters", []):
                if param["in"] == "path" and param["schema"].get("type") == "integer":
                    assert param["schema"] == {"type": "integer", "minimum": 1, "maximum": MAX_ID}
                    documented.add((path, param["name"]))
    assert sorted(ints - documented) == []


def test_every_operation_answers_the_errors_it_can_meet() -> None:
    doc = document()
    assert set(doc["components"]["responses"]) == set(HTTP_CODES.values())
    codes = doc["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]
    assert set(HTTP_CODES.values()) <= set(codes["enum"])
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            errors = {}
            for status, answer in operation["responses"].items():
                if "$ref" in answer:
                    errors[int(status)] = answer["$ref"].removeprefix("#/components/responses/")
            assert all(HTTP_CODES[status] == code for status, code in errors.items()), path
            # Any call may be malformed (a NUL in the query), unauthorized, about a missing
            # object, of the wrong method or one too many; a body may be too large, of the
            # wrong type or invalid; a change needs the write scope.
            expected = {400, 401, 404, 405, 429}
            if "requestBody" in operation:
                expected |= {413, 415, 422}
            if operation.get("security") == [{"bearer": ["write"]}]:
                expected.add(403)
            assert expected <= set(errors), (method, path, sorted(expected - set(errors)))

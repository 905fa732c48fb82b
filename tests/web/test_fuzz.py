"""The API fuzzed from its OpenAPI document: no input makes it fail, every answer is documented.

Three passes over every operation, each answer checked the same way (not a 5xx, a status code
the document lists, the documented shape, errors included):

- generated: Hypothesis (through schemathesis) makes valid and invalid paths, queries and
  bodies; half the time the path names rows that exist, so a body gets past the lookup of
  what it changes and reaches the checks of its fields;
- hostile: a valid call with one path or query parameter, one body field or the whole body
  swapped for a value that broke the API once, or is known to break Python code like it
  (digits of other scripts, unhashable JSON, strings longer than a file name, the calendar's
  ends). Random generation is unlikely to draw these; listing them makes sure it does not
  matter.

Run with -s to see how many calls each pass made.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from feedback.accounts import workspaces
from feedback.cases import routing as case_rules
from feedback.cases import work as cases
from feedback.cases.models import Case
from feedback.extensions import db
from feedback.openapi.document import document
from feedback.responses.models import Response
from feedback.webhooks import service as webhooks
from tests.factories import Tenant, make_survey, make_tenant
from tests.resolver import Resolver

pytestmark = pytest.mark.slow
EXAMPLES = 12
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]

# For a path or query parameter: superscript and Arabic-Indic digits ("²" passes str.isdigit
# but not int(), which reads "٣" as 3), a fullwidth one, what int() forgives (" 1", "1_0"),
# more digits than int() parses, a name longer than any file name, a folder of the timezone
# database, the calendar's ends, an unclosed IPv6 bracket.
HOSTILE_TEXT = (
    "²",
    "٣",
    "１",
    " 1",
    "1_0",
    "-1",
    "0",
    "1" * 5000,
    "x" * 6000,
    "America",
    "0001-01-01",
    "9999-12-31",
    "http://[",
    "",
)
# For a JSON value: the same, and every type where another is expected, unhashable ones
# (an object or a list where a dict key or set member is made of it), numbers past the
# integer columns, and times whose offset leaves the calendar.
HOSTILE_JSON = (
    "²",
    "٣",
    "1" * 5000,
    "x" * 6000,
    "America",
    "9999-12-31",
    "http://[",
    True,
    None,
    1.5,
    -1,
    2**63,
    {},
    [{}],
    [[]],
    [True],
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
)
# Schemathesis's WSGI transport asks for gzip (requests' default header) but never decodes
# it; compressed answers are tested in tests/test_compression.py.
PLAIN = {"Accept-Encoding": "identity"}
# A custom period needs both ends: the other one is given when one is swapped.
OTHER_END = {"from": ("to", "2026-01-31"), "to": ("from", "2026-01-01")}


@dataclass
class Tally:
    calls: Counter = field(default_factory=Counter)  # by pass
    seconds: Counter = field(default_factory=Counter)  # by pass
    server_errors: int = 0
    failures: list[str] = field(default_factory=list)

    def check(self, case: schemathesis.Case, response: Any) -> None:
        self.server_errors += response.status_code >= 500
        case.validate_response(response, checks=CHECKS)


@dataclass
class Fixture:
    """A workspace with a row of each kind: what the paths and the valid bodies name."""

    tenant: Tenant
    paths: dict[str, Any]
    bodies: dict[str, Any]


def _fixture(client: FlaskClient) -> Fixture:
    t = make_tenant(client, "Fuzzed")
    nps = make_survey(t.workspace, "nps")
    csat = make_survey(t.workspace, "csat")
    person = {"respondent": {"id": "cust-1", "email": "cust@example.com"}}
    body = {"survey": nps.public_id, "score": 2, "answers": {"improve": "Slow"}, **person}
    assert client.put(t.public("/responses/fuzz-0001"), json=body).status_code == 201
    response_id = db.session.scalar(select(Response.id))
    case_id = db.session.scalar(select(Case.id))
    owner = workspaces.add_user(t.workspace, "owner@fuzz.example", "password-123", "owner").id
    rule = case_rules.create_rule(
        t.workspace, {"name": "NPS", "conditions": {"kind": "nps"}, "owner": owner}, cases.SYSTEM
    )
    hook = webhooks.create_webhook(
        t.workspace, {"url": "https://hooks.example.com/in", "events": ["case.opened"]}
    )
    spare_key = workspaces.create_api_key(t.workspace, "spare").key.id
    db.session.commit()
    paths = {
        "public_key": t.workspace.public_key,
        "survey_id": nps.public_id,
        "client_id": "fuzz-0002",
        "response_id": response_id,
        "case_id": case_id,
        "rule_id": rule.id,
        "webhook_id": hook.id,
        "key_id": spare_key,
        "slug": "pricing",
        "metric": "churn",
        "kind": "nps",
        "external_id": "cust-1",
    }
    bodies = {
        "PATCH /api/v1/workspace": {"name": "Fuzzed", "timezone": "Europe/Paris"},
        "POST /api/v1/surveys": {"kind": "nps", "name": "Fuzzed", "channels": ["link"]},
        "PATCH /api/v1/surveys/{survey_id}": {"name": "Fuzzed", "channels": ["link", "email"]},
        "POST /api/v1/api-keys": {"name": "fuzzed", "scopes": ["read"]},
        "POST /api/v1/responses/{response_id}/themes": {"theme": "pricing", "sentiment": "mixed"},
        "POST /api/v1/themes": {"slug": "fuzzed", "name": "Fuzzed", "phrases": ["fuzz"]},
        "PATCH /api/v1/themes/{slug}": {"name": "Pricing", "phrases": ["price"]},
        "POST /api/v1/themes/{slug}/merge": {"into": "performance"},
        "POST /api/v1/invites": {
            "survey": nps.public_id,
            "scheduled_at": "2026-01-31T09:00:00Z",
            "invites": [{"email": "ann@example.com", "name": "Ann"}],
        },
        "PUT /api/v1/kpis/targets/{metric}": {"target": 2.5, "perspective": "financial"},
        "POST /api/v1/kpis/values": [{"metric": "churn", "date": "2026-01-31", "value": 2.5}],
        "POST /api/v1/webhooks": {"url": "https://hooks.example.com/b", "events": ["case.opened"]},
        "POST /api/v1/helpdesk/tickets": {
            "id": "T-1",
            "requester": {"email": "ann@example.com"},
            "survey": csat.public_id,
            "created_at": "2026-01-30T09:00:00Z",
            "solved_at": "2026-01-31T09:00:00Z",
            "contacts": 1,
        },
        "POST /api/v1/helpdesk/cases/{case_id}": {"status": "in_progress", "event_id": "e-1"},
        "POST /api/v1/cases": {"response": response_id},
        "PATCH /api/v1/cases/{case_id}": {"status": "in_progress", "owner": owner},
        "POST /api/v1/cases/{case_id}/notes": {"body": "Called back", "kind": "note"},
        "POST /api/v1/cases/{case_id}/merge": {"case": case_id},
        "POST /api/v1/cases/assign": {"cases": [case_id], "owner": owner},
        "POST /api/v1/case-rules": {"name": "CSAT", "conditions": {"kind": "csat"}, "owner": owner},
        "PATCH /api/v1/case-rules/{rule_id}": {"name": "NPS", "enabled": True},
        "POST /api/public/{public_key}/eligibility": {"url": "https://app.example.com/"},
        "PUT /api/public/{public_key}/responses/{client_id}": {"survey": nps.public_id, "score": 9},
        "POST /api/public/{public_key}/responses": {
            "id": "fuzz-0003",
            "survey": nps.public_id,
            "score": 9,
        },
        "POST /api/public/{public_key}/displays/{client_id}": {"survey": nps.public_id},
    }
    return Fixture(t, paths, bodies)


def _order(operation: Any) -> tuple[bool, bool, str]:
    # Deleting last, so the rows the other operations name are there for them; and revoking
    # keys last of all: once the fuzzer revokes its own key, every call is a 401.
    return (
        operation.path.startswith("/api/v1/api-keys/"),
        operation.method.upper() == "DELETE",
        operation.label,
    )


def _generated(operation: Any, mode: GenerationMode, known: Fixture, tally: Tally) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode), pin=st.booleans())
    def fuzz(case: schemathesis.Case, pin: bool) -> None:
        for name in case.path_parameters or {}:
            # The public key always, else the API answers 404 before anything is read.
            if name == "public_key" or pin:
                case.path_parameters[name] = known.paths[name]
        tally.calls[mode.value] += 1
        tally.check(case, case.call(headers={**known.tenant.headers, **PLAIN}))

    fuzz()


def _swaps(operation: Any, known: Fixture) -> list[tuple[str, dict[str, Any]]]:
    """Every one-value change of the operation's valid call, described and as Case arguments."""
    spec = document()["paths"][operation.path][operation.method.lower()]
    params = spec.get("parameters", [])
    path = {p["name"]: known.paths[p["name"]] for p in params if p["in"] == "path"}
    body = known.bodies.get(f"{operation.method.upper()} {operation.path}")
    media = next(iter(spec.get("requestBody", {}).get("content", {})), None)
    base: dict[str, Any] = {"path_parameters": path, "query": {}}
    if body is not None:
        base.update(body=body, media_type=media)
    swaps = []
    for param in params:
        for value in HOSTILE_TEXT:
            where = "path_parameters" if param["in"] == "path" else "query"
            call = {**base, where: {**base[where], param["name"]: value}}
            if param["name"] in OTHER_END:
                other, day = OTHER_END[param["name"]]
                call["query"] = {**call["query"], other: day}
            swaps.append((f"{param['in']} {param['name']}={value[:12]!r}", call))
    if media != "application/json":
        return swaps
    item = isinstance(body, list)  # an array of objects: its first item's fields are swapped
    shape = body[0] if item else body or {}
    for key in shape:
        for value in HOSTILE_JSON:
            changed = {**shape, key: value}
            call = {**base, "body": [changed, *body[1:]] if item else changed}
            swaps.append((f"body {key}={str(value)[:12]!r}", call))
    for value in HOSTILE_JSON:
        swaps.append((f"body={str(value)[:12]!r}", {**base, "body": value, "media_type": media}))
    return swaps


def _hostile(operation: Any, known: Fixture, tally: Tally) -> None:
    for label, call in _swaps(operation, known):
        case = operation.Case(**call)
        tally.calls["hostile"] += 1
        try:
            tally.check(case, case.call(headers={**known.tenant.headers, **PLAIN}))
        except BaseException as exc:  # every swap's failure, not only the first's
            if isinstance(exc, KeyboardInterrupt):
                raise
            tally.failures.append(f"{operation.label} ({label}): {exc!r:.1500}")
        db.session.rollback()  # one call's refusal must not leave the next a broken session


def test_no_input_breaks_the_api(app: Flask, client: FlaskClient, resolver: Resolver) -> None:
    # The receivers' name resolves to a public address; nothing is ever posted to it.
    resolver.add("hooks.example.com", ["93.184.215.14"])
    known = _fixture(client)
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operations = sorted((result.ok() for result in schema.get_all_operations()), key=_order)
    tally = Tally()
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            began = time.monotonic()
            try:
                _generated(operation, mode, known, tally)
            except Unsatisfiable:
                pass  # nothing in this operation can be made invalid (only free-text paths)
            except BaseException as exc:  # every operation's failure, not only the first's
                if isinstance(exc, KeyboardInterrupt):
                    raise
                tally.failures.append(f"{operation.label} ({mode.value}): {exc!r:.1500}")
            tally.seconds["generated"] += time.monotonic() - began
        began = time.monotonic()
        _hostile(operation, known, tally)
        tally.seconds["hostile"] += time.monotonic() - began
    database = app.config["SQLALCHEMY_DATABASE_URI"].split(":", 1)[0]
    print(
        f"\nfuzz on {database}: {len(operations)} operations; "
        f"{tally.calls['positive']} positive and {tally.calls['negative']} negative generated "
        f"calls ({tally.seconds['generated']:.0f} s), {tally.calls['hostile']} hostile calls "
        f"({tally.seconds['hostile']:.0f} s); {tally.server_errors} server errors"
    )
    assert tally.failures == [], "\n\n".join(tally.failures)
    assert tally.server_errors == 0

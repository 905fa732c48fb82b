"""The API fuzzed from its OpenAPI document: no input makes it fail, every answer is documented.

Hypothesis (through schemathesis) generates valid and invalid paths, queries and bodies for
every operation; each answer must not be a 5xx, must use a status code the document lists,
and must match the documented shape (errors included).
"""

from __future__ import annotations

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import make_survey, make_tenant

pytestmark = pytest.mark.slow
EXAMPLES = 12
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


def test_no_input_breaks_the_api(app: Flask, client: FlaskClient) -> None:
    tenant = make_tenant(client, "Fuzzed")
    make_survey(tenant.workspace, "nps")
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    headers = {"Authorization": f"Bearer {tenant.key}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    # Revoking keys last: once the fuzzer revokes its own key, every call is a 401.
    operations.sort(key=lambda op: (op.path.startswith("/api/v1/api-keys/"), op.label))
    failures = []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def fuzz(case: schemathesis.Case) -> None:
                if "public_key" in (case.path_parameters or {}):
                    case.path_parameters["public_key"] = tenant.workspace.public_key
                response = case.call(headers=headers)
                case.validate_response(response, checks=CHECKS)

            try:
                fuzz()
            except Unsatisfiable:
                pass  # nothing in this operation can be made invalid (only free-text paths)
            except BaseException as exc:  # every operation's failure, not only the first's
                if isinstance(exc, KeyboardInterrupt):
                    raise
                failures.append(f"{operation.label} ({mode.value}): {exc!r:.1500}")
    assert failures == [], "\n\n".join(failures)

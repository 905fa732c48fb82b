"""Fixtures of the metrics tests: a workspace, and its NPS survey."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from feedback.surveys.models import Survey
from tests.factories import Tenant, make_survey, make_tenant


@pytest.fixture
def tenant(client: FlaskClient) -> Tenant:
    return make_tenant(client)


@pytest.fixture
def survey(tenant: Tenant) -> Survey:
    return make_survey(tenant.workspace, "nps")

"""What the money tests build on: people with traits (their account's value) and their scores;
the workspace and its NPS survey are fixtures (conftest.py)."""

from __future__ import annotations

from datetime import datetime

from feedback.extensions import db
from feedback.responses.models import Respondent, Response
from feedback.surveys.models import Survey
from tests.factories import Tenant, add_response


def person(tenant: Tenant, name: str, **traits: str) -> Respondent:
    row = Respondent(workspace_id=tenant.workspace.id, external_id=name, traits=traits)
    db.session.add(row)
    db.session.flush()
    return row


def score(survey: Survey, who: Respondent, value: int, when: datetime) -> Response:
    return add_response(survey, value, when, respondent_id=who.id)

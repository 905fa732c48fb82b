"""A workspace whose survey KPIs have owners, planted so every figure of their review is known.

NPS: 200 answers over the last twelve weeks, 40 detractors (30 of them complaining about
pricing), 60 passives, 100 promoters: NPS +30, and fixing pricing would lift it 15 points.
Target 50, owned by Ann (a viewer): off track. CSAT: 100 answers, 80 satisfied: 80%, target
60, owned by Bob (an analyst): on track. Money, in EUR: two valued detractors pay 100 and 50 a
month, the first with an open case; a promoter pays 200.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask.testing import FlaskClient

from feedback.accounts import workspaces
from feedback.accounts.models import User
from feedback.cases.models import Case
from feedback.database import utcnow
from feedback.extensions import db
from feedback.responses.models import Respondent
from feedback.scorecard import kpis
from tests.factories import Tenant, add_response, make_survey, make_tenant, tag
from tests.pages import PASSWORD


@dataclass
class Owned:
    t: Tenant
    ann: User  # owns NPS
    bob: User  # owns CSAT
    boss: User  # an admin who owns nothing


def _person(t: Tenant, name: str, mrr: str) -> Respondent:
    row = Respondent(workspace_id=t.workspace.id, external_id=name, traits={"mrr": mrr})
    db.session.add(row)
    db.session.flush()
    return row


def _open_case(t: Tenant, response) -> None:
    db.session.add(
        Case(
            workspace_id=t.workspace.id,
            response_id=response.id,
            respondent_id=response.respondent_id,
            kind=response.kind,
            score=response.score,
            status="open",
            opened_at=response.submitted_at,
            due_at=response.submitted_at + timedelta(days=2),
        )
    )


def owned_kpis(client: FlaskClient, name: str = "Acme", **settings: str) -> Owned:
    t = make_tenant(client, name, **settings)
    t.workspace.currency = "EUR"
    t.workspace.created_at = datetime(2026, 11, 1)
    ann = workspaces.add_user(t.workspace, "ann@acme.example", PASSWORD, "viewer")
    bob = workspaces.add_user(t.workspace, "bob@acme.example", PASSWORD, "analyst")
    boss = workspaces.add_user(t.workspace, "boss@acme.example", PASSWORD, "admin")
    ann.name, bob.name, boss.name = "Ann Lee", "Bob Stone", "Boss"
    now = utcnow()
    nps = make_survey(t.workspace, "nps")
    payers = {0: _person(t, "d-100", "100"), 1: _person(t, "d-50", "50")}
    payers[199] = _person(t, "p-200", "200")
    for i in range(200):
        score = 2 if i < 40 else (8 if i < 100 else 10)
        when = now - timedelta(weeks=i % 12, hours=1 + i % 5)
        who = payers.get(i)
        response = add_response(
            nps, score, when, comment="words", respondent_id=who.id if who else None
        )
        if i < 30:
            tag(t.workspace, response, "pricing", "negative")
        if i == 0:
            _open_case(t, response)
    csat = make_survey(t.workspace, "csat")
    for i in range(100):
        add_response(csat, 5 if i < 80 else 2, now - timedelta(weeks=i % 12, hours=2))
    db.session.commit()
    kpis.set_target(t.workspace, "nps", {"target": 50, "owner_id": ann.id})
    kpis.set_target(t.workspace, "csat", {"target": 60, "owner_id": bob.id})
    return Owned(t, ann, bob, boss)

"""Rows for tests, made through the same services the product uses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from flask.testing import FlaskClient

from feedback.accounts import workspaces
from feedback.accounts.models import Workspace
from feedback.extensions import db
from feedback.responses.identity import user_hash
from feedback.responses.models import Response
from feedback.surveys import service as surveys
from feedback.surveys.kinds import band_for
from feedback.surveys.models import Survey

_counter = {"n": 0}
# Digits that are not 0-9: "²" passes str.isdigit but not int(); int() reads "٣" as 3.
SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
OTHER_DIGITS = pytest.mark.parametrize(
    "script", [SUPERSCRIPT, ARABIC_INDIC], ids=["superscript", "arabic-indic"]
)


@dataclass
class Tenant:
    """A workspace with a secret key, and a client that sends it."""

    workspace: Workspace
    key: str
    client: FlaskClient

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.client.get(url, headers=self.headers, **kwargs)

    def post(self, url: str, json: Any = None, **kwargs: Any) -> Any:
        return self.client.post(url, json=json, headers=self.headers, **kwargs)

    def patch(self, url: str, json: Any = None, **kwargs: Any) -> Any:
        return self.client.patch(url, json=json, headers=self.headers, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> Any:
        return self.client.delete(url, headers=self.headers, **kwargs)

    def public(self, path: str) -> str:
        return f"/api/public/{self.workspace.public_key}{path}"


def make_tenant(client: FlaskClient, name: str = "Acme", **settings: Any) -> Tenant:
    _counter["n"] += 1
    recontact_days = settings.pop("recontact_days", None)
    workspace = workspaces.create_workspace(name, f"{name}-{_counter['n']}", **settings)
    if recontact_days is not None:
        workspace.recontact_days = recontact_days
    issued = workspaces.create_api_key(workspace, "test")
    db.session.commit()
    return Tenant(workspace, issued.secret, client)


def make_survey(workspace: Workspace, kind: str = "nps", **fields: Any) -> Survey:
    survey = surveys.create_survey(workspace, {"kind": kind, **fields})
    db.session.commit()
    return survey


def add_response(
    survey: Survey,
    score: int,
    when: datetime | None = None,
    comment: str | None = None,
    channel: str = "widget",
    **context: Any,
) -> Response:
    """A stored response, bypassing the API: for metrics tests that need exact data."""
    _counter["n"] += 1
    response = Response(
        workspace_id=survey.workspace_id,
        survey_id=survey.id,
        client_id=f"resp-{_counter['n']:08d}",
        channel=channel,
        kind=survey.kind,
        question=survey.question,
        score=score,
        band=band_for(survey.kind, survey.scale, score),
        answers={},
        comment=comment,
        context={k: v for k, v in context.items() if k not in Response.__table__.c},
        **{k: v for k, v in context.items() if k in Response.__table__.c},
    )
    if when is not None:
        response.submitted_at = when
    db.session.add(response)
    db.session.flush()
    return response


def signed(workspace: Workspace, respondent: dict[str, Any]) -> dict[str, Any]:
    """A widget call's respondent with its user hash, as the host's server would make it."""
    assert workspace.identity_secret
    return {**respondent, "user_hash": user_hash(workspace.identity_secret, str(respondent["id"]))}


def tag(
    workspace: Any, response: Response, slug: str, sentiment: str, removed: bool = False
) -> None:
    """A theme tag on a response, as the analysis or an analyst would leave it."""
    from feedback.themes import taxonomy
    from feedback.themes.models import ResponseTheme

    db.session.add(
        ResponseTheme(
            workspace_id=workspace.id,
            response_id=response.id,
            theme_id=taxonomy.get_theme(workspace, slug).id,
            sentiment=sentiment,
            removed=removed,
        )
    )

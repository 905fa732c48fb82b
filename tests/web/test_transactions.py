"""One transaction policy: a use case commits its work when it returns and rolls it back when
it refuses; pages and API routes never commit or roll back the session themselves."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from feedback.accounts.models import ApiKey, Workspace
from feedback.database import use_case
from feedback.errors import Invalid
from feedback.extensions import db
from feedback.themes import analysis, editing
from feedback.themes.models import Theme
from tests.factories import make_tenant
from tests.pages import csrf, member, sign_in

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "feedback"


def _is_entry(path: Path) -> bool:
    """Pages, API routes and public routes (the modules that define a blueprint), and forms."""
    return path.name == "forms.py" or "\nbp = " in path.read_text()


ENTRIES = sorted(p for p in PACKAGE.rglob("*.py") if _is_entry(p))


def _ends_transaction(source: str) -> list[tuple[int, str]]:
    """Each call of `.commit()` or `.rollback()` (on `db.session` or any other session)."""
    return sorted(
        (node.lineno, ast.unparse(node.func))
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("commit", "rollback")
    )


def _catches_refusals(source: str) -> list[int]:
    """The lines of each `except FeedbackError` (alone or in a tuple)."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ExceptHandler) and node.type is not None:
            caught = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]
            if any(ast.unparse(c).split(".")[-1] == "FeedbackError" for c in caught):
                lines.append(node.lineno)
    return sorted(lines)


def test_every_page_and_route_module_is_checked() -> None:
    names = {str(p.relative_to(ROOT)) for p in ENTRIES}
    for known in (
        "feedback/themes/views.py",
        "feedback/themes/api.py",
        "feedback/accounts/settings_views.py",
        "feedback/cases/rule_views.py",
        "feedback/scorecard/kpi_api.py",
        "feedback/email/hosted.py",
        "feedback/surveys/forms.py",
    ):
        assert known in names
    assert "feedback/web/forms.py" in names  # the helpers that show refusals sit at the edge


def test_pages_and_routes_never_commit_or_roll_back() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line} calls {call}()"
        for path in ENTRIES
        for line, call in _ends_transaction(path.read_text())
    ]
    assert found == [], "a use case owns its transaction (feedback.database.use_case)"


def test_pages_show_refusals_through_the_form_helpers() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in ENTRIES
        if path != PACKAGE / "web" / "forms.py"
        for line in _catches_refusals(path.read_text())
    ]
    assert found == [], "use attempt() or flashed() from feedback.web.forms"


def test_the_checks_find_what_they_forbid() -> None:
    view = (
        "def view():\n"
        "    try:\n"
        "        change()\n"
        "    except (NotFound, errors.FeedbackError):\n"
        "        db.session.rollback()\n"
        "    session.commit()\n"
    )
    assert _ends_transaction(view) == [(5, "db.session.rollback"), (6, "session.commit")]
    assert _catches_refusals(view) == [4]


# -- the unit of work -------------------------------------------------------------------------


def _stored_name(workspace_id: int) -> str:
    """The name as committed: read on a connection of its own, outside the session."""
    with db.engine.connect() as conn:
        return conn.execute(select(Workspace.name).where(Workspace.id == workspace_id)).scalar_one()


@use_case
def _rename(workspace_id: int, name: str) -> None:
    db.session.get(Workspace, workspace_id).name = name
    db.session.flush()


@use_case
def _rename_twice(workspace_id: int, fail: bool) -> None:
    _rename(workspace_id, "First")
    assert _stored_name(workspace_id) != "First"  # the inner use case joined this one
    _rename(workspace_id, "Second")
    if fail:
        raise Invalid("Refused after both changes.", "name")


def test_only_the_outermost_use_case_commits(client: FlaskClient) -> None:
    t = make_tenant(client)
    before = _stored_name(t.workspace.id)
    _rename_twice(t.workspace.id, fail=False)
    assert _stored_name(t.workspace.id) == "Second" != before
    assert db.session.info.get("feedback.use_case_depth") == 0


def test_a_use_case_that_refuses_halfway_stores_nothing(client: FlaskClient) -> None:
    t = make_tenant(client, name="Original")
    with pytest.raises(Invalid):
        _rename_twice(t.workspace.id, fail=True)
    assert _stored_name(t.workspace.id) == "Original"
    assert db.session.get(Workspace, t.workspace.id).name == "Original"  # and not in memory
    assert db.session.info.get("feedback.use_case_depth") == 0
    _rename(t.workspace.id, "Later")  # the next use case starts afresh
    assert _stored_name(t.workspace.id) == "Later"


def test_a_taxonomy_change_and_its_reanalysis_are_one_use_case(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    t = make_tenant(client)

    def broken(*_args: object) -> None:
        raise RuntimeError("the queue is down")

    monkeypatch.setattr(analysis, "start_reanalysis", broken)
    with pytest.raises(RuntimeError):
        editing.delete(t.workspace, "pricing")
    with db.engine.connect() as conn:
        kept = conn.execute(
            select(Theme.id).where(Theme.workspace_id == t.workspace.id, Theme.slug == "pricing")
        ).scalar()
    assert kept is not None


# -- through a page and the API: a refused change leaves the row as it was --------------------


def test_a_refused_settings_form_stores_nothing(app: Flask, client: FlaskClient) -> None:
    t = make_tenant(client, name="Acme")
    member(t, "admin@acme.example", "admin")
    sign_in(client, "admin@acme.example")
    data = {
        "csrf_token": csrf(client, "/app/settings"),
        "name": "Renamed",  # applied first, then the origin below is refused
        "timezone": "UTC",
        "allowed_origins": "app.acme.example",
        "recontact_days": "7",
        "low_n": "30",
    }
    res = client.post("/app/settings", data=data)
    assert res.status_code == 422
    page = res.get_data(as_text=True)
    field = page[page.index('name="allowed_origins"') :]
    assert field.index("is not an origin like") < field.index("</label>")
    # A later change that succeeds in the same session commits only its own work.
    key = {"csrf_token": data["csrf_token"], "key-name": "warehouse", "key-scope": "read"}
    assert client.post("/app/settings/keys", data=key).status_code == 200
    assert db.session.scalar(select(ApiKey.id).where(ApiKey.name == "warehouse")) is not None
    assert _stored_name(t.workspace.id) == "Acme"


def test_a_refused_api_change_stores_nothing(client: FlaskClient) -> None:
    t = make_tenant(client, name="Acme")
    res = t.patch("/api/v1/workspace", json={"name": "Renamed", "allowed_origins": ["nope"]})
    assert res.status_code == 422 and res.json["error"]["field"] == "allowed_origins[0]"
    assert t.post("/api/v1/api-keys", json={"name": "ci"}).status_code == 201
    assert _stored_name(t.workspace.id) == "Acme"
    assert t.get("/api/v1/workspace").json["name"] == "Acme"

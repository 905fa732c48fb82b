"""An import as a user lives it: the counts, the history landed as if collected here, the same
file twice adding nothing, people merged, notes and tags kept, a cancel taking it all back."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from feedback import jobs
from feedback.accounts.models import Workspace
from feedback.cases.models import Case, CaseNote
from feedback.errors import Conflict
from feedback.extensions import db
from feedback.imports import landing, running
from feedback.imports.models import ImportJob
from feedback.metrics.models import DayFigure
from feedback.responses.models import Respondent, Response
from feedback.surveys.models import Survey
from feedback.themes.models import ResponseTheme, Theme
from tests.factories import make_tenant

DATA = Path(__file__).parent / "data"
DELIGHTED = str(DATA / "delighted.json")


@pytest.fixture
def tenant(app: Flask, client: FlaskClient, tmp_path: Path) -> Any:
    app.config["FEEDBACK_IMPORT_DIR"] = str(tmp_path / "imports")
    return make_tenant(client)


def run(workspace: Workspace, path: str = DELIGHTED, fmt: str = "delighted-json", **kw: Any) -> Any:
    job = running.start_import(workspace, path, Path(path).name, fmt, **kw)
    return running.run_import(job.id)


def count(model: Any, *conditions: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0


def responses(workspace: Workspace) -> dict[str, Response]:
    rows = db.session.scalars(select(Response).where(Response.workspace_id == workspace.id))
    return {r.client_id: r for r in rows}


def test_an_import_counts_what_it_imported_and_refused(tenant: Any) -> None:
    job = run(tenant.workspace)
    assert job.status == "done"
    assert job.counts == {
        "rows": 9,
        "refused": 5,
        "imported": 4,
        "already": 0,
        "tags": 3,
        "cases": 1,
        "notes": 1,
        "notes_not_kept": 1,
    }
    report = running.report_path(job).read_text().splitlines()
    assert report[0] == "line,reason,row"
    assert report[1].startswith("35,score 6 out of range 1-5 for CSAT,")
    assert len(report) == 6


def test_imported_responses_keep_their_times_kinds_and_context(tenant: Any) -> None:
    run(tenant.workspace)
    stored = responses(tenant.workspace)
    ana = stored["delighted:101"]
    assert (ana.kind, ana.score, ana.band) == ("nps", 3, "detractor")
    assert ana.submitted_at == datetime(2024, 1, 1, 12, 0)
    assert ana.survey.name == "Imported from Delighted (NPS)"
    assert ana.survey.status == "archived"
    assert (ana.plan, ana.team) == ("Pro", "Billing")
    assert ana.context == {"Country": "PT", "Have you bought from us before?": "Yes"}
    assert ana.answers == {"improve": "Billing charged me twice this month."}
    assert stored["delighted:107"].survey.name == "Imported from Delighted (CES)"
    # The comments wait for analysis; a response without one does not.
    assert ana.nlp_status == "pending"
    assert stored["delighted:104"].nlp_status == "none"


def test_importing_the_same_file_again_adds_nothing(tenant: Any) -> None:
    run(tenant.workspace)
    before = (count(Response), count(Respondent), count(Case), count(ResponseTheme))
    again = run(tenant.workspace)
    assert (again.counts["imported"], again.counts["already"]) == (0, 4)
    assert (count(Response), count(Respondent), count(Case), count(ResponseTheme)) == before
    assert count(Survey, Survey.name.like("Imported from%")) == 2


def test_a_respondent_is_merged_by_email_with_the_one_already_here(tenant: Any) -> None:
    known = Respondent(workspace_id=tenant.workspace.id, external_id="u-1", email="ana@example.com")
    db.session.add(known)
    db.session.commit()
    run(tenant.workspace)
    stored = responses(tenant.workspace)
    assert stored["delighted:101"].respondent_id == known.id
    assert stored["delighted:107"].respondent_id == known.id
    assert count(Respondent, Respondent.email == "ana@example.com") == 1
    # Ben, and the SMS respondent known by Delighted's id only, are new.
    assert count(Respondent) == 3


def test_the_same_person_in_two_sources_is_one_respondent(tenant: Any) -> None:
    run(tenant.workspace)
    run(tenant.workspace, str(DATA / "zendesk-bom.csv"), "zendesk-csv")
    stored = responses(tenant.workspace)
    assert stored["zendesk:5001"].respondent_id == stored["delighted:101"].respondent_id
    assert (stored["zendesk:5001"].agent, stored["zendesk:5001"].team) == ("Sam Agent", "Billing")


def test_notes_land_on_a_closed_case_of_the_low_score(tenant: Any) -> None:
    run(tenant.workspace)
    case = db.session.scalar(select(Case))
    assert case.response.client_id == "delighted:101"
    assert (case.status, case.source, case.opened_at) == (
        "resolved",
        "import",
        datetime(2024, 1, 1, 12, 0),
    )
    note = db.session.scalar(select(CaseNote))
    assert (note.body, note.author, note.created_at) == (
        "Refunded the second charge.",
        "sam@example.com",
        datetime(2024, 1, 2, 13, 0),
    )


def test_tags_become_manual_labels_of_themes(tenant: Any) -> None:
    run(tenant.workspace)
    labels = db.session.execute(
        select(Theme.slug, Response.client_id, ResponseTheme.source, ResponseTheme.sentiment)
        .join(Theme, Theme.id == ResponseTheme.theme_id)
        .join(Response, Response.id == ResponseTheme.response_id)
        .order_by(Response.client_id, Theme.slug)
    ).all()
    assert labels == [
        ("billing", "delighted:101", "manual", "negative"),
        ("refund-request", "delighted:101", "manual", "negative"),
        ("billing", "delighted:107", "manual", "negative"),
    ]
    assert db.session.scalar(select(Theme.name).where(Theme.slug == "refund-request")) == (
        "Refund request"
    )


def test_a_dry_run_counts_and_writes_nothing(tenant: Any) -> None:
    job = run(tenant.workspace, dry_run=True)
    assert (job.status, job.counts["would_import"], job.counts["refused"]) == ("done", 4, 5)
    assert count(Response) == 0
    assert count(Survey, Survey.name.like("Imported from%")) == 0


def test_cancelling_a_running_import_takes_back_all_it_wrote(
    tenant: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    land = landing.land

    def land_then_cancel(*args: Any) -> Any:
        landed = land(*args)
        db.session.execute(update(ImportJob).values(status="cancelling"))
        return landed

    monkeypatch.setattr(running, "BATCH", 2)
    monkeypatch.setattr(landing, "land", land_then_cancel)
    themes_before = count(Theme)
    job = run(tenant.workspace)
    assert job.status == "cancelled"
    assert (job.counts["imported"], job.counts["tags"], job.counts["cases"]) == (0, 0, 0)
    assert (count(Response), count(Respondent), count(Case), count(CaseNote)) == (0, 0, 0, 0)
    assert count(ResponseTheme) == 0
    assert count(Theme) == themes_before
    assert count(Survey, Survey.name.like("Imported from%")) == 0


def test_a_queued_import_is_cancelled_at_once_and_a_finished_one_not_at_all(tenant: Any) -> None:
    job = running.start_import(tenant.workspace, DELIGHTED, "d.json", "delighted-json")
    with pytest.raises(Conflict):
        running.start_import(tenant.workspace, DELIGHTED, "d.json", "delighted-json")
    assert running.cancel_import(tenant.workspace, job.id).status == "cancelled"
    assert running.run_import(job.id).status == "cancelled"
    assert count(Response) == 0
    done = run(tenant.workspace)
    with pytest.raises(Conflict, match="done already"):
        running.cancel_import(tenant.workspace, done.id)


def test_an_import_whose_worker_died_is_taken_back(tenant: Any) -> None:
    job = run(tenant.workspace)
    # As the worker left it when killed mid-way: running, its counts still for an hour.
    db.session.execute(update(ImportJob).values(status="running", updated_at=datetime(2020, 1, 1)))
    db.session.commit()
    assert jobs.run_imports() == 0
    db.session.refresh(job)
    assert job.status == "failed" and "taken back" in (job.error or "")
    assert (count(Response), count(Case), count(Respondent)) == (0, 0, 0)
    assert run(tenant.workspace).counts["imported"] == 4


def test_the_worker_runs_a_queued_import(tenant: Any) -> None:
    job = running.start_import(tenant.workspace, DELIGHTED, "d.json", "delighted-json")
    assert jobs.run_imports() == 1
    db.session.refresh(job)
    assert (job.status, job.counts["imported"]) == ("done", 4)
    assert jobs.run_imports() == 0


def test_the_scorecard_shows_the_imported_history(tenant: Any) -> None:
    run(tenant.workspace)
    assert count(DayFigure, DayFigure.workspace_id == tenant.workspace.id) > 0
    report = tenant.get("/api/v1/metrics/nps?from=2024-01-01&to=2024-02-29").get_json()
    # Ana's 3 (January), Ben's 10 and the 8 of February: one promoter, one detractor of three.
    summary = report["summary"]
    assert (summary["n"], summary["promoters"], summary["detractors"]) == (3, 1, 1)
    assert summary["value"] == pytest.approx(0.0)


def test_the_command_line_prints_the_counts_and_the_report(tenant: Any, runner: Any) -> None:
    slug = tenant.workspace.slug
    result = runner.invoke(
        args=["feedback", "import", DELIGHTED, "--workspace", slug, "--format", "delighted-json"]
    )
    assert result.exit_code == 0, result.output
    assert "imported       4" in result.output
    assert "refused        5" in result.output
    assert "import-1-refused.csv" in result.output


def test_the_command_line_refuses_a_mapping_naming_the_field(tenant: Any, runner: Any) -> None:
    args = ["feedback", "import", str(DATA / "mapped.csv"), "--workspace", tenant.workspace.slug]
    result = runner.invoke(args=[*args, "--format", "csv", "--map", "score=Rating"])
    assert result.exit_code != 0
    assert "(map)" in result.output

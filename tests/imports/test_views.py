"""Settings → Import as an admin uses it: upload, the first rows as they will be read, a dry
run or the import, its progress, a cancel, the report of refused rows; admins only."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from feedback.extensions import db
from feedback.imports import running
from feedback.imports.models import ImportJob
from feedback.responses.models import Response
from tests.factories import make_tenant
from tests.pages import csrf, member, sign_in

DATA = Path(__file__).parent / "data"
PAGE = "/app/settings/imports"


@pytest.fixture
def admin(app: Flask, client: FlaskClient, tmp_path: Path) -> Any:
    app.config["FEEDBACK_IMPORT_DIR"] = str(tmp_path / "imports")
    tenant = make_tenant(client)
    member(tenant, "admin@acme.example", "admin")
    sign_in(client, "admin@acme.example")
    return tenant


def upload(client: FlaskClient, data: bytes, fmt: str = "delighted-json", mapping: str = "") -> Any:
    form = {
        "csrf_token": csrf(client, PAGE),
        "file": (io.BytesIO(data), "history.json"),
        "format": fmt,
        "mapping": mapping,
    }
    return client.post(f"{PAGE}/upload", data=form, content_type="multipart/form-data")


def hidden(page: str, name: str) -> str:
    return re.search(rf'name="{name}" type="hidden" value="([^"]*)"', page).group(1)


def start(client: FlaskClient, page: str, dry_run: bool = False) -> Any:
    form = {
        "csrf_token": hidden(page, "csrf_token"),
        "token": hidden(page, "token"),
        "format": hidden(page, "format"),
        "mapping": "",
        "filename": "history.json",
        "dry_run": "1" if dry_run else "",
    }
    return client.post(PAGE, data=form)


def test_the_first_rows_show_as_they_will_be_stored(admin: Any, client: FlaskClient) -> None:
    page = upload(client, (DATA / "delighted.json").read_bytes()).get_data(as_text=True)
    assert "<strong>4</strong> rows to import, <strong>5</strong> refused" in page
    assert "Imported from Delighted (NPS)" in page and "Billing charged me twice" in page
    assert "Line 35: score 6 out of range 1-5 for CSAT" in page
    assert count(Response) == 0


def test_words_from_the_file_are_shown_as_text(admin: Any, client: FlaskClient) -> None:
    item = json.loads((DATA / "delighted.json").read_text())[1]
    item["comment"] = "<script>alert(1)</script>"
    page = upload(client, json.dumps([item]).encode()).get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page


def test_a_file_larger_than_a_request_may_be_is_taken_here(admin: Any, client: FlaskClient) -> None:
    item = json.loads((DATA / "delighted.json").read_text())[1]
    items = [{**item, "id": str(n)} for n in range(400)]
    data = json.dumps(items, indent=2).encode()
    assert len(data) > 64 * 1024
    assert "<strong>400</strong> rows to import" in upload(client, data).get_data(as_text=True)


def test_a_mapping_that_cannot_work_is_named_on_its_field(admin: Any, client: FlaskClient) -> None:
    answer = upload(client, (DATA / "mapped.csv").read_bytes(), "csv", "score=Rating")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "Map the time field to a column (time=COLUMN)." in page


def test_an_import_runs_in_the_worker_and_reports_its_progress(
    admin: Any, client: FlaskClient
) -> None:
    page = upload(client, (DATA / "delighted.json").read_bytes()).get_data(as_text=True)
    answer = start(client, page)
    job = db.session.scalar(select(ImportJob))
    assert answer.headers["Location"].endswith(f"{PAGE}?job={job.id}")
    queued = client.get(f"{PAGE}/{job.id}.json").get_json()
    assert (queued["status"], queued["progress"]) == ("queued", 0.0)
    assert running.run_queued() == 1
    done = client.get(f"{PAGE}/{job.id}.json").get_json()
    assert (done["status"], done["progress"], done["counts"]["imported"]) == ("done", 1.0, 4)
    assert count(Response) == 4
    report = client.get(f"{PAGE}/{job.id}/refused.csv").get_data(as_text=True).splitlines()
    assert report[0] == "line,reason,row" and report[1].startswith("35,score 6 out of range")


def test_a_dry_run_from_the_page_writes_nothing(admin: Any, client: FlaskClient) -> None:
    page = upload(client, (DATA / "delighted.json").read_bytes()).get_data(as_text=True)
    start(client, page, dry_run=True)
    running.run_queued()
    job = db.session.scalar(select(ImportJob))
    assert (job.dry_run, job.counts["would_import"], count(Response)) == (True, 4, 0)
    assert "4 would be" in client.get(PAGE).get_data(as_text=True)


def test_cancel_from_the_page_stops_a_queued_import(admin: Any, client: FlaskClient) -> None:
    page = upload(client, (DATA / "delighted.json").read_bytes()).get_data(as_text=True)
    start(client, page)
    job = db.session.scalar(select(ImportJob))
    client.post(f"{PAGE}/{job.id}/cancel", data={"csrf_token": csrf(client, PAGE)})
    assert running.run_queued() == 0
    db.session.refresh(job)
    assert job.status == "cancelled" and count(Response) == 0


def test_another_workspaces_import_is_not_found(admin: Any, client: FlaskClient) -> None:
    other = make_tenant(client, "Other")
    job = running.start_import(other.workspace, "/nowhere", "x.json", "delighted-json")
    assert client.get(f"{PAGE}/{job.id}.json").status_code == 404
    assert client.post(f"{PAGE}/{job.id}/cancel", data={"csrf_token": csrf(client, PAGE)})
    db.session.refresh(job)
    assert job.status == "queued"


@pytest.mark.parametrize("role", ["viewer", "analyst"])
def test_below_admin_gets_403(client: FlaskClient, role: str) -> None:
    tenant = make_tenant(client)
    member(tenant, f"{role}@acme.example", role)
    sign_in(client, f"{role}@acme.example")
    assert client.get(PAGE).status_code == 403


def count(model: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0

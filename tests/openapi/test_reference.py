"""The API reference page, rendered on the server from the OpenAPI document, and the way to it."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from feedback.openapi.document import document
from feedback.openapi.reference import code_spans, slug, type_of
from feedback.web.security import DASHBOARD_POLICY


def _page(client: FlaskClient) -> str:
    res = client.get("/api/reference")
    assert res.status_code == 200
    return res.get_data(as_text=True)


def test_every_documented_operation_has_its_place_under_its_tag(client: FlaskClient) -> None:
    page = _page(client)
    for tag in document()["tags"]:
        assert f'id="{slug(tag["name"])}"' in page
    for path, item in document()["paths"].items():
        for method in item:
            assert f'id="{slug(f"{method} {path}")}"' in page, (method, path)


def test_an_operation_shows_its_parameters_body_fields_and_answers(client: FlaskClient) -> None:
    page = _page(client)
    invites = page[page.index('id="post-api-v1-invites"') :]
    invites = invites[: invites.index("</article>")]
    assert "a secret key with the write scope" in invites
    assert "Request body" in invites and "application/json" in invites
    assert "<code>survey</code>" in invites and "required" in invites
    assert "<code>scheduled_at</code>" in invites
    assert "<strong>201</strong> Done" in invites
    assert "422 <code>invalid</code>" in invites
    listing = page[page.index('id="get-api-v1-responses"') :]
    listing = listing[: listing.index("</article>")]
    assert "<code>cursor</code>" in listing and "query · string" in listing
    public = page[page.index('id="post-api-public-public-key-eligibility"') :]
    assert "none: the workspace&#39;s public key is in the path" in public[:2000]


def test_the_page_runs_no_script_and_loads_nothing_from_elsewhere(client: FlaskClient) -> None:
    res = client.get("/api/reference")
    assert res.headers["Content-Security-Policy"] == DASHBOARD_POLICY
    page = res.get_data(as_text=True)
    assert "<script" not in page
    for url in re.findall(r'(?:href|src)="([^"]*)"', page):
        assert url.startswith(("/", "#")), url


def test_schemas_read_as_a_person_says_them() -> None:
    doc = document()
    assert type_of(doc, {"type": ["string", "null"]}) == "string or null"
    assert type_of(doc, {"enum": ["a", None]}) == "one of: a, null"
    assert type_of(doc, {"$ref": "#/components/schemas/Survey"}) == "Survey"
    assert type_of(doc, {"type": "array", "items": {"type": "integer"}}) == "array of integer"
    assert type_of(doc, {"type": "object", "additionalProperties": True}) == "object"


def test_backquotes_become_code_and_everything_is_escaped() -> None:
    assert code_spans("send `<b>` & go") == "send <code>&lt;b&gt;</code> &amp; go"


def test_the_home_page_leads_to_the_reference_and_the_document(
    app: Flask, client: FlaskClient
) -> None:
    page = client.get("/").get_data(as_text=True)
    assert 'href="/api/reference"' in page and 'href="/api/openapi.json"' in page
    assert 'href="/demo"' not in page  # production: there is no demo page to go to
    app.config["FEEDBACK_ENV"] = "development"
    assert 'href="/demo"' in client.get("/").get_data(as_text=True)


def test_the_home_page_curl_example_fits_its_column(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    example = re.search(r"<pre>(curl .*?)</pre>", page, re.S).group(1)
    # One command on short lines: nothing is cut off by the 46rem column (about 80 characters).
    assert all(len(line) <= 80 for line in example.splitlines()), example
    assert "api/v1/metrics/nps" in example and "group_by=plan" in example

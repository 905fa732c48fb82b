"""The themes page: figures per theme, the taxonomy editor, training, roles and scoping."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update

from feedback.accounts.models import Workspace
from feedback.database import utcnow
from feedback.extensions import db
from feedback.responses.models import Response
from feedback.themes import analysis
from feedback.themes.models import AnalysisRun, Theme
from tests.factories import make_survey, make_tenant
from tests.pages import csrf, member, say, sign_in

ROLES = ("viewer", "analyst", "admin", "owner")


def seeded(client: FlaskClient, role: str = "admin"):
    t = make_tenant(client)
    member(t, f"{role}@acme.example", role)
    survey = make_survey(t.workspace, "nps")
    say(client, t, survey, "th-000001", 2, "The price is far too high.")
    say(client, t, survey, "th-000002", 3, "Pricing is steep and support is slow.")
    say(client, t, survey, "th-000003", 10, "Support answered within minutes, lovely.")
    analysis.analyse_pending()
    sign_in(client, f"{role}@acme.example")
    return t


@pytest.mark.parametrize("role", ROLES)
def test_themes_page_renders_for_every_role(client: FlaskClient, role: str) -> None:
    seeded(client, role)
    res = client.get("/app/themes?period=last_7_days")
    page = res.get_data(as_text=True)
    assert res.status_code == 200
    assert "Pricing" in page and "Gain if fixed" in page and "How impact is counted" in page
    assert 'class="spark"' in page
    assert ("Train now" in page) == (role in ("admin", "owner"))
    assert ("Add a theme" in page) == (role in ("admin", "owner"))


def test_impact_column_shows_the_points_gained(client: FlaskClient) -> None:
    seeded(client)
    page = client.get("/app/themes?period=last_7_days&kind=nps").get_data(as_text=True)
    # Both detractors complain about pricing: NPS -33 would gain 66.7 points.
    assert '<strong class="gain">+66.7</strong>' in page


def test_an_analysts_tag_reaches_the_kept_figures_at_once(client: FlaskClient) -> None:
    from feedback.responses.models import Response
    from feedback.themes import taxonomy as themes

    t = seeded(client)
    url = "/app/themes?period=last_7_days&kind=nps"
    assert '<strong class="gain">+66.7</strong>' in client.get(url).get_data(as_text=True)
    first = db.session.scalar(select(Response.id).where(Response.client_id == "th-000001"))
    themes.untag_response(t.workspace, first, "pricing", "ann@acme.example")
    db.session.commit()
    # One detractor left on pricing: the figures kept a minute are recomputed now.
    page = client.get(url).get_data(as_text=True)
    assert '<strong class="gain">+66.7</strong>' not in page
    assert '<strong class="gain">+33.3</strong>' in page


def test_empty_workspace_says_what_to_do(client: FlaskClient) -> None:
    t = make_tenant(client)
    member(t, "vic@acme.example", "viewer")
    sign_in(client, "vic@acme.example")
    page = client.get("/app/themes").get_data(as_text=True)
    assert "No comments in this period yet" in page
    assert "Nothing new stands out" in page


def test_admin_adds_a_theme_and_reanalysis_starts(client: FlaskClient) -> None:
    t = seeded(client)
    token = csrf(client, "/app/themes")
    data = {
        "csrf_token": token,
        "slug": "exports",
        "name": "Exports",
        "phrases": "export\ncsv download\n",
        "exclusions": "",
    }
    res = client.post("/app/themes", data=data)
    assert res.status_code == 302
    theme = db.session.scalar(select(Theme).where(Theme.slug == "exports"))
    assert theme.workspace_id == t.workspace.id and theme.phrases == ["export", "csv download"]
    assert db.session.scalar(select(AnalysisRun.reason)) == "theme exports added"
    page = client.get("/app/themes").get_data(as_text=True)
    assert "<progress" in page and "Re-analysing" in page


def test_admin_renames_merges_and_deletes(client: FlaskClient) -> None:
    seeded(client)
    token = csrf(client, "/app/themes/billing")
    res = client.post(
        "/app/themes/billing",
        data={"csrf_token": token, "slug": "invoices", "name": "Invoices", "phrases": "invoice"},
    )
    assert res.status_code == 302
    assert db.session.scalar(select(Theme.phrases).where(Theme.slug == "invoices")) == ["invoice"]
    res = client.post("/app/themes/invoices/merge", data={"csrf_token": token, "into": "pricing"})
    assert res.status_code == 302
    assert db.session.scalar(select(Theme.id).where(Theme.slug == "invoices")) is None
    assert "invoice" in db.session.scalar(select(Theme.phrases).where(Theme.slug == "pricing"))
    res = client.post("/app/themes/mobile/delete", data={"csrf_token": token})
    assert res.status_code == 302
    assert db.session.scalar(select(Theme.id).where(Theme.slug == "mobile")) is None


def test_a_bad_theme_edit_shows_the_error_by_the_field(client: FlaskClient) -> None:
    seeded(client)
    token = csrf(client, "/app/themes/billing")
    res = client.post(
        "/app/themes/billing", data={"csrf_token": token, "slug": "pricing", "name": "Billing"}
    )
    assert res.status_code == 422
    assert "exists already" in res.get_data(as_text=True)


def test_train_now_sets_the_request(client: FlaskClient) -> None:
    t = seeded(client)
    token = csrf(client, "/app/themes")
    assert client.post("/app/themes/train", data={"csrf_token": token}).status_code == 302
    assert db.session.get(Workspace, t.workspace.id).train_requested_at is not None


@pytest.mark.parametrize("role", ("viewer", "analyst"))
def test_below_admin_cannot_change_the_taxonomy(client: FlaskClient, role: str) -> None:
    seeded(client, role)
    token = csrf(client, "/app/themes")
    posts = {
        "/app/themes": {"slug": "x", "name": "X"},
        "/app/themes/adopt": {"phrase": "dark mode"},
        "/app/themes/train": {},
        "/app/themes/billing": {"slug": "billing", "name": "B"},
        "/app/themes/billing/merge": {"into": "pricing"},
        "/app/themes/billing/delete": {},
    }
    for url, data in posts.items():
        assert client.post(url, data={"csrf_token": token, **data}).status_code == 403, url
    assert client.get("/app/themes/billing").status_code == 403
    assert db.session.scalar(select(Theme.id).where(Theme.slug == "billing")) is not None


def test_a_form_without_csrf_token_is_refused(client: FlaskClient) -> None:
    seeded(client)
    assert client.post("/app/themes", data={"slug": "x", "name": "X"}).status_code == 400
    assert client.post("/app/themes/billing/delete").status_code == 400
    assert db.session.scalar(select(Theme.id).where(Theme.slug == "billing")) is not None


def test_adopting_a_candidate_creates_the_theme(client: FlaskClient) -> None:
    seeded(client)
    token = csrf(client, "/app/themes")
    res = client.post("/app/themes/adopt", data={"csrf_token": token, "phrase": "Dark mode"})
    assert res.status_code == 302
    theme = db.session.scalar(select(Theme).where(Theme.slug == "dark-mode"))
    assert theme.name == "Dark mode" and theme.phrases == ["dark mode"]


def test_an_emerging_topic_shows_its_count_growth_and_examples(client: FlaskClient) -> None:
    t = seeded(client)
    survey = make_survey(t.workspace, "nps", name="Second")
    old = ("Our accountant likes the weekly summary mail", "My cat walked over the keyboard")
    for i in range(30):
        say(client, t, survey, f"em-old-{i:04d}", 8, f"{old[i % 2]} ({i})")
    db.session.execute(
        update(Response)
        .where(Response.client_id.like("em-old-%"))
        .values(submitted_at=utcnow() - timedelta(days=20))
    )
    logo = [f"who approved this logo <script>alert({i})</script>" for i in range(7)]
    for i, text in enumerate(logo):
        say(client, t, survey, f"em-new-{i:04d}", 8, text)
    analysis.analyse_pending()
    page = client.get("/app/themes?period=last_7_days").get_data(as_text=True)
    topics = page[page.index("Emerging topics") : page.index("<h2>Analysis</h2>")]
    assert "<h3>logo</h3>" in topics and "new" in topics
    assert "<strong>7</strong> comments now, 0 before" in topics
    assert "growth at least" in topics and "(95%)" in topics
    assert topics.count("&lt;script&gt;alert(") == 3 and "<script>" not in topics


def test_another_workspace_themes_are_never_visible(client: FlaskClient) -> None:
    a = make_tenant(client, "A")
    token_theme = Theme(workspace_id=a.workspace.id, slug="secret-a", name="Secret of A")
    db.session.add(token_theme)
    db.session.commit()
    seeded(client)
    assert "Secret of A" not in client.get("/app/themes").get_data(as_text=True)
    assert client.get("/app/themes/secret-a").status_code == 404
    token = csrf(client, "/app/themes")
    assert client.post("/app/themes/secret-a/delete", data={"csrf_token": token}).status_code == 404

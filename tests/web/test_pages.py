"""Dashboard pages through a signed-in browser session (forms, roles, escaping, scoping)."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from feedback.extensions import db
from feedback.themes import analysis
from feedback.themes.models import ResponseTheme, Theme
from tests.factories import make_survey, make_tenant
from tests.pages import csrf, member, say, sign_in


def test_pages_need_a_signed_in_member(client: FlaskClient) -> None:
    res = client.get("/app/")
    assert res.status_code == 302 and "/app/login" in res.headers["Location"]
    t = make_tenant(client)
    member(t, "ann@acme.example", "viewer")
    assert sign_in(client, "ann@acme.example", "wrong password").status_code == 200
    assert client.get("/app/").status_code == 302
    assert sign_in(client, "ann@acme.example").status_code == 302
    assert client.get("/app/").status_code == 200


def test_scorecard_shows_each_kpi_with_confidence(client: FlaskClient) -> None:
    t = make_tenant(client)
    member(t, "ann@acme.example", "viewer")
    survey = make_survey(t.workspace, "nps")
    for i, score in enumerate([10, 9, 9, 3, 7]):
        say(client, t, survey, f"sc-{i:06d}", score, "ok")
    sign_in(client, "ann@acme.example")
    page = client.get("/app/").get_data(as_text=True)
    assert "Net Promoter Score" in page and "+40" in page and "n = 5" in page
    assert "low confidence" in page
    assert "No responses yet. Add a CSAT survey" in page


def test_verbatims_filter_by_theme_and_band_with_highlights(client: FlaskClient) -> None:
    t = make_tenant(client)
    member(t, "ann@acme.example", "viewer")
    survey = make_survey(t.workspace, "nps")
    say(client, t, survey, "vb-000001", 2, "The price is far too high.")
    say(client, t, survey, "vb-000002", 10, "Support answered within minutes, lovely.")
    say(client, t, survey, "vb-000003", 9, "Fair price for what we get.")
    analysis.analyse_pending()
    sign_in(client, "ann@acme.example")
    page = client.get("/app/verbatims?theme=pricing&band=detractor").get_data(as_text=True)
    assert "The price is far too high." not in page  # split by the highlight
    assert '<mark class="negative" title="pricing">price</mark>' in page
    assert "Support answered" not in page and "Fair price" not in page
    page = client.get("/app/verbatims?theme=pricing").get_data(as_text=True)
    assert "Fair" in page and "Support answered" not in page


def test_comment_with_html_is_shown_as_text(client: FlaskClient) -> None:
    t = make_tenant(client)
    member(t, "ann@acme.example", "viewer")
    survey = make_survey(t.workspace, "nps")
    say(client, t, survey, "xss-00001", 3, "<img src=x onerror=alert(1)> slow app")
    sign_in(client, "ann@acme.example")
    page = client.get("/app/verbatims").get_data(as_text=True)
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


def test_analyst_retags_and_the_tag_survives_reanalysis(client: FlaskClient) -> None:
    t = make_tenant(client)
    member(t, "ann@acme.example", "analyst")
    survey = make_survey(t.workspace, "nps")
    say(client, t, survey, "tag-00001", 4, "Onboarding took ages.")
    analysis.analyse_pending()
    rid = db.session.execute(select(ResponseTheme.response_id)).scalar()
    sign_in(client, "ann@acme.example")
    url = f"/app/responses/{rid}"
    token = csrf(client, url)
    res = client.post(
        f"{url}/tags", data={"theme": "performance", "sentiment": "negative", "csrf_token": token}
    )
    assert res.status_code == 302
    analysis.start_reanalysis(t.workspace, "test")
    db.session.commit()
    analysis.analyse_pending()
    page = client.get(url).get_data(as_text=True)
    assert "manual by ann@acme.example" in page
    source = db.session.scalar(
        select(ResponseTheme.source).join(Theme).where(Theme.slug == "performance")
    )
    assert source == "manual"


def test_form_without_csrf_token_is_refused(client: FlaskClient) -> None:
    t = make_tenant(client)
    member(t, "ann@acme.example", "analyst")
    survey = make_survey(t.workspace, "nps")
    say(client, t, survey, "csrf-0001", 4, "Billing is confusing")
    rid = db.session.execute(select(ResponseTheme.response_id)).scalar() or 1
    sign_in(client, "ann@acme.example")
    res = client.post(
        f"/app/responses/{rid}/tags", data={"theme": "billing", "sentiment": "negative"}
    )
    assert res.status_code == 400
    assert (
        db.session.scalar(select(ResponseTheme.id).where(ResponseTheme.source == "manual")) is None
    )


def test_viewer_cannot_change_tags(client: FlaskClient) -> None:
    t = make_tenant(client)
    member(t, "vic@acme.example", "viewer")
    survey = make_survey(t.workspace, "nps")
    say(client, t, survey, "view-0001", 4, "Billing is confusing")
    analysis.analyse_pending()
    rid = db.session.execute(select(ResponseTheme.response_id)).scalar()
    sign_in(client, "vic@acme.example")
    page = client.get(f"/app/responses/{rid}").get_data(as_text=True)
    assert "Save tag" not in page and "Remove" not in page
    token = csrf(client, "/app/login")
    res = client.post(
        f"/app/responses/{rid}/tags",
        data={"theme": "billing", "sentiment": "positive", "csrf_token": token},
    )
    assert res.status_code == 403


def test_another_workspace_is_never_visible(client: FlaskClient) -> None:
    a, b = make_tenant(client, "A"), make_tenant(client, "B")
    member(b, "bob@b.example", "admin")
    survey = make_survey(a.workspace, "nps")
    say(client, a, survey, "iso-00001", 2, "Secret complaint of workspace A")
    analysis.analyse_pending()
    rid = db.session.execute(select(ResponseTheme.response_id)).scalar()
    sign_in(client, "bob@b.example")
    assert "Secret complaint" not in client.get("/app/verbatims?period=all").get_data(as_text=True)
    assert client.get(f"/app/responses/{rid}").status_code == 404


def test_login_is_rate_limited(app: Flask, client: FlaskClient) -> None:
    t = make_tenant(client)
    member(t, "ann@acme.example", "viewer")
    codes = [sign_in(client, "ann@acme.example", "wrong").status_code for _ in range(11)]
    assert codes[:10] == [200] * 10 and codes[10] == 429


def test_agents_page_ranks_agents_and_flags_the_low_one(client: FlaskClient) -> None:
    t = make_tenant(client)
    member(t, "lead@acme.example", "viewer")
    survey = make_survey(t.workspace, "csat")
    scores = {"Ann": [5] * 36 + [1] * 4, "Ben": [5] * 35 + [2] * 5, "Cal": [5] * 10 + [1] * 30}
    for agent, values in scores.items():
        for i, score in enumerate(values):
            body = {
                "survey": survey.public_id,
                "score": score,
                "context": {"agent": agent, "team": "Tier 1"},
            }
            assert (
                client.put(t.public(f"/responses/ag-{agent}-{i:04d}"), json=body).status_code == 201
            )
    sign_in(client, "lead@acme.example")
    page = client.get("/app/agents").get_data(as_text=True)
    order = [page.index(name) for name in ("Ann", "Ben", "Cal")]
    assert order == sorted(order)
    flagged = re.findall(r'<tr class="flagged">\s*<td>([^<]+)</td>', page)
    assert flagged == ["Cal"]
    assert "/app/verbatims?agent=Cal" in page


def test_agents_page_shows_ticket_figures_from_the_helpdesk(client: FlaskClient) -> None:
    from datetime import UTC, datetime, timedelta

    t = make_tenant(client)
    member(t, "lead@acme.example", "viewer")
    survey = make_survey(t.workspace, "csat")
    opened = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=3)
    for i, (frt_min, solve_h, contacts) in enumerate([(30, 4, 1), (90, 8, 2)]):
        body = {
            "id": f"T-{i}",
            "requester": {"email": f"r{i}@example.com"},
            "agent": "Dana",
            "team": "Billing",
            "created_at": opened.isoformat() + "Z",
            "first_response_at": (opened + timedelta(minutes=frt_min)).isoformat() + "Z",
            "solved_at": (opened + timedelta(hours=solve_h)).isoformat() + "Z",
            "reopens": 0,
            "contacts": contacts,
            "survey": survey.public_id,
        }
        assert t.post("/api/v1/helpdesk/tickets", body).status_code == 201
    reply = {
        "survey": survey.public_id,
        "score": 5,
        "context": {"agent": "Dana", "team": "Billing"},
    }
    client.put(t.public("/responses/tk-000001"), json=reply)
    sign_in(client, "lead@acme.example")
    page = client.get("/app/agents").get_data(as_text=True)
    row = page[page.index("<td>Dana</td>") :].split("</tr>")[0]
    # Mean first response (30 + 90) / 2 minutes = 1.0 h; resolution (4 + 8) / 2 = 6.0 h;
    # one ticket of two closed at the first contact.
    assert "1.0 h" in row and "6.0 h" in row and "50%" in row


def test_agents_page_draws_each_agents_weekly_csat(client: FlaskClient) -> None:
    from datetime import timedelta

    from feedback.database import utcnow
    from tests.factories import add_response

    t = make_tenant(client)
    member(t, "lead@acme.example", "viewer")
    survey = make_survey(t.workspace, "csat")
    now = utcnow()
    # Eve: all satisfied ten weeks ago, half five weeks ago, none this week. Finn: steady.
    for weeks_ago, scores in ((10, [5, 5, 5, 5]), (5, [5, 5, 1, 1]), (0, [1, 1, 1, 1])):
        for score in scores:
            when = now - timedelta(weeks=weeks_ago)
            add_response(survey, score, when=when, agent="Eve", team="Tier 1")
            add_response(survey, 5, when=when, agent="Finn", team="Tier 1")
    db.session.commit()
    sign_in(client, "lead@acme.example")
    page = client.get("/app/agents").get_data(as_text=True)

    def points(agent: str) -> tuple[float, list[tuple[float, float]]]:
        row = page[page.index(f"<td>{agent}</td>") :].split("</tr>")[0]
        svg = re.search(r'<svg class="spark" width="(\d+)"[^>]*><path d="([^"]+)"', row)
        found = re.findall(r"[ML]([\d.]+),([\d.]+)", svg.group(2))
        return float(svg.group(1)), [(float(x), float(y)) for x, y in found]

    width, eve = points("Eve")
    # Three weeks with answers, gaps between them; 100%, 50%, 0% drawn top to bottom, the
    # last at this week's end of the line.
    assert [y for _, y in eve] == [2.0, 15.0, 28.0]
    assert [x for x, _ in eve] == sorted(x for x, _ in eve) and eve[-1][0] == width
    assert points("Finn")[1] == [(x, 28.0) for x, _ in eve]  # flat: no spread to scale


def test_verbatims_export_follows_the_filter(client: FlaskClient) -> None:
    import csv
    import io

    t = make_tenant(client)
    member(t, "ann@acme.example", "viewer")
    survey = make_survey(t.workspace, "nps")
    say(client, t, survey, "csv-00001", 2, '=HYPERLINK("http://x") too expensive')
    say(client, t, survey, "csv-00002", 10, "Lovely support")
    sign_in(client, "ann@acme.example")
    page = client.get("/app/verbatims?band=detractor").get_data(as_text=True)
    assert "/app/verbatims.csv?" in page and "band=detractor" in page
    res = client.get("/app/verbatims.csv?band=detractor&period=last_30_days")
    assert res.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(res.get_data(as_text=True))))
    assert [r["score"] for r in rows] == ["2"]
    assert rows[0]["comment"].startswith("'=HYPERLINK")

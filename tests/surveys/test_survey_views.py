"""The survey builder: list, create and edit through the form; roles, CSRF and scoping."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from feedback.extensions import db
from feedback.surveys.models import Survey
from tests.factories import make_survey, make_tenant
from tests.pages import csrf, member, sign_in

ROLES = ("viewer", "analyst", "admin", "owner")


def signed_in(client: FlaskClient, role: str = "admin"):
    t = make_tenant(client)
    member(t, f"{role}@acme.example", role)
    sign_in(client, f"{role}@acme.example")
    return t


def csat_form(token: str, **changes: str) -> dict[str, str]:
    data = {
        "csrf_token": token,
        "kind": "csat",
        "name": "Support CSAT",
        "question": "How satisfied were you with <b>our</b> help?",
        "style": "emoji",
        "label_low": "Awful",
        "label_high": "Great",
        "followups-0-id": "reason",
        "followups-0-type": "single",
        "followups-0-prompt": "What was it about?",
        "followups-0-options": "Speed\nTone\nAnswer\n",
        "followups-0-score_low": "1",
        "followups-0-score_high": "3",
        "followups-1-id": "detail",
        "followups-1-type": "text",
        "followups-1-prompt": "Tell us more",
        "followups-1-answer_of": "reason",
        "followups-1-answer_in": "Answer",
        "urls-0-match": "starts_with",
        "urls-0-value": "/help",
        "events": "ticket_solved",
        "sample_rate": "50",
        "delay_seconds": "5",
        "recontact": "every",
        "recontact_days": "30",
        "channels": ["widget", "email"],
        "accent": "#0f766e",
        "theme": "dark",
        "status": "active",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize("role", ROLES)
def test_survey_pages_render_for_every_role(client: FlaskClient, role: str) -> None:
    t = signed_in(client, role)
    survey = make_survey(t.workspace, "nps", name="Quarterly NPS")
    page = client.get("/app/surveys").get_data(as_text=True)
    assert "Quarterly NPS" in page
    assert ("New survey" in page) == (role in ("admin", "owner"))
    res = client.get(f"/app/surveys/{survey.public_id}")
    assert res.status_code == 200
    page = res.get_data(as_text=True)
    assert "What can we improve?" in page and "widget.js" in page
    assert ("Save survey" in page) == (role in ("admin", "owner"))
    assert t.workspace.public_key in page  # the install snippet


def test_empty_list_says_what_to_do(client: FlaskClient) -> None:
    signed_in(client)
    assert "No surveys yet" in client.get("/app/surveys").get_data(as_text=True)


def test_new_survey_form_starts_from_the_kind_defaults(client: FlaskClient) -> None:
    signed_in(client)
    page = client.get("/app/surveys/new?kind=ces").get_data(as_text=True)
    assert "It was easy to get what I needed done." in page and "What made it hard?" in page


def test_building_a_survey_stores_it_with_its_followups(client: FlaskClient) -> None:
    t = signed_in(client)
    token = csrf(client, "/app/surveys/new?kind=csat")
    res = client.post("/app/surveys/new?kind=csat", data=csat_form(token))
    assert res.status_code == 302, res.get_data(as_text=True)
    survey = db.session.scalar(select(Survey).where(Survey.workspace_id == t.workspace.id))
    assert survey.scale["style"] == "emoji" and survey.scale["labels"] == {
        "low": "Awful",
        "high": "Great",
    }
    assert survey.followups == [
        {
            "id": "reason",
            "type": "single",
            "prompt": "What was it about?",
            "options": ["Speed", "Tone", "Answer"],
            "when": {"score": [1, 3]},
        },
        {
            "id": "detail",
            "type": "text",
            "prompt": "Tell us more",
            "when": {"answer": {"followup": "reason", "in": ["Answer"]}},
        },
    ]
    assert survey.targeting == {
        "urls": [{"match": "starts_with", "value": "/help"}],
        "events": ["ticket_solved"],
        "sample_rate": 0.5,
        "delay_seconds": 5,
        "recontact": "every",
        "recontact_days": 30,
    }
    assert survey.channels == ["widget", "email"]
    assert survey.branding == {"accent": "#0f766e", "theme": "dark"}
    page = client.get(res.headers["Location"]).get_data(as_text=True)
    assert "How satisfied were you with &lt;b&gt;our&lt;/b&gt; help?" in page
    assert 'id="preview"' in page and "survey_preview.js" in page


def test_a_bad_followup_shows_the_error_by_its_field(client: FlaskClient) -> None:
    t = signed_in(client)
    token = csrf(client, "/app/surveys/new?kind=csat")
    data = csat_form(token, **{"followups-1-answer_in": "Price"})
    res = client.post("/app/surveys/new?kind=csat", data=data)
    assert res.status_code == 422
    page = res.get_data(as_text=True)
    # The error sits inside the follow-up's "is one of" field, next to what was typed.
    field = page[page.index('name="followups-1-answer_in"') :]
    assert field.index("is not an option of") < field.index("</label>")
    assert db.session.scalar(select(Survey.id).where(Survey.workspace_id == t.workspace.id)) is None


def test_a_score_outside_the_scale_is_named(client: FlaskClient) -> None:
    signed_in(client)
    token = csrf(client, "/app/surveys/new?kind=csat")
    data = csat_form(token, **{"followups-0-score_high": "9"})
    page = client.post("/app/surveys/new?kind=csat", data=data).get_data(as_text=True)
    field = page[page.index('name="followups-0-score_high"') :]
    assert field.index("Must be a whole number from 1 to 5.") < field.index("</label>")


def test_editing_a_survey_keeps_its_id_and_changes_it(client: FlaskClient) -> None:
    t = signed_in(client)
    survey = make_survey(
        t.workspace,
        "nps",
        targeting={"traits": {"plan": ["Pro"]}},
        branding={"product_name": "Acme"},
        followups=[{"id": "why", "type": "text", "prompt": "Why?", "max_length": 300}],
    )
    url = f"/app/surveys/{survey.public_id}"
    token = csrf(client, url)
    data = {
        "csrf_token": token,
        "kind": "nps",
        "name": "Renamed",
        "question": survey.question,
        "style": "numbers",
        "followups-0-id": "why",
        "followups-0-type": "text",
        "followups-0-prompt": "Why?",
        "recontact": "once",
        "channels": ["link"],
        "theme": "light",
        "status": "paused",
    }
    assert client.post(url, data=data).status_code == 302
    db.session.refresh(survey)
    assert survey.name == "Renamed" and survey.status == "paused"
    # What the form has no field for, set through the API, is kept.
    assert survey.followups == [{"id": "why", "type": "text", "prompt": "Why?", "max_length": 300}]
    assert survey.targeting["traits"] == {"plan": ["Pro"]}
    assert survey.branding["product_name"] == "Acme"
    assert survey.channels == ["link"]


@pytest.mark.parametrize("role", ("viewer", "analyst"))
def test_below_admin_cannot_change_surveys(client: FlaskClient, role: str) -> None:
    t = signed_in(client, role)
    survey = make_survey(t.workspace, "nps")
    token = csrf(client, f"/app/surveys/{survey.public_id}")
    assert client.get("/app/surveys/new").status_code == 403
    data = csat_form(token)
    assert client.post("/app/surveys/new?kind=csat", data=data).status_code == 403
    data = csat_form(token, kind="nps", name="Hijacked")
    assert client.post(f"/app/surveys/{survey.public_id}", data=data).status_code == 403
    db.session.refresh(survey)
    assert survey.name != "Hijacked"


def test_a_form_without_csrf_token_is_refused(client: FlaskClient) -> None:
    t = signed_in(client)
    data = csat_form("")
    del data["csrf_token"]
    assert client.post("/app/surveys/new?kind=csat", data=data).status_code == 400
    assert db.session.scalar(select(Survey.id).where(Survey.workspace_id == t.workspace.id)) is None


def test_another_workspace_surveys_are_never_visible(client: FlaskClient) -> None:
    a = make_tenant(client, "A")
    secret = make_survey(a.workspace, "nps", name="Secret survey of A")
    signed_in(client)
    assert "Secret survey of A" not in client.get("/app/surveys").get_data(as_text=True)
    assert client.get(f"/app/surveys/{secret.public_id}").status_code == 404
    token = csrf(client, "/app/surveys")
    data = csat_form(token, kind="nps", name="Hijacked")
    assert client.post(f"/app/surveys/{secret.public_id}", data=data).status_code == 404


def _builder(client: FlaskClient, survey: Survey) -> str:
    res = client.get(f"/app/surveys/{survey.public_id}")
    assert res.status_code == 200
    return res.get_data(as_text=True)


def test_the_builder_gives_the_hosted_link_of_a_link_survey(app, client: FlaskClient) -> None:
    t = signed_in(client, "viewer")
    base = app.config["FEEDBACK_BASE_URL"].rstrip("/")
    linked = make_survey(t.workspace, "nps", channels=["widget", "link"])
    assert f'href="{base}/s/{linked.public_id}"' in _builder(client, linked)
    widget_only = make_survey(t.workspace, "csat", channels=["widget"])
    page = _builder(client, widget_only)
    assert f'/s/{widget_only.public_id}"' not in page
    assert "Tick the link channel" in page


def test_the_builder_snippet_is_the_paste_ready_one(client: FlaskClient) -> None:
    t = signed_in(client)
    survey = make_survey(t.workspace, "nps")
    page = _builder(client, survey)
    assert "/widget.js?v=" in page
    assert "// feedback(&#34;identify&#34;, &#34;USER_ID&#34;" in page  # commented out
    assert 'feedback("identify", {id: "USER_ID"' not in page


def test_the_builder_previews_the_real_invite_mail(client: FlaskClient) -> None:
    from feedback.email.models import EmailInvite

    t = signed_in(client, "analyst")
    survey = make_survey(
        t.workspace,
        "csat",
        question='Was it "good"? <script>alert(1)</script>',
        channels=["email"],
        branding={"accent": "#0f766e", "product_name": "Acme Support"},
    )
    page = _builder(client, survey)
    frame = page[page.index("<iframe") : page.index("</iframe>")]
    assert " sandbox " in frame
    # The mail's HTML, escaped once for the attribute: the browser reads the mail back.
    assert "srcdoc=" in frame and "Hi Ann," in frame and "#0f766e" in frame
    assert "&amp;lt;script&amp;gt;alert(1)" in frame  # the question, escaped in the mail too
    assert "<script>alert(1)" not in page
    assert "A quick question from Acme Support" in page
    assert "ann@example.com" in page
    assert f"/s/{survey.public_id}/r/" in frame  # its score links, as sent
    assert db.session.scalar(select(EmailInvite.id)) is None  # nothing queued or stored


def test_a_survey_not_sent_by_mail_says_how_to_send_it(client: FlaskClient) -> None:
    t = signed_in(client)
    survey = make_survey(t.workspace, "nps", channels=["widget"])
    page = _builder(client, survey)
    assert "<iframe" not in page and "Tick the email channel" in page


def test_a_score_link_in_the_mail_preview_names_no_invite(client: FlaskClient) -> None:
    import html
    import re

    from feedback.responses.models import Response

    t = signed_in(client)
    survey = make_survey(t.workspace, "nps", channels=["email"])
    frame = html.unescape(re.search(r'srcdoc="([^"]*)"', _builder(client, survey)).group(1))
    link = re.search(r'href="https?://[^/"]+(/s/[^"]+/r/[^"]+)"', frame).group(1)
    opened = client.get(link)
    # The sample invite, id 0, is no invite at all: the page refuses the link.
    assert opened.status_code == 403
    assert "Nothing was recorded" in opened.get_data(as_text=True)
    assert db.session.scalar(select(Response.id)) is None

"""What the analysis left undecided: uncertain themes an analyst confirms or dismisses, and
comments it did not read because of their language."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from feedback.extensions import db
from feedback.responses.models import Response
from feedback.themes import analysis
from feedback.themes import taxonomy as themes
from feedback.themes.models import ResponseTheme, Theme
from nlp import Analysis, ThemeMention
from tests.factories import make_survey, make_tenant
from tests.pages import csrf, member, say, sign_in


def analysed(theme: str = "pricing", uncertain: tuple[str, ...] = (), language: str = "en"):
    """A comment's analysis as the analyzer gives it: a comment in another language is skipped."""
    english = language in ("en", "und")
    return Analysis(
        text_language=language,
        is_english=english,
        sentiment="negative" if english else "neutral",
        compound=-0.4 if english else 0.0,
        themes=[ThemeMention(theme, "negative", 0.8)] if english and theme else [],
        model_version="taxonomy",
        uncertain=list(uncertain),
    )


def store(results: dict[str, Analysis]) -> dict[str, int]:
    """Store hand-made analyses of pending comments (by their key) as a worker would."""
    token, claimed = analysis.claim_batch(64)
    ids = dict(
        db.session.execute(
            select(Response.client_id, Response.id).where(Response.id.in_([c.id for c in claimed]))
        ).all()
    )
    analysis._store(token, claimed, {ids[f"states-{k}"]: a for k, a in results.items()}, {})
    return {k: ids[f"states-{k}"] for k in results}


def uncertain(response_id: int) -> list[str] | None:
    db.session.expire_all()
    return db.session.get(Response, response_id).uncertain_themes


def live_tags(response_id: int) -> dict[str, str]:
    db.session.expire_all()
    rows = db.session.execute(
        select(Theme.slug, ResponseTheme.source)
        .join(Theme, Theme.id == ResponseTheme.theme_id)
        .where(ResponseTheme.response_id == response_id, ResponseTheme.removed.is_(False))
    ).all()
    return dict(rows)


def workspace_with(client: FlaskClient, role: str = "analyst", **comments: str):
    t = make_tenant(client)
    member(t, f"{role}@acme.example", role)
    survey = make_survey(t.workspace, "nps")
    for i, (cid, text) in enumerate(comments.items()):
        say(client, t, survey, f"states-{cid}", 3 + i % 5, text)
    return t


def test_stored_uncertain_themes_show_on_the_response_page(client: FlaskClient) -> None:
    workspace_with(client, c1="The price is high and the invoice was odd.")
    ids = store({"c1": analysed("pricing", ("billing", "features"))})
    assert uncertain(ids["c1"]) == ["billing", "features"]
    sign_in(client, "analyst@acme.example")
    page = client.get(f"/app/responses/{ids['c1']}").get_data(as_text=True)
    assert "Uncertain:" in page and "Billing?" in page and "Features?" in page
    assert 'aria-label="Confirm Billing"' in page and 'aria-label="Dismiss Features"' in page


def test_no_uncertain_theme_is_stored_as_null_and_shows_nothing(client: FlaskClient) -> None:
    workspace_with(client, c1="The price is high.")
    ids = store({"c1": analysed("pricing")})
    nulls = db.session.scalar(
        select(func.count()).where(Response.id == ids["c1"], Response.uncertain_themes.is_(None))
    )
    assert nulls == 1
    sign_in(client, "analyst@acme.example")
    assert "Uncertain:" not in client.get(f"/app/responses/{ids['c1']}").get_data(as_text=True)


def test_themes_an_analyst_decided_or_the_workspace_lacks_are_not_offered(
    client: FlaskClient,
) -> None:
    t = workspace_with(client, c1="The price is high and the invoice was odd.")
    first = store({"c1": analysed("pricing", ("billing",))})["c1"]
    themes.untag_response(t.workspace, first, "features", "ann")
    db.session.commit()
    analysis.start_reanalysis(t.workspace, "test")
    db.session.commit()
    store({"c1": analysed("pricing", ("features", "no-such-theme", "pricing", "billing"))})
    assert uncertain(first) == ["billing"]


def test_confirming_makes_a_manual_tag_and_takes_it_off_the_list(client: FlaskClient) -> None:
    workspace_with(client, c1="The price is high and the invoice was odd.")
    rid = store({"c1": analysed("pricing", ("billing", "features"))})["c1"]
    sign_in(client, "analyst@acme.example")
    url = f"/app/responses/{rid}"
    data = {"csrf_token": csrf(client, url), "theme": "billing", "decision": "confirm"}
    page = client.post(f"{url}/uncertain", data=data, follow_redirects=True).get_data(as_text=True)
    assert "Theme confirmed" in page
    assert live_tags(rid) == {"pricing": "auto", "billing": "manual"}
    assert uncertain(rid) == ["features"]
    assert "Billing?" not in page and "Features?" in page


def test_dismissing_takes_it_off_the_list_and_keeps_it_off(client: FlaskClient) -> None:
    workspace_with(client, c1="The price is high and the invoice was odd.")
    rid = store({"c1": analysed("pricing", ("billing",))})["c1"]
    sign_in(client, "analyst@acme.example")
    url = f"/app/responses/{rid}"
    data = {"csrf_token": csrf(client, url), "theme": "billing", "decision": "dismiss"}
    page = client.post(f"{url}/uncertain", data=data, follow_redirects=True).get_data(as_text=True)
    assert "Theme dismissed" in page and "Uncertain:" not in page
    assert uncertain(rid) is None
    assert live_tags(rid) == {"pricing": "auto"}
    # The analyst's "does not apply" is kept: analysed again, the theme is not offered again.
    db.session.execute(
        update(Response).where(Response.id == rid).values(nlp_status="pending", nlp_claim=None)
    )
    db.session.commit()
    store({"c1": analysed("pricing", ("billing",))})
    assert uncertain(rid) is None


def test_deciding_needs_the_csrf_token_and_an_analyst(client: FlaskClient) -> None:
    t = workspace_with(client, "viewer", c1="The price is high and the invoice was odd.")
    rid = store({"c1": analysed("pricing", ("billing",))})["c1"]
    member(t, "ann@acme.example", "analyst")
    sign_in(client, "viewer@acme.example")
    url = f"/app/responses/{rid}"
    assert 'aria-label="Confirm Billing"' not in client.get(url).get_data(as_text=True)
    token = csrf(client, url)
    data = {"csrf_token": token, "theme": "billing", "decision": "confirm"}
    assert client.post(f"{url}/uncertain", data=data).status_code == 403
    sign_in(client, "ann@acme.example")
    client.post(f"{url}/uncertain", data={"theme": "billing", "decision": "confirm"})
    assert uncertain(rid) == ["billing"] and live_tags(rid) == {"pricing": "auto"}


def test_a_theme_not_offered_cannot_be_confirmed_that_way(client: FlaskClient) -> None:
    workspace_with(client, c1="The price is high and the invoice was odd.")
    rid = store({"c1": analysed("pricing", ("billing",))})["c1"]
    sign_in(client, "analyst@acme.example")
    url = f"/app/responses/{rid}"
    data = {"csrf_token": csrf(client, url), "theme": "support", "decision": "confirm"}
    page = client.post(f"{url}/uncertain", data=data, follow_redirects=True).get_data(as_text=True)
    assert "is not uncertain on response" in page
    assert "support" not in live_tags(rid)


def test_tagging_or_untagging_a_theme_settles_it(client: FlaskClient) -> None:
    t = workspace_with(client, c1="The price is high and the invoice was odd.")
    rid = store({"c1": analysed("pricing", ("billing", "features", "support"))})["c1"]
    assert t.post(f"/api/v1/responses/{rid}/themes", json={"theme": "billing"}).status_code == 201
    assert t.delete(f"/api/v1/responses/{rid}/themes/features").status_code == 200
    assert uncertain(rid) == ["support"]
    assert t.get(f"/api/v1/responses/{rid}/analysis").json["uncertain"] == ["support"]


def test_themes_page_counts_uncertain_comments_and_links_to_them(client: FlaskClient) -> None:
    t = workspace_with(
        client,
        c1="The price is high and the invoice was odd.",
        c2="Pricing is steep, and the new features are missing.",
        c3="The price is far too high.",
    )
    store(
        {
            "c1": analysed("pricing", ("billing",)),
            "c2": analysed("pricing", ("billing", "features")),
            "c3": analysed("pricing"),
        }
    )
    other = workspace_with(client, "viewer", c9="Invoice trouble again.")
    store({"c9": analysed("pricing", ("billing",))})
    member(t, "vic@acme.example", "viewer")
    sign_in(client, "vic@acme.example")
    page = client.get("/app/themes?period=last_7_days").get_data(as_text=True)
    assert "2 comments with an uncertain theme" in page
    assert "/app/verbatims?uncertain=1&amp;period=last_7_days" in page
    # Billing is uncertain on two comments and tagged on none: it counts no mention.
    report = t.get("/api/v1/themes/summary?period=last_7_days").json
    mentions = {row["theme"]: row["mentions"] for row in report["themes"]}
    assert mentions["billing"] == 0 and mentions["features"] == 0 and mentions["pricing"] == 3
    listed = client.get("/app/verbatims?uncertain=1&period=last_7_days").get_data(as_text=True)
    assert "invoice was odd" in listed and "features are missing" in listed
    assert "far too high" not in listed and "Invoice trouble" not in listed
    assert "Uncertain: Billing? Features?" in listed
    assert (
        other.get("/api/v1/responses?uncertain=1").json["data"][0]["comment"].startswith("Invoice")
    )


def test_the_uncertain_filter_names_a_bad_value(client: FlaskClient) -> None:
    t = make_tenant(client)
    res = t.get("/api/v1/responses?uncertain=maybe")
    assert res.status_code == 422 and res.json["error"]["field"] == "uncertain"


def foreign(client: FlaskClient, role: str = "viewer"):
    t = workspace_with(
        client,
        role,
        fr1="Le service est très lent et le prix est trop cher.",
        fr2="C'est trop cher pour ce que c'est, vraiment.",
        de1="Die App ist leider sehr langsam und nicht gut.",
        en1="The price is far too high.",
    )
    analysis.analyse_pending()
    ids = {
        cid.removeprefix("states-"): rid
        for cid, rid in db.session.execute(select(Response.client_id, Response.id))
    }
    sign_in(client, f"{role}@acme.example")
    return t, ids


def test_a_french_comment_says_it_was_not_analysed(client: FlaskClient) -> None:
    _, ids = foreign(client)
    assert live_tags(ids["fr1"]) == {}
    page = client.get(f"/app/responses/{ids['fr1']}").get_data(as_text=True)
    assert "not analysed: French" in page and "No theme: the comment is in French" in page
    english = client.get(f"/app/responses/{ids['en1']}").get_data(as_text=True)
    assert "not analysed" not in english


def test_the_verbatims_list_says_which_comments_were_not_analysed(client: FlaskClient) -> None:
    foreign(client)
    page = client.get("/app/verbatims").get_data(as_text=True)
    assert page.count("not analysed: French") == 2 and page.count("not analysed: German") == 1


def test_themes_page_counts_comments_not_analysed_by_language(client: FlaskClient) -> None:
    foreign(client)
    page = client.get("/app/themes?period=last_7_days").get_data(as_text=True)
    assert "3 comments not analysed: French 2, German 1." in page


def test_the_api_says_a_response_was_not_analysed_and_why(client: FlaskClient) -> None:
    t, ids = foreign(client)
    french = t.get(f"/api/v1/responses/{ids['fr1']}").json
    assert (french["language"], french["analysed"], french["not_analysed_reason"]) == (
        "fr",
        False,
        "language",
    )
    english = t.get(f"/api/v1/responses/{ids['en1']}").json
    assert (english["language"], english["analysed"], english["not_analysed_reason"]) == (
        "en",
        True,
        None,
    )
    listed = {r["id"]: r for r in t.get("/api/v1/responses").json["data"]}
    assert listed[ids["de1"]]["not_analysed_reason"] == "language"
    assert t.get(f"/api/v1/responses/{ids['de1']}/analysis").json["analysed"] is False


def test_a_comment_waiting_for_analysis_is_not_analysed_yet(client: FlaskClient) -> None:
    t = workspace_with(client, c1="The price is high.")
    rid = db.session.scalar(select(Response.id))
    got = t.get(f"/api/v1/responses/{rid}").json
    assert (got["analysed"], got["not_analysed_reason"]) == (False, "pending")


def test_an_unknown_language_code_is_shown_as_it_is(client: FlaskClient) -> None:
    workspace_with(client, c1="tlhIngan maH!")
    rid = store({"c1": analysed("", language="tlh")})["c1"]
    sign_in(client, "analyst@acme.example")
    page = client.get(f"/app/responses/{rid}").get_data(as_text=True)
    assert "not analysed: tlh" in page


def test_undetermined_is_never_named_as_a_language(client: FlaskClient) -> None:
    workspace_with(client, c1="👍👍")
    rid = store({"c1": analysed("", language="und")})["c1"]
    sign_in(client, "analyst@acme.example")
    page = client.get(f"/app/responses/{rid}").get_data(as_text=True)
    assert "not analysed" not in page and "language und" not in page

"""Themes, tags, analysis and models over the management API."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from feedback.database import utcnow
from feedback.extensions import db
from feedback.responses.models import Response
from feedback.themes import analysis
from tests.factories import make_survey, make_tenant


def comment(client: FlaskClient, t, survey, rid: str, score: int, text: str) -> int:
    fid = {"nps": "improve" if score <= 6 else "make_it_10" if score <= 8 else "love"}[survey.kind]
    client.put(
        t.public(f"/responses/{rid}"),
        json={"survey": survey.public_id, "score": score, "answers": {fid: text}},
    )
    return db.session.scalar(select(Response.id).where(Response.client_id == rid))


def test_new_workspace_starts_with_the_default_taxonomy(client: FlaskClient) -> None:
    t = make_tenant(client)
    slugs = [th["slug"] for th in t.get("/api/v1/themes").json["data"]]
    assert slugs == [
        "pricing",
        "billing",
        "support",
        "usability",
        "performance",
        "reliability",
        "features",
        "onboarding",
        "integrations",
        "mobile",
        "other",
    ]


def test_theme_crud_rename_and_merge(client: FlaskClient) -> None:
    t = make_tenant(client)
    assert t.post("/api/v1/themes", json={"slug": "Bad Slug"}).json["error"]["field"] == "slug"
    assert t.post("/api/v1/themes", json={"slug": "pricing"}).status_code == 409
    made = t.post(
        "/api/v1/themes", json={"slug": "security", "name": "Security", "phrases": ["2FA", "SSO"]}
    )
    assert made.status_code == 201 and made.json["phrases"] == ["2fa", "sso"]
    renamed = t.patch("/api/v1/themes/security", json={"slug": "trust", "name": "Trust & security"})
    assert renamed.json["slug"] == "trust"
    merged = t.post("/api/v1/themes/billing/merge", json={"into": "pricing"})
    assert merged.status_code == 200 and "invoice" in " ".join(merged.json["phrases"])
    slugs = [th["slug"] for th in t.get("/api/v1/themes").json["data"]]
    assert "billing" not in slugs and "trust" in slugs
    assert t.delete("/api/v1/themes/trust").status_code == 204
    assert t.patch("/api/v1/themes/nope", json={}).status_code == 404


def test_tag_and_untag_with_who_and_when(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    rid = comment(client, t, survey, "tag-000001", 3, "The invoices never match the quote")
    analysis.analyse_pending()
    body = t.get(f"/api/v1/responses/{rid}/analysis").json
    assert body["status"] == "done" and "billing" in [x["theme"] for x in body["themes"]]
    res = t.post(
        f"/api/v1/responses/{rid}/themes", json={"theme": "support", "sentiment": "negative"}
    )
    assert res.status_code == 201
    support = next(x for x in res.json["themes"] if x["theme"] == "support")
    assert (support["source"], support["tagged_by"]) == ("manual", "api key test")
    res = t.delete(f"/api/v1/responses/{rid}/themes/billing")
    assert "billing" not in [x["theme"] for x in res.json["themes"]] and res.json["removed"] == [
        "billing"
    ]
    bad = t.post(
        f"/api/v1/responses/{rid}/themes", json={"theme": "support", "sentiment": "furious"}
    )
    assert bad.status_code == 422 and bad.json["error"]["field"] == "sentiment"


def test_theme_summary_counts_mentions_and_sentiment(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    comment(client, t, survey, "sum-000001", 2, "Way too expensive for what it does.")
    comment(client, t, survey, "sum-000002", 10, "Fair price, great value for money.")
    comment(client, t, survey, "sum-000003", 9, "The mobile app is lovely.")
    analysis.analyse_pending()
    body = t.get("/api/v1/themes/summary?period=all").json
    pricing = next(x for x in body["themes"] if x["theme"] == "pricing")
    assert body["comments"] == 3
    assert (
        pricing["mentions"] == 2
        and pricing["sentiment"]["negative"] == 1
        and pricing["sentiment"]["positive"] == 1
    )
    detractors = t.get("/api/v1/themes/summary?period=all&band=detractor").json
    assert next(x for x in detractors["themes"] if x["theme"] == "pricing")["mentions"] == 1


BASELINE = (
    "Our accountant likes the weekly summary mail",
    "My cat walked over the keyboard",
    "Greetings from the Berlin office",
    "The mascot in the corner is cute",
    "We are a small bakery in Leeds",
)


def _uncovered(client: FlaskClient, t, survey, days: int = 60, prefix: str = "old") -> None:
    """Thirty comments no theme covers, `days` ago: the baseline a new topic is measured
    against, or (0 days) the rest of the current period's."""
    for i in range(30):
        comment(client, t, survey, f"{prefix}-{i:05d}", 8, f"{BASELINE[i % 5]} ({i})")
    db.session.execute(
        update(Response)
        .where(Response.client_id.like(f"{prefix}-%"))
        .values(submitted_at=utcnow() - timedelta(days=days))
    )
    db.session.commit()


LOGO = (
    "not a fan of the new logo",
    "bring back the old logo please",
    "who approved this logo",
    "the purple logo is odd",
    "the logo reminds me of a bank",
    "that logo has to go",
)


def test_emerging_candidates_come_from_uncovered_comments(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    _uncovered(client, t, survey)
    for i, text in enumerate(LOGO):
        comment(client, t, survey, f"cand-{i:05d}", 8, text)
    analysis.analyse_pending()
    body = t.get("/api/v1/themes/candidates").json
    [found] = body["data"]
    assert (found["phrase"], found["count"], found["previous_count"]) == ("logo", 6, 0)
    assert found["new"] and found["growth"] is None
    low, high = found["growth_interval"]
    assert low > 1 and high is None and found["p_value"] < 0.05
    assert len(found["examples"]) == 3 and all(e in LOGO for e in found["examples"])
    assert body["baseline"]["to"] == body["period"]["from"]
    # Analysis kept the phrases of the comments no theme covers, for discovery to count.
    stored = db.session.scalars(select(Response.phrases).where(Response.comment.is_not(None)))
    assert sum(1 for phrases in stored if phrases and "logo" in phrases) == 6


def test_the_minimum_count_of_candidates_can_be_asked_for(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    _uncovered(client, t, survey)
    for i, text in enumerate(LOGO):
        comment(client, t, survey, f"cand-{i:05d}", 8, text)
    analysis.analyse_pending()
    assert len(t.get("/api/v1/themes/candidates?min_count=6").json["data"]) == 1
    assert t.get("/api/v1/themes/candidates?min_count=7").json["data"] == []
    for bad in ("lots", "1", "\u00b2", "9" * 5000):
        res = t.get("/api/v1/themes/candidates", query_string={"min_count": bad})
        assert res.status_code == 422 and res.json["error"]["field"] == "min_count"


def test_a_topic_as_common_as_before_is_no_candidate(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    _uncovered(client, t, survey)
    _uncovered(client, t, survey, 0, "now")
    for i, text in enumerate(LOGO):  # 6 of 36 comments before, 6 of 36 now: no growth
        comment(client, t, survey, f"prior-{i:05d}", 8, text)
    db.session.execute(
        update(Response)
        .where(Response.client_id.like("prior-%"))
        .values(submitted_at=utcnow() - timedelta(days=40))
    )
    db.session.commit()
    for i, text in enumerate(LOGO):
        comment(client, t, survey, f"cand-{i:05d}", 8, text)
    analysis.analyse_pending()
    assert t.get("/api/v1/themes/candidates").json["data"] == []


def test_a_comment_an_analyst_uncovers_joins_discovery(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    ids = [
        comment(client, t, survey, f"unc-{i:05d}", 4, f"way too expensive, no audit trail {i}")
        for i in range(5)
    ]
    analysis.analyse_pending()
    url = "/api/v1/themes/candidates?min_count=2"
    assert t.get(url).json["data"] == []  # pricing covers them
    # Covered comments keep no phrases (SQL NULL: the index of uncovered ones stays small).
    covered = select(func.count()).select_from(Response).where(Response.phrases.is_(None))
    assert db.session.scalar(covered) == 5
    for rid in ids:
        themes = t.get(f"/api/v1/responses/{rid}/analysis").json["themes"]
        for slug in {th["theme"] for th in themes if th["theme"] != "other"}:
            assert t.delete(f"/api/v1/responses/{rid}/themes/{slug}").status_code == 200
    found = t.get(url).json["data"]
    assert "audit trail" in [c["phrase"] for c in found]


def test_model_status_and_training_request(client: FlaskClient) -> None:
    t = make_tenant(client)
    body = t.get("/api/v1/models").json
    assert body == {"labels": 0, "min_labels": 150, "data": []}
    assert t.post("/api/v1/models/train").status_code == 202
    from feedback.themes.training import due_for_training

    assert [w.id for w in due_for_training()] == [t.workspace.id]


def test_another_workspace_cannot_read_or_tag(client: FlaskClient) -> None:
    a, b = make_tenant(client, "A"), make_tenant(client, "B")
    survey = make_survey(a.workspace, "nps")
    rid = comment(client, a, survey, "iso-000001", 3, "Too slow")
    assert b.get(f"/api/v1/responses/{rid}/analysis").status_code == 404
    assert (
        b.post(f"/api/v1/responses/{rid}/themes", json={"theme": "performance"}).status_code == 404
    )
    assert b.delete(f"/api/v1/responses/{rid}/themes/performance").status_code == 404

"""A theme's impact on the score, against figures worked out by hand."""

from __future__ import annotations

from flask.testing import FlaskClient

from feedback.extensions import db
from feedback.periods import resolve
from feedback.themes.impact import theme_impact
from tests.factories import add_response, make_survey, make_tenant, tag


def _by_slug(rows: list[dict]) -> dict[str, dict]:
    return {row["theme"]: row for row in rows}


def test_nps_impact_matches_the_hand_computed_case(client: FlaskClient) -> None:
    t = make_tenant(client)
    ws = t.workspace
    survey = make_survey(ws, "nps")
    # Ten NPS responses: 4 promoters, 2 passives, 4 detractors, so NPS = 0.
    r = {s: add_response(survey, s, comment="c") for s in (10, 9, 8, 7, 5, 0)}
    extra = [add_response(survey, s, comment="c") for s in (10, 9, 6, 3)]
    tag(ws, extra[2], "pricing", "negative")  # detractor 6: moves to passive
    tag(ws, extra[3], "pricing", "negative")  # detractor 3: moves to passive
    tag(ws, extra[1], "pricing", "negative")  # promoter 9: stays a promoter
    tag(ws, r[8], "pricing", "positive")  # passive 8, not negative
    tag(ws, r[0], "support", "negative")
    tag(ws, r[5], "support", "positive")
    tag(ws, r[5], "billing", "negative", removed=True)  # an analyst said no: not counted
    other = make_tenant(client, "Other")
    noise = add_response(make_survey(other.workspace, "nps"), 0, comment="c")
    tag(other.workspace, noise, "pricing", "negative")
    db.session.commit()

    rows = _by_slug(theme_impact(ws, "nps", resolve("all", "UTC")))
    pricing = rows["pricing"]
    # With pricing: 6, 3, 9, 8 -> 1 promoter, 2 detractors of 4 = -25.
    assert pricing["with"] == {"n": 4, "value": -25.0, "low_confidence": True}
    # Without: 10, 10, 9, 7, 5, 0 -> 3 promoters, 2 detractors of 6 = 16.7.
    assert pricing["without"]["n"] == 6 and pricing["without"]["value"] == 16.7
    # Two detractors become passives: NPS goes from 0 to 20.
    assert pricing["negative_low"] == 2 and pricing["gain"] == 20.0
    support = rows["support"]
    assert support["with"]["value"] == -100.0 and support["without"]["value"] == 25.0
    assert support["gain"] == 10.0
    assert rows["billing"]["with"]["n"] == 0 and rows["billing"]["gain"] == 0.0
    assert list(rows)[0] == "pricing"  # biggest gain first


def test_csat_impact_leaves_the_dissatisfied_mentions_out(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "csat")
    rs = [add_response(survey, s, comment="c") for s in (5, 5, 4, 2, 1)]
    tag(t.workspace, rs[3], "pricing", "negative")
    tag(t.workspace, rs[4], "pricing", "negative")
    db.session.commit()
    pricing = _by_slug(theme_impact(t.workspace, "csat", resolve("all", "UTC")))["pricing"]
    # 3 satisfied of 5 = 60%; without the two dissatisfied pricing answers, 3 of 3 = 100%.
    assert pricing["gain"] == 40.0
    assert pricing["with"]["value"] == 0.0 and pricing["without"]["value"] == 100.0


def test_ces_impact_counts_the_hard_mentions_as_neutral(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "ces")
    rs = [add_response(survey, s, comment="c") for s in (7, 2)]
    tag(t.workspace, rs[1], "usability", "negative")
    db.session.commit()
    usability = _by_slug(theme_impact(t.workspace, "ces", resolve("all", "UTC")))["usability"]
    assert usability["gain"] == 1.0  # mean 4.5 -> 5.5 when the 2 counts as 4

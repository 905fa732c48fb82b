"""The scorecard's next action for a KPI, from planted data whose answer is known."""

from __future__ import annotations

from flask.testing import FlaskClient

from feedback.extensions import db
from feedback.periods import resolve
from feedback.scorecard.advice import recommend
from feedback.scorecard.card import scorecard
from feedback.themes import taxonomy as themes
from tests.factories import add_response, make_survey, make_tenant, tag
from tests.pages import member, sign_in


def _nps_with_a_drag(client: FlaskClient):
    """200 NPS answers: 40 detractors, 30 of them complaining about pricing, 4 about support."""
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    for i in range(200):
        score = 2 if i < 40 else (8 if i < 100 else 10)
        response = add_response(survey, score, comment="words")
        if i < 30:
            tag(t.workspace, response, "pricing", "negative")
        elif i < 34:
            tag(t.workspace, response, "support", "negative")
    themes.get_theme(t.workspace, "pricing").owner = "lead@example.com"
    db.session.commit()
    return t


def test_a_planted_theme_drag_is_ranked_first(client: FlaskClient) -> None:
    t = _nps_with_a_drag(client)
    found = recommend(t.workspace, "nps", resolve("all", "UTC"), "all")
    best = found.best
    assert best is not None and (best.action, best.subject) == ("fix_theme", "Pricing")
    # 30 detractors of 200 become passives: NPS rises 15 points.
    assert best.effect == 15.0 and 0 < best.low < 15.0 < best.high
    assert best.owner == "lead@example.com"
    assert best.evidence["n"] == 30 and best.evidence["of"] == 200
    assert "theme=pricing" in best.evidence["comments"]
    assert "band=detractor" in best.evidence["comments"]
    # Support's 4 of 200 is a 2-point gain, clear of zero too, and ranked after.
    assert [a.subject for a in found.next] == ["Support"]


def test_a_few_scattered_complaints_are_called_noise(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "nps")
    for i in range(60):
        response = add_response(survey, 9 if i % 2 else 7, comment="words")
        if i == 0:
            tag(t.workspace, response, "pricing", "positive")
    db.session.commit()
    found = recommend(t.workspace, "nps", resolve("all", "UTC"), "all")
    assert found.best is None
    assert "nothing to recommend" in found.why


def test_an_agent_well_below_their_team_is_a_coaching_action(client: FlaskClient) -> None:
    t = make_tenant(client)
    survey = make_survey(t.workspace, "csat")
    # The team: 90% satisfied over 200 answers; Bob: 40% over 50.
    for i in range(200):
        add_response(survey, 5 if i % 10 else 2, agent=f"agent{i % 4}", team="Support")
    for i in range(50):
        add_response(survey, 5 if i % 5 < 2 else 1, agent="Bob", team="Support")
    db.session.commit()
    found = recommend(t.workspace, "csat", resolve("all", "UTC"), "all")
    assert found.best is not None
    assert (found.best.action, found.best.subject) == ("coach_agent", "Bob")
    # Bob reaching his team's 90% moves the workspace's CSAT by 50 points x 50/250 = 10.
    assert found.best.effect == 10.0 and found.best.low > 0
    assert found.best.evidence["team"] == "Support"


def test_the_scorecard_page_shows_the_next_action_and_its_evidence(client: FlaskClient) -> None:
    t = _nps_with_a_drag(client)
    card = scorecard(t.workspace, resolve("all", "UTC"), "all")
    [nps] = [k for k in card["kpis"] if k.kind == "nps"]
    assert nps.recommendation.best.subject == "Pricing"
    sign_in(client, member(t, "viewer@example.com", "viewer"))
    page = client.get("/app/").get_data(as_text=True)
    assert "Next: Fix Pricing" in page
    assert "30 of 200 responses are low scores that complain about it" in page

"""The targets page: admins set each KPI's target, margin and member owner; everyone reads
them; every change, from the page or the API, is kept with who made it."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from feedback.accounts import workspaces
from feedback.accounts.models import Membership
from feedback.extensions import db
from feedback.scorecard import kpis
from feedback.scorecard.models import KpiTarget, KpiTargetChange
from tests.factories import make_survey, make_tenant
from tests.pages import PASSWORD, csrf, member, sign_in

PAGE = "/app/scorecard/targets"


def _form(client: FlaskClient, metric: str, **fields: str) -> dict[str, str]:
    data = {"target": "", "higher_is_better": "1", "at_risk": "", "owner_id": ""}
    data |= {"perspective": "customer", **fields}
    return {"csrf_token": csrf(client, PAGE), **{f"{metric}-{k}": v for k, v in data.items()}}


def _card(page: str, metric: str) -> str:
    """The part of the page about one KPI: its card, up to the next one."""
    start = page.index(f'id="kpi-{metric}"')
    end = page.find('<section class="card target"', start)
    return page[start : end if end > 0 else None]


def _target(t, metric: str) -> KpiTarget | None:
    db.session.expire_all()
    return kpis.targets(t.workspace).get(metric)


def _admin(client: FlaskClient):
    t = make_tenant(client)
    member(t, "boss@acme.example", "admin")
    sign_in(client, "boss@acme.example")
    return t


def test_an_admin_sets_a_target_and_its_owner_and_the_scorecard_shows_them(
    client: FlaskClient,
) -> None:
    t = _admin(client)
    ann = workspaces.add_user(t.workspace, "ann@acme.example", PASSWORD, "viewer")
    db.session.commit()
    survey = make_survey(t.workspace, "nps")
    for i, score in enumerate([10] * 40 + [9] * 20 + [3] * 10):
        res = client.put(
            t.public(f"/responses/tgt-{i:05d}"), json={"survey": survey.public_id, "score": score}
        )
        assert res.status_code == 201
    page = client.get(PAGE).get_data(as_text=True)
    # Every KPI the scorecard shows has its form: survey, helpdesk and loop figures.
    for metric in ("nps", "ces", "frt_hours", "one_touch", "closed_loop_rate", "recovered_rate"):
        assert f'action="/app/scorecard/targets/{metric}"' in page, metric
    assert ">ann (ann@acme.example)</option>" in _card(page, "nps")

    res = client.post(f"{PAGE}/nps", data=_form(client, "nps", target="40", owner_id=str(ann.id)))
    assert res.status_code == 302 and res.location.endswith("/app/scorecard/targets#kpi-nps")
    target = _target(t, "nps")
    assert (target.target, target.owner_id, target.owner) == (40.0, ann.id, "ann@acme.example")
    assert target.at_risk is None and target.higher_is_better
    # The API gives the member's email as the owner, as it always has.
    assert t.get("/api/v1/kpis").json["targets"][0]["owner"] == "ann@acme.example"
    # The owner is named as a member, linked to the cases they own, here and on the scorecard.
    owned = (
        f'<a class="owner" href="/app/cases/all?owner={ann.id}" title="The cases ann owns">ann</a>'
    )
    assert f"Owned by {owned}" in _card(client.get(PAGE).get_data(as_text=True), "nps")
    scorecard = client.get("/app/").get_data(as_text=True)
    assert f"Target +40 · owner {owned}" in scorecard and "on track" in scorecard
    assert 'href="/app/scorecard/targets"' in scorecard


def test_viewers_and_analysts_read_the_targets_but_cannot_change_them(
    client: FlaskClient,
) -> None:
    t = make_tenant(client)
    kpis.set_target(t.workspace, "nps", {"target": 30, "owner": "Priya"})
    for role in ("viewer", "analyst"):
        email = member(t, f"{role}@acme.example", role)
        client = client.application.test_client()
        sign_in(client, email)
        page = client.get(PAGE)
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        assert "Only admins can change them" in text and "<fieldset disabled" in text
        assert "Save target" not in text and 'value="30"' in _card(text, "nps")
        # Nor does the scorecard link to it for them.
        assert 'href="/app/scorecard/targets"' not in client.get("/app/").get_data(as_text=True)
        res = client.post(f"{PAGE}/nps", data=_form(client, "nps", target="99"))
        assert res.status_code == 403
        assert _target(t, "nps").target == 30.0
    assert db.session.query(KpiTargetChange).count() == 1


def test_an_owner_must_be_a_member_of_this_workspace(client: FlaskClient) -> None:
    t = _admin(client)
    other = make_tenant(client, "Other")
    stranger = workspaces.add_user(other.workspace, "x@other.example", PASSWORD, "admin")
    db.session.commit()
    res = client.post(
        f"{PAGE}/nps", data=_form(client, "nps", target="40", owner_id=str(stranger.id))
    )
    assert res.status_code == 422
    card = _card(res.get_data(as_text=True), "nps")
    assert re.search(
        r'<label class="field grow has-error">\s*<span>Owner</span>.*?'
        r"The owner must be a member of this workspace\.",
        card,
        re.S,
    )
    # The other workspace's member is not even named on the page.
    assert "x@other.example" not in res.get_data(as_text=True)
    assert _target(t, "nps") is None and db.session.query(KpiTargetChange).count() == 0
    # A number that is not one is refused on its own field, and nothing is stored either.
    res = client.post(f"{PAGE}/nps", data=_form(client, "nps", target="nan"))
    assert res.status_code == 422 and "Enter a number such as 40" in _card(
        res.get_data(as_text=True), "nps"
    )
    assert _target(t, "nps") is None


def test_changes_from_the_api_and_the_page_are_kept_with_who_made_them(
    client: FlaskClient,
) -> None:
    t = _admin(client)
    res = t.client.put(
        "/api/v1/kpis/targets/nps", json={"target": 30, "owner": "cfo"}, headers=t.headers
    )
    assert res.status_code == 200
    # The page keeps the API's free-text owner when an admin changes only the target.
    page = client.get(PAGE).get_data(as_text=True)
    assert '<option selected value="keep">cfo (not a member)</option>' in _card(page, "nps")
    res = client.post(
        f"{PAGE}/nps", data=_form(client, "nps", target="35", at_risk="5", owner_id="keep")
    )
    assert res.status_code == 302
    assert (_target(t, "nps").owner, _target(t, "nps").at_risk) == ("cfo", 5.0)
    # Sending the same again changes nothing, and keeps nothing.
    client.post(f"{PAGE}/nps", data=_form(client, "nps", target="35", at_risk="5", owner_id="keep"))
    changes = db.session.scalars(db.select(KpiTargetChange).order_by(KpiTargetChange.id)).all()
    assert [c.actor for c in changes] == ["api key test", "boss@acme.example"]
    assert changes[0].before is None and changes[1].before["target"] == 30.0
    assert kpis.describe(changes[1]) == ["target 30 → 35", "at risk within none → 5"]

    card = _card(client.get(PAGE).get_data(as_text=True), "nps")
    page_change, api_change = card.index("boss@acme.example"), card.index("api key test")
    assert page_change < api_change  # newest first
    assert "target 30 → 35; at risk within none → 5" in card
    assert "target 30; direction higher is better; at risk within none; owner cfo" in card
    # When, on the workspace's clock.
    assert re.search(r"\d\d [A-Z][a-z]{2} \d{4}, \d\d:\d\d UTC · boss@acme\.example", card)


def test_the_at_risk_margin_changes_the_status_the_scorecard_shows(client: FlaskClient) -> None:
    t = _admin(client)
    t.post("/api/v1/kpis/values", [{"metric": "churn_rate", "date": "2026-11-20", "value": 2.4}])
    page = client.get(PAGE).get_data(as_text=True)
    assert "Churn rate" in _card(page, "churn_rate")  # a pushed metric has its form too
    form = _form(client, "churn_rate", target="2", higher_is_better="0", perspective="financial")
    assert client.post(f"{PAGE}/churn_rate", data=form).status_code == 302
    assert "status-off-track" in client.get("/app/").get_data(as_text=True)
    form["churn_rate-at_risk"] = "0.5"
    assert client.post(f"{PAGE}/churn_rate", data=form).status_code == 302
    scorecard = client.get("/app/").get_data(as_text=True)
    assert '<span class="badge status-at-risk">at risk</span>' in scorecard
    form["churn_rate-at_risk"] = "0.3"
    client.post(f"{PAGE}/churn_rate", data=form)
    assert "status-off-track" in client.get("/app/").get_data(as_text=True)


def test_an_unknown_metric_has_no_form(client: FlaskClient) -> None:
    _admin(client)
    assert client.post(f"{PAGE}/no_such_kpi", data=_form(client, "x")).status_code == 404


def test_status_reads_the_margin_on_the_side_short_of_the_target() -> None:
    higher = KpiTarget(metric="nps", target=40.0, higher_is_better=True, at_risk=5.0)
    lower = KpiTarget(metric="frt_hours", target=4.0, higher_is_better=False, at_risk=1.0)
    bare = KpiTarget(metric="csat", target=80.0, higher_is_better=True)
    assert kpis.status(41, higher) == "on track"
    assert kpis.status(36, higher) == "at risk"
    assert kpis.status(35, higher) == "at risk"
    assert kpis.status(34.9, higher) == "off track"
    assert kpis.status(36, higher, [30, 42]) == "uncertain"
    assert kpis.status(4.5, lower) == "at risk" and kpis.status(5.5, lower) == "off track"
    assert kpis.status(3.0, lower) == "on track"
    assert kpis.status(79, bare) == "off track"  # no margin: no "at risk"


def test_an_owner_who_left_is_kept_as_text_until_an_admin_chooses_another(
    client: FlaskClient,
) -> None:
    t = _admin(client)
    ann = workspaces.add_user(t.workspace, "ann@acme.example", PASSWORD, "viewer")
    db.session.commit()
    form = _form(client, "csat", target="80", owner_id=str(ann.id))
    assert client.post(f"{PAGE}/csat", data=form).status_code == 302
    db.session.execute(db.delete(Membership).where(Membership.user_id == ann.id))
    db.session.commit()
    card = _card(client.get(PAGE).get_data(as_text=True), "csat")
    assert '<option selected value="keep">ann@acme.example (not a member)</option>' in card
    # Sent again, she is refused: only a member can be chosen.
    assert client.post(f"{PAGE}/csat", data=form).status_code == 422


def test_the_api_names_a_member_as_owner_and_a_margin(client: FlaskClient) -> None:
    t = make_tenant(client)
    ann = workspaces.add_user(t.workspace, "ann@acme.example", PASSWORD, "viewer")
    db.session.commit()
    body = {"target": 40, "owner_id": ann.id, "at_risk": 5}
    res = t.client.put("/api/v1/kpis/targets/nps", json=body, headers=t.headers)
    assert res.status_code == 200
    assert (res.json["owner"], res.json["owner_id"], res.json["at_risk"]) == (
        "ann@acme.example",
        ann.id,
        5.0,
    )
    other = make_tenant(client, "Other")
    bob = workspaces.add_user(other.workspace, "bob@other.example", PASSWORD, "admin")
    db.session.commit()
    for body, field in (
        ({"target": 40, "owner_id": bob.id}, "owner_id"),
        ({"target": 40, "owner_id": "1"}, "owner_id"),
        ({"target": 40, "at_risk": -1}, "at_risk"),
    ):
        res = t.client.put("/api/v1/kpis/targets/nps", json=body, headers=t.headers)
        assert res.status_code == 422 and res.json["error"]["field"] == field, body
    assert _target(t, "nps").owner_id == ann.id

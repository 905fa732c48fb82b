"""The weekly review page: a member's own KPIs, another owner's or every owned one, each with
its figure, target, status, chart, outlook and next action, then the money at stake."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from feedback.accounts import workspaces
from feedback.extensions import db
from feedback.scorecard import card
from tests.factories import make_tenant
from tests.owned_kpis import owned_kpis
from tests.pages import PASSWORD, member, sign_in

PAGE = "/app/scorecard/review"
XSS = "<img src=x onerror=alert(1)>"


def _kpi(page: str, metric: str) -> str:
    """The part of the page about one KPI: its section, up to the next one."""
    start = page.index(f'id="kpi-{metric}"')
    return page[start : page.index("</section>", start)]


def test_a_member_reads_their_own_kpis_with_chart_advice_and_money(client: FlaskClient) -> None:
    owned = owned_kpis(client)
    sign_in(client, "ann@acme.example")
    assert 'href="/app/scorecard/review">Weekly review</a>' in client.get("/app/").get_data(
        as_text=True
    )
    page = client.get(PAGE).get_data(as_text=True)
    assert "Weekly review: your KPIs" in page
    nps = _kpi(page, "nps")
    # 100 promoters and 40 detractors of 200; the target of 50 is above the whole interval.
    assert '<div class="value">+30</div>' in nps and "n = 200 responses" in nps
    assert 'Target +50 (higher is better) <span class="badge status-off-track">off track' in nps
    assert '<figure class="trajectory">' in nps and "<svg" in nps
    assert "against the target of 50." in nps
    # 30 of the 40 detractors complain about pricing: as passives, NPS would gain 15 points.
    assert "<strong>Next: Fix Pricing</strong>, expected +15 (" in nps
    assert "30 of 200 responses are low scores that complain about it" in nps
    assert 'href="/app/verbatims?theme=pricing&amp;kind=nps&amp;band=detractor' in nps
    # CSAT is Bob's.
    assert 'id="kpi-csat"' not in page
    # Detractors pay 100 + 50 EUR a month, the first with an open case.
    assert "<strong>150 EUR</strong> a month with 2 detractors" in page
    assert "<strong>100 EUR</strong> a month in 1 open detractor case" in page
    assert f'<option value="{owned.ann.id}" selected>Ann Lee</option>' in page


def test_printed_the_review_has_no_navigation_and_never_splits_a_kpi(
    client: FlaskClient,
) -> None:
    owned_kpis(client)
    sign_in(client, "ann@acme.example")
    page = client.get(PAGE).get_data(as_text=True)
    assert '<header class="top">' in page and 'class="filters no-print"' in page
    css = client.get("/static/dashboard.css").get_data(as_text=True)
    printed = css[css.index("@media print") :]
    assert ".top, .flash, .no-print" in printed and "display: none" in printed
    assert ".review-kpi, .review-money { break-inside: avoid;" in printed
    assert "body { background: #fff; color: #000;" in printed


def test_another_owner_s_review_and_every_owner_s(client: FlaskClient) -> None:
    owned = owned_kpis(client)
    sign_in(client, "boss@acme.example")
    page = client.get(PAGE).get_data(as_text=True)
    # The boss owns nothing: they read every owner's review, and are told why.
    assert "You own no KPI yet, so this is every owner's review." in page
    assert 'id="kpi-nps"' in page and 'id="kpi-csat"' in page
    own = client.get(f"{PAGE}?owner={owned.boss.id}").get_data(as_text=True)
    assert "You own no KPI yet." in own and "every owner's review" not in own
    assert 'id="kpi-nps"' not in own
    # The picker names the owners.
    assert f'<option value="{owned.ann.id}" >Ann Lee</option>' in page
    assert f'<option value="{owned.bob.id}" >Bob Stone</option>' in page

    bob = client.get(f"{PAGE}?owner={owned.bob.id}").get_data(as_text=True)
    assert "Weekly review: Bob Stone's KPIs" in bob
    assert '<div class="value">80%</div>' in _kpi(bob, "csat") and 'id="kpi-nps"' not in bob
    assert "Target 60% (higher is better)" in bob and "status-on-track" in bob

    every = client.get(f"{PAGE}?owner=all").get_data(as_text=True)
    assert "every KPI with an owner" in every
    ann_link = f'href="/app/cases/all?owner={owned.ann.id}" title="The cases Ann Lee owns">Ann Lee'
    assert ann_link in _kpi(every, "nps")
    assert "Bob Stone</a>" in _kpi(every, "csat")


def test_the_review_escapes_a_kpi_title_and_a_member_name(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    owned = owned_kpis(client)
    owned.ann.name = f"{XSS} Ann"
    db.session.commit()
    monkeypatch.setitem(card.TITLES, "nps", f"{XSS} NPS")
    sign_in(client, "bob@acme.example")
    for url in (f"{PAGE}?owner={owned.ann.id}", f"{PAGE}?owner=all"):
        page = client.get(url).get_data(as_text=True)
        assert XSS not in page, url
        assert "&lt;img src=x onerror=alert(1)&gt; NPS" in page
        assert "&lt;img src=x onerror=alert(1)&gt; Ann" in page


@pytest.mark.parametrize(
    ("value", "status"), [("abc", 400), ("٣", 400), ("-1", 400), ("999999", 404), ("OTHER", 404)]
)
def test_a_bad_owner_is_refused_and_named(client: FlaskClient, value: str, status: int) -> None:
    t = make_tenant(client)
    member(t, "ann@acme.example", "viewer")
    other = make_tenant(client, "Other")
    stranger = workspaces.add_user(other.workspace, "x@other.example", PASSWORD, "admin")
    db.session.commit()
    sign_in(client, "ann@acme.example")
    value = value.replace("OTHER", str(stranger.id))
    res = client.get(f"{PAGE}?owner={value}")
    assert res.status_code == status
    assert "&#34;owner&#34;" in res.get_data(as_text=True)


def test_the_review_needs_a_signed_in_member(client: FlaskClient) -> None:
    res = client.get(PAGE)
    assert res.status_code == 302 and "/app/login" in res.location

"""Churn and retention by NPS band month by month, against answers worked out by hand: each
churn or renewal in the band of the respondent's latest score before it, months cut in the
workspace's timezone, a Wilson interval and n per cell, the value churned equal to the accounts
behind it, and one workspace's events only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from feedback.database import utcnow
from feedback.extensions import db
from feedback.metrics import money
from feedback.metrics.formulas import wilson
from feedback.metrics.money_sums import MonthOutcome
from feedback.periods import month_spans, resolve
from feedback.responses.models import Respondent, RespondentEvent
from feedback.surveys.models import Survey
from tests.factories import Tenant, make_survey, make_tenant
from tests.metrics.money_data import person, score

# Seen from the middle of March 2026, the twelve months run from April 2025 to March 2026.
NOW = datetime(2026, 3, 15, 12, tzinfo=UTC)


def event(tenant: Tenant, who: Respondent, kind: str, when: datetime) -> None:
    db.session.add(
        RespondentEvent(workspace_id=tenant.workspace.id, respondent_id=who.id, event=kind, at=when)
    )


def by_month(tenant: Tenant, now: datetime = NOW) -> dict[str, dict[str, Any]]:
    """The report's months by name ("2026-02"), over all time so every scorer counts."""
    period = resolve("all", tenant.workspace.timezone)
    report = money.money_report(tenant.workspace, period, now)
    return {month["month"]: month for month in report["churn"]["by_month"]}


def cells(month: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {cell["band"]: cell for cell in month["bands"]}


def test_each_cell_has_its_rates_wilson_intervals_and_n() -> None:
    months = month_spans("UTC", 3, NOW)  # January, February, March 2026
    rows = [
        MonthOutcome(0, "detractor", "churned", 3, 2, 300.0),
        MonthOutcome(0, "detractor", "renewed", 7, 7, 700.0),
        MonthOutcome(0, "promoter", "renewed", 9, 9, 900.0),
        MonthOutcome(0, "promoter", "churned", 1, 1, 50.5),
        MonthOutcome(0, None, "churned", 2, 1, 20.0),
        MonthOutcome(2, "passive", "renewed", 4, 0, 0.0),
    ]
    table = money.churn_by_month(rows, months)

    assert [m["month"] for m in table] == ["2026-01", "2026-02", "2026-03"]
    january = table[0]
    bad = cells(january)["detractor"]
    assert (bad["n"], bad["churned"], bad["renewed"]) == (10, 3, 7)
    assert bad["churn_rate"] == {"value": 30.0, "interval": list(wilson(3, 10))}
    assert bad["retention_rate"] == {"value": 70.0, "interval": list(wilson(7, 10))}
    assert (bad["churned_value"], bad["churned_valued"]) == (300.0, 2)
    good = cells(january)["promoter"]
    assert good["churn_rate"] == {"value": 10.0, "interval": list(wilson(1, 10))}
    # The month overall: both bands and the two who had not scored yet.
    assert (january["n"], january["churned"], january["renewed"]) == (22, 6, 16)
    assert january["churn_rate"] == {"value": 27.3, "interval": list(wilson(6, 22))}
    assert january["churned_value"] == 370.5
    assert january["unscored"] == {
        "n": 2,
        "churned": 2,
        "renewed": 0,
        "churned_value": 20.0,
        "churned_valued": 1,
    }
    # A month with nothing in it is listed, with n = 0 and no rate.
    february = table[1]
    assert february["n"] == 0 and february["churn_rate"] == {"value": None, "interval": [0, 100]}
    assert all(cell["n"] == 0 for cell in february["bands"])
    assert cells(table[2])["passive"]["retention_rate"]["value"] == 100.0


def test_an_event_counts_in_the_band_of_the_score_before_it(tenant: Tenant, survey: Survey) -> None:
    ann = person(tenant, "ann", mrr="100")
    score(survey, ann, 2, datetime(2026, 1, 10))
    event(tenant, ann, "churned", datetime(2026, 2, 5))
    score(survey, ann, 10, datetime(2026, 2, 20))  # after churning: her churn stays a detractor's
    bob = person(tenant, "bob", mrr="100")
    score(survey, bob, 10, datetime(2025, 12, 1))
    score(survey, bob, 3, datetime(2026, 2, 1))  # his latest before renewing: a detractor
    event(tenant, bob, "renewed", datetime(2026, 2, 10))
    cat = person(tenant, "cat", mrr="100")
    score(survey, cat, 9, datetime(2026, 1, 5))
    event(tenant, cat, "renewed", datetime(2026, 2, 3))
    event(tenant, cat, "churned", datetime(2026, 2, 25))  # her last in February counts, once
    dan = person(tenant, "dan", mrr="100")
    event(tenant, dan, "churned", datetime(2026, 2, 7))  # never scored
    eve = person(tenant, "eve", mrr="100")
    score(survey, eve, 7, datetime(2026, 2, 12, 9))
    event(tenant, eve, "renewed", datetime(2026, 2, 12, 9))  # a score at the same moment counts
    fay = person(tenant, "fay", mrr="100")
    event(tenant, fay, "renewed", datetime(2026, 1, 20))
    score(survey, fay, 0, datetime(2026, 3, 1))  # after her renewal: it has no band
    event(tenant, fay, "churned", datetime(2025, 3, 20))  # before the twelve months
    db.session.commit()

    months = by_month(tenant)
    assert list(months)[0] == "2025-04" and list(months)[-1] == "2026-03"
    february = months["2026-02"]
    by = cells(february)
    assert (by["detractor"]["n"], by["detractor"]["churned"]) == (2, 1)  # ann churned, bob renewed
    assert (by["promoter"]["n"], by["promoter"]["churned"]) == (1, 1)  # cat
    assert (by["passive"]["n"], by["passive"]["renewed"]) == (1, 1)  # eve
    assert (february["unscored"]["n"], february["unscored"]["churned"]) == (1, 1)  # dan
    assert (february["n"], february["churned"]) == (5, 3)
    january = months["2026-01"]
    assert (january["n"], january["unscored"]["n"], january["renewed"]) == (1, 1, 1)  # fay
    assert sum(month["n"] for month in months.values()) == 6


def test_months_are_cut_in_the_workspace_timezone(client: FlaskClient) -> None:
    # Johannesburg is UTC+2 all year: 23:30 UTC on 31 January is 01:30 on 1 February there.
    tenant = make_tenant(client, timezone="Africa/Johannesburg")
    survey = make_survey(tenant.workspace, "nps")
    late = person(tenant, "late", mrr="10")
    early = person(tenant, "early", mrr="10")
    for who in (late, early):
        score(survey, who, 3, datetime(2026, 1, 2))
    event(tenant, late, "churned", datetime(2026, 1, 31, 23, 30))
    event(tenant, early, "churned", datetime(2026, 1, 31, 21, 30))  # 23:30 local, still January
    db.session.commit()

    months = by_month(tenant)
    assert months["2026-02"]["from"] == "2026-01-31T22:00:00Z"
    assert (months["2026-01"]["churned"], months["2026-02"]["churned"]) == (1, 1)
    assert cells(months["2026-02"])["detractor"]["churned_value"] == 10.0


def test_the_value_churned_adds_up_to_the_accounts_behind_it(
    tenant: Tenant, survey: Survey
) -> None:
    march = datetime(2026, 3, 2)
    # (name, traits, score or None for never scored, event): monthly values worked out by hand.
    accounts = [
        ("d1", {"mrr": "120.25"}, 1, "churned"),
        ("d2", {"arr": "1200"}, 4, "churned"),  # 100 a month
        ("d3", {"mrr": "999"}, 5, "renewed"),  # renewed: nothing churned
        ("d4", {}, 6, "churned"),  # churned with no value
        ("p1", {"mrr": "80"}, 8, "churned"),
        ("g1", {"mrr": "49.5", "arr": "12000"}, 10, "churned"),  # mrr first: 49.5
        ("u1", {"mrr": "30"}, None, "churned"),  # never scored: in the total, in no band
    ]
    for name, traits, value, what in accounts:
        who = person(tenant, name, **traits)
        if value is not None:
            score(survey, who, value, march - timedelta(days=20))
        event(tenant, who, what, march)
    db.session.commit()

    month = by_month(tenant)["2026-03"]
    by = cells(month)
    assert (by["detractor"]["churned_value"], by["detractor"]["churned_valued"]) == (220.25, 2)
    assert (by["detractor"]["churned"], by["detractor"]["n"]) == (3, 4)
    assert by["passive"]["churned_value"] == 80.0
    assert by["promoter"]["churned_value"] == 49.5
    assert month["unscored"]["churned_value"] == 30.0
    assert month["churned_value"] == 379.75
    assert month["churned_value"] == pytest.approx(
        sum(cell["churned_value"] for cell in month["bands"]) + month["unscored"]["churned_value"]
    )


def test_another_workspaces_events_never_count(
    client: FlaskClient, tenant: Tenant, survey: Survey
) -> None:
    mine = person(tenant, "same-id", mrr="10")
    score(survey, mine, 2, datetime(2026, 1, 3))
    event(tenant, mine, "renewed", datetime(2026, 2, 3))
    other = make_tenant(client, "Other")
    theirs = person(other, "same-id", mrr="5000")
    score(make_survey(other.workspace, "nps"), theirs, 2, datetime(2026, 1, 3))
    for day in (3, 4, 5):
        event(other, theirs, "churned", datetime(2026, 2, day))
    db.session.commit()

    february = by_month(tenant)["2026-02"]
    assert (february["n"], february["churned"], february["churned_value"]) == (1, 0, 0.0)
    assert cells(february)["detractor"]["retention_rate"]["value"] == 100.0
    assert cells(by_month(other)["2026-02"])["detractor"]["churned_value"] == 5000.0


def test_the_api_gives_the_twelve_months_up_to_this_one(tenant: Tenant, survey: Survey) -> None:
    now = utcnow()
    when = now - timedelta(hours=1)
    who = person(tenant, "ann", mrr="10")
    score(survey, who, 9, when - timedelta(days=1))
    event(tenant, who, "renewed", when)
    db.session.commit()

    money_block = tenant.get("/api/v1/money").json
    card = tenant.get("/api/v1/scorecard").json["money"]
    for churn in (money_block["churn"], card["churn"]):
        assert set(churn) == {"status", "by_band", "by_month"}
        months = {month["month"]: month for month in churn["by_month"]}
        assert len(months) == 12 and list(months)[-1] == now.strftime("%Y-%m")
        promoters = cells(months[when.strftime("%Y-%m")])["promoter"]
        assert (promoters["n"], promoters["retention_rate"]["value"]) == (1, 100.0)
        assert sum(month["n"] for month in months.values()) == 1


def test_without_events_there_is_no_month_by_month(tenant: Tenant, survey: Survey) -> None:
    score(survey, person(tenant, "ann", mrr="10"), 3, utcnow() - timedelta(days=1))
    db.session.commit()
    churn = tenant.get("/api/v1/money").json["churn"]
    assert churn["status"] == "no_events" and "by_month" not in churn

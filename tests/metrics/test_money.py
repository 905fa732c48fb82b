"""The money figures against answers worked out by hand: value by band with each respondent
counted once, arr against mrr, revenue at risk equal to the rows behind it, churn by band."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from feedback.cases.models import Case
from feedback.extensions import db
from feedback.metrics import formulas, money
from feedback.periods import custom
from feedback.responses.models import Respondent, RespondentEvent, Response
from feedback.surveys.models import Survey
from tests.factories import Tenant, add_response, make_survey, make_tenant
from tests.metrics.money_data import person, score

JAN = "/api/v1/money?from=2026-01-01&to=2026-01-31"


def day(n: int) -> datetime:
    return datetime(2026, 1, 1, 9) + timedelta(days=n - 1)


def open_case(tenant: Tenant, response: Response, status: str = "open") -> Case:
    case = Case(
        workspace_id=tenant.workspace.id,
        response_id=response.id,
        respondent_id=response.respondent_id,
        kind=response.kind,
        score=response.score,
        status=status,
        opened_at=response.submitted_at,
        due_at=response.submitted_at + timedelta(days=2),
    )
    db.session.add(case)
    db.session.flush()
    return case


def event(tenant: Tenant, who: Respondent, kind: str, when: datetime) -> None:
    db.session.add(
        RespondentEvent(workspace_id=tenant.workspace.id, respondent_id=who.id, event=kind, at=when)
    )


def bands(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["band"]: row for row in report["by_band"]}


def test_value_by_band_counts_each_respondent_once_by_latest_score(
    tenant: Tenant, survey: Survey
) -> None:
    # Monthly values, worked out by hand: mrr as given, arr / 12, mrr before arr.
    ann = person(tenant, "ann", mrr="100")
    bob = person(tenant, "bob", arr="1200")  # 100 a month
    cat = person(tenant, "cat", mrr="250.5", arr="12000")  # mrr wins: 250.5
    dan = person(tenant, "dan")  # no value
    eve = person(tenant, "eve", mrr="lots")  # not a number: no value
    fay = person(tenant, "fay", arr="600")  # 50 a month
    gus = person(tenant, "gus", mrr="300")  # scored only outside the period
    score(survey, ann, 10, datetime(2025, 12, 20))  # before the period
    score(survey, ann, 1, day(2))
    score(survey, ann, 9, day(5))
    score(survey, ann, 3, day(10))  # her latest: a detractor, counted once
    score(survey, bob, 2, day(3))
    score(survey, cat, 4, day(3))
    score(survey, cat, 10, day(4))
    score(survey, dan, 5, day(6))
    score(survey, eve, 8, day(6))
    score(survey, fay, 7, day(7))
    score(survey, gus, 0, datetime(2026, 2, 3))
    add_response(survey, 0, day(8))  # nobody known: no account to value
    db.session.commit()

    report = tenant.get(JAN).json
    assert (report["status"], report["currency"], report["per"]) == ("ok", "USD", "month")
    assert (report["respondents"], report["valued"]) == (6, 4)
    by = bands(report)
    assert (by["detractor"]["respondents"], by["detractor"]["valued"]) == (3, 2)
    assert by["detractor"]["monthly_value"] == 200.0  # ann 100 + bob 1200 / 12
    assert (by["passive"]["respondents"], by["passive"]["monthly_value"]) == (2, 50.0)
    assert (by["promoter"]["respondents"], by["promoter"]["monthly_value"]) == (1, 250.5)
    assert report["monthly_value"] == 500.5
    assert sum(row["share"] for row in report["by_band"]) == pytest.approx(100, abs=0.2)


def test_revenue_at_risk_adds_up_to_the_rows_behind_it(tenant: Tenant, survey: Survey) -> None:
    values = {"a1": "120.25", "a2": "80", "a3": "99.99", "a4": "1000"}
    people = {name: person(tenant, name, mrr=mrr) for name, mrr in values.items()}
    yearly = person(tenant, "y1", arr="2400")  # 200 a month
    nobody = person(tenant, "n1")
    first = score(survey, people["a1"], 2, day(2))
    again = score(survey, people["a1"], 4, day(3))
    closed = score(survey, people["a2"], 6, day(3))
    score(survey, people["a3"], 0, day(4))  # a detractor with no case
    score(survey, people["a4"], 9, day(4))
    passive_case = score(survey, yearly, 7, day(5))
    yearly_low = score(survey, yearly, 1, day(6))
    unvalued = score(survey, nobody, 3, day(6))
    for response in (first, again, yearly_low, unvalued, passive_case):
        open_case(tenant, response)
    open_case(tenant, closed, status="resolved")
    db.session.commit()

    report = tenant.get(JAN).json
    detractors = ["a1", "a2", "a3", "y1"]  # y1's latest score is 1; n1 has no value
    monthly = {"a1": 120.25, "a2": 80.0, "a3": 99.99, "a4": 1000.0, "y1": 200.0}
    risk = report["at_risk"]
    assert risk["detractors"]["monthly_value"] == round(sum(monthly[p] for p in detractors), 2)
    assert risk["detractors"]["monthly_value"] == bands(report)["detractor"]["monthly_value"]
    assert (risk["detractors"]["respondents"], risk["detractors"]["valued"]) == (5, 4)
    # Open cases on a detractor's score: a1's two (one person), y1's and n1's; not a2's
    # resolved one, nor the case on y1's passive score.
    in_cases = risk["open_detractor_cases"]
    assert (in_cases["cases"], in_cases["respondents"], in_cases["valued"]) == (4, 3, 2)
    assert in_cases["monthly_value"] == round(monthly["a1"] + monthly["y1"], 2)
    assert report["monthly_value"] == round(sum(monthly.values()), 2)


def test_no_values_says_what_to_send_instead_of_zeros(tenant: Tenant, survey: Survey) -> None:
    score(survey, person(tenant, "ann", plan="pro"), 3, day(2))
    db.session.commit()
    report = tenant.get(JAN).json
    assert report["status"] == "no_values" and report["respondents"] == 1
    assert "`mrr`" in report["explanation"] and "`arr`" in report["explanation"]
    assert "by_band" not in report and "at_risk" not in report


def test_currency_and_bad_periods(tenant: Tenant, survey: Survey) -> None:
    score(survey, person(tenant, "ann", mrr="10"), 9, day(2))
    db.session.commit()
    tenant.patch("/api/v1/workspace", json={"currency": "EUR"})
    assert tenant.get(JAN).json["currency"] == "EUR"
    assert tenant.get("/api/v1/money").json["period"]["label"]  # the last 90 days
    for query, field in (("period=forever", "period"), ("from=2026-01-01", "to")):
        res = tenant.get(f"/api/v1/money?{query}")
        assert res.status_code == 422 and res.json["error"]["field"] == field


def _churn_world(tenant: Tenant, survey: Survey) -> None:
    later = day(20)
    for i in range(1, 11):
        who = person(tenant, f"d{i}", mrr="100")
        score(survey, who, 3, day(5))
        if i <= 4:
            event(tenant, who, "churned", later)
        elif i <= 8:
            event(tenant, who, "renewed", later)
        elif i == 9:
            event(tenant, who, "churned", day(1))  # before the score: not an outcome of it
        else:
            event(tenant, who, "churned", day(6))
            event(tenant, who, "renewed", later)  # the last one counts
    for i in range(1, 11):
        who = person(tenant, f"p{i}", mrr="200")
        score(survey, who, 10, day(5))
        if i == 1:
            event(tenant, who, "churned", later)
        elif i <= 9:
            event(tenant, who, "renewed", later)
    db.session.commit()


def test_churn_and_retention_by_band_with_n(
    client: FlaskClient, tenant: Tenant, survey: Survey
) -> None:
    _churn_world(tenant, survey)
    # Another workspace's events change nothing here.
    other = make_tenant(client, "Other")
    stranger = person(other, "d1", mrr="100")
    score(make_survey(other.workspace, "nps"), stranger, 3, day(5))
    event(other, stranger, "renewed", day(20))
    db.session.commit()

    report = tenant.get(JAN).json
    churn = {row["band"]: row for row in report["churn"]["by_band"]}
    bad, good, middle = churn["detractor"], churn["promoter"], churn["passive"]
    assert (bad["n"], bad["churned"], bad["renewed"]) == (9, 4, 5)
    assert (good["n"], good["churned"], good["renewed"]) == (9, 1, 8)
    assert bad["churn_rate"] == {"value": 44.4, "interval": list(formulas.wilson(4, 9))}
    assert good["retention_rate"] == {"value": 88.9, "interval": list(formulas.wilson(8, 9))}
    assert middle["n"] == 0 and middle["churn_rate"]["value"] is None

    point = report["nps_point"]
    assert point["n"] == {"detractors": 9, "promoters": 9}
    # 20 valued respondents / 200 x a detractor's 100 a month x (4/9 - 1/9).
    assert point["value"] == round(20 / 200 * 100 * (4 / 9 - 1 / 9), 2)
    low, high = point["interval"]
    assert low < point["value"] < high


def test_no_events_says_where_to_send_them(tenant: Tenant, survey: Survey) -> None:
    score(survey, person(tenant, "ann", mrr="10"), 3, day(2))
    db.session.commit()
    report = tenant.get(JAN).json
    assert report["churn"]["status"] == "no_events"
    assert "/api/v1/respondents/{external_id}/events" in report["churn"]["explanation"]
    assert "nps_point" not in report


def test_a_point_needs_outcomes_in_both_bands(tenant: Tenant, survey: Survey) -> None:
    who = person(tenant, "ann", mrr="10")
    score(survey, who, 3, day(2))
    event(tenant, who, "churned", day(3))
    db.session.commit()
    period = custom("2026-01-01", "2026-01-31", "UTC")
    point = money.money_report(tenant.workspace, period)["nps_point"]
    assert point["value"] is None and point["n"] == {"detractors": 1, "promoters": 0}
    assert point["reason"]


@pytest.mark.parametrize(
    "raw", ["-5", "1e3", "1.", ".5", "12.5.3", "", " 10", "10 ", "$10", "12345678901234567890"]
)
def test_only_a_plain_number_is_a_value(tenant: Tenant, survey: Survey, raw: str) -> None:
    score(survey, person(tenant, "odd", mrr=raw), 9, day(2))
    score(survey, person(tenant, "fine", mrr="7.25"), 9, day(2))
    db.session.commit()
    report = tenant.get(JAN).json
    assert (report["respondents"], report["valued"], report["monthly_value"]) == (2, 1, 7.25)

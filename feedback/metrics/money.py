"""Money: what the accounts behind each NPS band are worth, what detractors and their open cases
put at risk, churn and retention by band once churn or renewal events come in (over the whole
history and month by month), and what one point of NPS is worth.

A respondent's value is their `mrr` trait (monthly recurring revenue), else their `arr` trait
divided by 12, in the workspace's currency; every amount here is monthly. Each respondent counts
once, in the band of their latest NPS score in the period. With no values it says what to send.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from feedback.accounts.models import Workspace
from feedback.metrics.formulas import wilson
from feedback.metrics.money_sums import (
    VALUE_TRAITS,
    BandSums,
    MonthOutcome,
    band_sums,
    has_events,
    latest_scores,
    monthly_outcome_sums,
    open_case_sums,
    outcome_sums,
)
from feedback.periods import Period, month_spans
from feedback.surveys.kinds import BANDS

NPS_BANDS = BANDS["nps"]
DETRACTOR, PROMOTER = NPS_BANDS[0], NPS_BANDS[-1]
# One point of NPS: one respondent in two hundred moving from detractor to promoter.
POINT_SHARE = 1 / 200
# Churn and retention month by month: the current calendar month and the eleven before it.
MONTHS = 12
SEND_VALUES = (
    "No respondent in this period carries a value. Give each respondent a numeric "
    f"`{VALUE_TRAITS[0]}` trait (monthly recurring revenue) or `{VALUE_TRAITS[1]}` trait "
    "(annual), as a plain number in the workspace's currency, in `respondent.traits` when "
    "recording a response with the API key or in a widget identify signed with the user hash."
)
SEND_EVENTS = (
    "No churn or renewal has been reported. Send each one as POST "
    '/api/v1/respondents/{external_id}/events with {"event": "churned"} or {"event": '
    '"renewed"} and, optionally, "at" (an ISO 8601 date-time).'
)


def _money(amount: float | None) -> float | None:
    return None if amount is None else round(amount, 2)


def _band_row(band: str, sums: BandSums, total: float) -> dict[str, Any]:
    return {
        "band": band,
        "respondents": sums.respondents,
        "valued": sums.valued,
        "monthly_value": _money(sums.monthly),
        "share": round(sums.monthly / total * 100, 1) if total else None,
    }


def _rate(hits: int, n: int) -> dict[str, Any]:
    low, high = wilson(hits, n)
    return {"value": round(hits / n * 100, 1) if n else None, "interval": [low, high]}


def churn_by_band(outcomes: dict[str, dict[str, int]]) -> list[dict[str, Any]]:
    """Churn and retention rate per band, each with its 95% Wilson interval and its n: the
    respondents whose last churn or renewal since their latest score was one or the other."""
    rows = []
    for band in NPS_BANDS:
        churned = outcomes.get(band, {}).get("churned", 0)
        renewed = outcomes.get(band, {}).get("renewed", 0)
        n = churned + renewed
        rows.append(
            {
                "band": band,
                "n": n,
                "churned": churned,
                "renewed": renewed,
                "churn_rate": _rate(churned, n),
                "retention_rate": _rate(renewed, n),
            }
        )
    return rows


def _outcome_cell(rows: list[MonthOutcome]) -> dict[str, Any]:
    """Churned and renewed counts of `rows`, and the monthly value of the churned ones."""
    churned = [r for r in rows if r.event == "churned"]
    n_churned = sum(r.respondents for r in churned)
    n = sum(r.respondents for r in rows)
    return {
        "n": n,
        "churned": n_churned,
        "renewed": n - n_churned,
        "churned_value": _money(sum(r.monthly for r in churned)),
        "churned_valued": sum(r.valued for r in churned),
    }


def _with_rates(cell: dict[str, Any]) -> dict[str, Any]:
    return {
        **cell,
        "churn_rate": _rate(cell["churned"], cell["n"]),
        "retention_rate": _rate(cell["renewed"], cell["n"]),
    }


def churn_by_month(
    rows: Iterable[MonthOutcome], months: Sequence[tuple[date, datetime, datetime]]
) -> list[dict[str, Any]]:
    """Each month's churn and retention rate overall and per NPS band, each with its 95% Wilson
    interval and its n, and the monthly value churned; every month is listed, n = 0 when
    nothing happened in it. `rows` index into `months`; a respondent with no NPS score before
    their event counts in the month's totals and under `unscored`, in no band."""
    by_month: dict[int, list[MonthOutcome]] = {}
    for row in rows:
        by_month.setdefault(row.month, []).append(row)
    out = []
    for i, (first, start, end) in enumerate(months):
        here = by_month.get(i, [])
        cells = {band: [r for r in here if r.band == band] for band in NPS_BANDS}
        out.append(
            {
                "month": first.strftime("%Y-%m"),
                "from": start.isoformat() + "Z",
                "to": end.isoformat() + "Z",
                **_with_rates(_outcome_cell(here)),
                "bands": [
                    {"band": band, **_with_rates(_outcome_cell(cells[band]))} for band in NPS_BANDS
                ],
                "unscored": _outcome_cell([r for r in here if r.band is None]),
            }
        )
    return out


def point_value(
    churn: list[dict[str, Any]], sums: dict[str, BandSums], valued: int
) -> dict[str, Any]:
    """The monthly revenue a one-point NPS gain keeps, with a 95% interval.

    The model: one point of NPS is one valued respondent in two hundred moving from detractor
    to promoter. Each one moved stops churning at the detractors' rate and churns at the
    promoters' instead, so the gain is (valued respondents / 200) x (the detractors' mean
    monthly value) x (the detractors' churn rate - the promoters'). The interval is Newcombe's
    for the difference of two proportions, from each band's Wilson interval; the mean value is
    taken as known. It is a correlation between band and churn, not a proven cause.
    """
    by_band = {row["band"]: row for row in churn}
    bad, good = by_band[DETRACTOR], by_band[PROMOTER]
    detractors = sums.get(DETRACTOR, BandSums())
    n = {"detractors": bad["n"], "promoters": good["n"]}
    if not bad["n"] or not good["n"] or not detractors.valued:
        reason = "Needs churn or renewal events after the scores of both detractors and promoters"
        return {"value": None, "interval": None, "n": n, "reason": reason + ", and valued ones."}
    p_bad, p_good = bad["churned"] / bad["n"], good["churned"] / good["n"]
    l_bad, u_bad = (x / 100 for x in bad["churn_rate"]["interval"])
    l_good, u_good = (x / 100 for x in good["churn_rate"]["interval"])
    diff = p_bad - p_good
    low = diff - math.hypot(p_bad - l_bad, u_good - p_good)
    high = diff + math.hypot(u_bad - p_bad, p_good - l_good)
    worth = valued * POINT_SHARE * detractors.monthly / detractors.valued
    return {
        "value": _money(worth * diff),
        "interval": [_money(worth * low), _money(worth * high)],
        "n": n,
        "churn_difference": round(diff * 100, 1),
        "model": "one valued respondent in 200 moving from detractor to promoter",
    }


def money_report(
    workspace: Workspace, period: Period, now: datetime | None = None
) -> dict[str, Any]:
    """The money block: value by NPS band, revenue at risk, churn and retention by band (and
    by band for each of the last twelve months up to `now`, an aware datetime), and what a
    point of NPS is worth; or, with no values yet, what to send."""
    latest = latest_scores(workspace.id, period.start, period.end)
    sums = band_sums(workspace.id, latest)
    respondents = sum(s.respondents for s in sums.values())
    valued = sum(s.valued for s in sums.values())
    report: dict[str, Any] = {
        "currency": workspace.currency,
        "per": "month",
        "period": period.to_dict(),
        "respondents": respondents,
        "valued": valued,
    }
    if not valued:
        return {**report, "status": "no_values", "explanation": SEND_VALUES}
    total = sum(s.monthly for s in sums.values())
    cases, in_cases = open_case_sums(workspace.id, period.start, period.end)
    detractors = sums.get(DETRACTOR, BandSums())
    report.update(
        status="ok",
        monthly_value=_money(total),
        by_band=[_band_row(band, sums.get(band, BandSums()), total) for band in NPS_BANDS],
        at_risk={
            "detractors": {
                "monthly_value": _money(detractors.monthly),
                "respondents": detractors.respondents,
                "valued": detractors.valued,
            },
            "open_detractor_cases": {
                "monthly_value": _money(in_cases.monthly),
                "cases": cases,
                "respondents": in_cases.respondents,
                "valued": in_cases.valued,
            },
        },
    )
    if not has_events(workspace.id):
        report["churn"] = {"status": "no_events", "explanation": SEND_EVENTS}
        return report
    churn = churn_by_band(outcome_sums(workspace.id, latest))
    months = month_spans(workspace.timezone, MONTHS, now)
    spans = [(start, end) for _first, start, end in months]
    by_month = churn_by_month(monthly_outcome_sums(workspace.id, spans), months)
    report["churn"] = {"status": "ok", "by_band": churn, "by_month": by_month}
    report["nps_point"] = point_value(churn, sums, valued)
    return report

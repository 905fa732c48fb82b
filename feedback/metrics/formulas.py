"""The survey KPIs from their sums (DESIGN.md): NPS with its margin of error, CSAT and PSAT
as top-two-box with a Wilson interval, CES as a mean with % easy. Low-n figures are flagged."""

from __future__ import annotations

import math
from typing import Any

from feedback.metrics.sums import Z95, Scope, Sums, scope_sums


def wilson(successes: int, n: int) -> tuple[float, float]:
    """95% Wilson score interval of a proportion, as percentages."""
    if n == 0:
        return (0.0, 100.0)
    p = successes / n
    denom = 1 + Z95**2 / n
    centre = (p + Z95**2 / (2 * n)) / denom
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / denom
    return (round(max(0.0, centre - half) * 100, 1), round(min(1.0, centre + half) * 100, 1))


def nps_margin(promoters: int, detractors: int, n: int) -> float:
    """95% margin of error of an NPS, in points."""
    if n == 0:
        return 0.0
    p, d = promoters / n, detractors / n
    return Z95 * math.sqrt(max(0.0, p + d - (p - d) ** 2) / n) * 100


def _variance(total: float, total_sq: float, n: int) -> float:
    return max(0.0, (total_sq - total * total / n) / (n - 1)) if n > 1 else 0.0


def figure(kind: str, row: Any, low_n: int) -> dict[str, Any]:
    """The headline figure of `kind` from one aggregate row (n, high, low, total, total_sq)."""
    n = int(row.n or 0)
    high, low = int(row.high or 0), int(row.low or 0)
    total, total_sq = float(row.total or 0), float(row.total_sq or 0)
    out: dict[str, Any] = {"n": n, "low_confidence": n < low_n, "value": None}
    mean = round(total / n, 2) if n else None
    if kind == "nps":
        moe = nps_margin(high, low, n)
        out.update(promoters=high, passives=n - high - low, detractors=low, margin_of_error=None)
        if n:
            value = (high - low) / n * 100
            out.update(
                value=round(value, 1),
                margin_of_error=round(moe, 1),
                interval=[round(max(-100, value - moe), 1), round(min(100, value + moe), 1)],
            )
    elif kind in ("csat", "psat"):
        out.update(satisfied=high, dissatisfied=low, mean=mean)
        if n:
            out.update(value=round(high / n * 100, 1), interval=list(wilson(high, n)))
    else:
        out.update(easy=high, difficult=low, mean=mean, percent_easy=None)
        if n:
            half = Z95 * math.sqrt(_variance(total, total_sq, n) / n)
            out.update(
                value=mean,
                percent_easy=round(high / n * 100, 1),
                interval=[round(total / n - half, 2), round(total / n + half, 2)],
            )
    out["_raw"] = (n, high, low, total, total_sq)
    return out


def _public(fig: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fig.items() if not k.startswith("_")}


def summary(scope: Scope, low_n: int) -> dict[str, Any]:
    return figure(scope.kind, scope_sums(scope).get((), Sums()), low_n)


def compare(kind: str, current: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    """Change from `before` to `current`, and whether it is more than noise (95%)."""
    n1, h1, l1, t1, q1 = before["_raw"]
    n2, h2, l2, t2, q2 = current["_raw"]
    result: dict[str, Any] = {"change": None, "significant": False, "p_value": None}
    if n1 < 2 or n2 < 2:
        result["reason"] = "Too few responses in one of the periods to compare."
        return result
    if kind == "nps":
        se = math.hypot(nps_margin(h1, l1, n1), nps_margin(h2, l2, n2)) / Z95
        diff = (h2 - l2) / n2 * 100 - (h1 - l1) / n1 * 100
    elif kind in ("csat", "psat"):
        pooled = (h1 + h2) / (n1 + n2)
        se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2)) * 100
        diff = h2 / n2 * 100 - h1 / n1 * 100
    else:
        se = math.sqrt(_variance(t1, q1, n1) / n1 + _variance(t2, q2, n2) / n2)
        diff = t2 / n2 - t1 / n1
    result["change"] = round(diff, 2 if kind == "ces" else 1)
    if se == 0:
        result.update(significant=diff != 0, p_value=0.0 if diff else 1.0)
        return result
    z = diff / se
    p_value = math.erfc(abs(z) / math.sqrt(2))
    result.update(significant=p_value < 0.05, p_value=round(p_value, 4), z=round(z, 2))
    return result


def public(fig: dict[str, Any]) -> dict[str, Any]:
    """A figure without its raw sums, for the API."""
    return _public(fig)

"""What each theme does to a score: the figure with and without it, and what fixing it is worth.

For a survey kind and a period, per theme:

- `with`: the responses that mention the theme (any sentiment), and their score;
- `without`: every other response of the period, and theirs;
- `gain`: the points the period's score would rise if the theme's negative mentions in the low
  band went away. Those responses keep counting, moved to the middle of the scale: an NPS
  detractor becomes a passive, a CES answer of 1-3 becomes a 4. CSAT and PSAT count the share of
  satisfied answers, which a neutral answer does not change, so for them the responses are left
  out of the count instead.

All sums come from one grouped SQL query; the figures use the formulas of `feedback.metrics`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, case, func, select

from feedback import metrics
from feedback.extensions import db
from feedback.metrics import Sums
from feedback.models import Response, ResponseTheme, Theme, Workspace
from feedback.periods import Period

CES_NEUTRAL = 4


def _value(kind: str, sums: Sums, low_n: int) -> dict[str, Any]:
    fig = metrics.public(metrics.figure(kind, sums, low_n))
    return {"n": sums.n, "value": fig["value"], "low_confidence": fig["low_confidence"]}


def gain(kind: str, overall: Sums, moved_n: int, moved_total: float, moved_sq: float) -> float:
    """Points the score rises when `moved_n` low-band responses (with these score sums) go."""
    if overall.n == 0 or moved_n == 0:
        return 0.0
    if kind == "nps":
        # Each detractor becoming a passive removes one detractor from the count.
        return round(moved_n / overall.n * 100, 1)
    if kind == "ces":
        after = overall.total - moved_total + CES_NEUTRAL * moved_n
        return round((after - overall.total) / overall.n, 2)
    rest = overall.minus(Sums(moved_n, 0, moved_n, moved_total, moved_sq))
    if rest.n == 0:
        return 0.0
    return round((rest.high / rest.n - overall.high / overall.n) * 100, 1)


def theme_impact(workspace: Workspace, kind: str, period: Period) -> list[dict[str, Any]]:
    """Each theme's score with and without it, and its gain, biggest gain first."""
    return impact_report(workspace, kind, period)["themes"]


def impact_report(workspace: Workspace, kind: str, period: Period) -> dict[str, Any]:
    """The period's figure for `kind` (the baseline) and each theme's impact on it."""
    scope = metrics.Scope(workspace.id, kind, period.start, period.end)
    conds = metrics.scope_conditions(scope)
    row = db.session.execute(select(*metrics.aggregates(kind)).where(*conds)).one()
    overall = Sums.of(row)
    moved = and_(ResponseTheme.sentiment == "negative", Response.band == metrics.LOW_BAND[kind])
    rows = db.session.execute(
        select(
            ResponseTheme.theme_id,
            *metrics.aggregates(kind),
            func.sum(case((moved, 1), else_=0)).label("moved_n"),
            func.sum(case((moved, Response.score), else_=0)).label("moved_total"),
            func.sum(case((moved, Response.score * Response.score), else_=0)).label("moved_sq"),
        )
        .join(Response, Response.id == ResponseTheme.response_id)
        .where(
            ResponseTheme.workspace_id == workspace.id,
            ResponseTheme.removed.is_(False),
            *conds,
        )
        .group_by(ResponseTheme.theme_id)
    ).all()
    by_theme = {r.theme_id: r for r in rows}
    themes = db.session.execute(
        select(Theme.id, Theme.slug, Theme.name)
        .where(Theme.workspace_id == workspace.id)
        .order_by(Theme.position, Theme.id)
    ).all()
    out = []
    for theme_id, slug, name in themes:
        r = by_theme.get(theme_id)
        with_ = Sums.of(r) if r else Sums()
        moved_n = int(r.moved_n or 0) if r else 0
        moved_total = float(r.moved_total or 0) if r else 0.0
        moved_sq = float(r.moved_sq or 0) if r else 0.0
        out.append(
            {
                "theme": slug,
                "name": name,
                "with": _value(kind, with_, workspace.low_n),
                "without": _value(kind, overall.minus(with_), workspace.low_n),
                "negative_low": moved_n,
                "gain": gain(kind, overall, moved_n, moved_total, moved_sq),
            }
        )
    out.sort(key=lambda e: (-e["gain"], -e["with"]["n"]))
    return {"score": metrics.public(metrics.figure(kind, overall, workspace.low_n)), "themes": out}

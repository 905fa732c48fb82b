"""What each theme does to a score: the figure with and without it, and what fixing it is worth.

For a survey kind and a period, per theme:

- `with`: the responses that mention the theme (any sentiment), and their score;
- `without`: every other response of the period, and theirs;
- `gain`: the points the period's score would rise if the theme's negative mentions in the low
  band went away. Those responses keep counting, moved to the middle of the scale: an NPS
  detractor becomes a passive, a CES answer of 1-3 becomes a 4. CSAT and PSAT count the share of
  satisfied answers, which a neutral answer does not change, so for them the responses are left
  out of the count instead.

The sums come from the daily sums and the rows (feedback/themes/figures.py); the
figures use the formulas of `feedback.metrics`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from feedback.accounts.models import Workspace
from feedback.database import owned_by
from feedback.extensions import db
from feedback.metrics import formulas
from feedback.metrics.sums import Scope, Sums, scope_sums
from feedback.periods import Period
from feedback.themes.figures import TagSums, tag_sums
from feedback.themes.models import Theme

CES_NEUTRAL = 4


def _value(kind: str, sums: Sums, low_n: int) -> dict[str, Any]:
    fig = formulas.public(formulas.figure(kind, sums, low_n))
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
    scope = Scope(workspace.id, kind, period.start, period.end)
    overall = scope_sums(scope).get((), Sums())
    tagged = tag_sums(workspace.id, [(period.start, period.end)], (kind,))[0]
    with_by_theme: dict[int, TagSums] = {}
    moved_by_theme: dict[int, TagSums] = {}
    for (theme_id, sentiment, _kind), value in tagged.items():
        with_by_theme[theme_id] = with_by_theme.get(theme_id, TagSums()) + value
        if sentiment == "negative":
            moved_by_theme[theme_id] = moved_by_theme.get(theme_id, TagSums()) + value
    themes = db.session.execute(
        select(Theme.id, Theme.slug, Theme.name)
        .where(owned_by(Theme, workspace.id))
        .order_by(Theme.position, Theme.id)
    ).all()
    out = []
    for theme_id, slug, name in themes:
        with_ = with_by_theme.get(theme_id, TagSums()).scores
        moved = moved_by_theme.get(theme_id, TagSums())
        # The negative mentions in the low band: `scores.low` counts them, low_* sum their scores.
        moved_n, moved_total, moved_sq = moved.scores.low, moved.low_total, moved.low_sq
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
    return {
        "score": formulas.public(formulas.figure(kind, overall, workspace.low_n)),
        "themes": out,
    }

"""The weekly review of a KPI's owner: each KPI they own with its figure, target, status,
trajectory, outlook and next action, then the money at stake. A printable page shows it, and
the Monday digest carries it, above the rest, to every member who owns a KPI."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_

from feedback.accounts.models import Membership, User, Workspace
from feedback.database import in_workspace, owned_by
from feedback.extensions import db
from feedback.mail import base_url
from feedback.metrics.recommend import Action
from feedback.periods import Period
from feedback.scorecard import kpis as kpis_service
from feedback.scorecard.card import kpi_catalog, scorecard
from feedback.scorecard.kpi import Kpi
from feedback.scorecard.models import KpiTarget

PATH = "/app/scorecard/review"


@dataclass(frozen=True)
class Owner:
    """A member who owns at least one KPI."""

    user_id: int
    name: str
    email: str

    @property
    def label(self) -> str:
        return self.name or self.email


@dataclass
class Review:
    """The KPIs one member owns (`owner`), or every KPI with an owner (`owner` None)."""

    owner: Owner | None
    period: Period
    kpis: list[Kpi]
    money: dict[str, Any]
    # Targets owned here whose KPI the scorecard has no figure for: named, not reviewed.
    unreviewed: list[KpiTarget] = field(default_factory=list)
    titles: dict[str, str] = field(default_factory=dict)


def owners(workspace: Workspace) -> list[Owner]:
    """The members who own at least one KPI, by name."""
    rows = db.session.execute(
        in_workspace(KpiTarget, workspace.id, User.id, User.name, User.email)
        .select_from(KpiTarget)
        .join(User, User.id == KpiTarget.owner_id)
        .join(
            Membership,
            and_(Membership.user_id == User.id, owned_by(Membership, workspace.id)),
        )
        .distinct()
    ).all()
    return sorted((Owner(*row) for row in rows), key=lambda o: (o.label.lower(), o.email))


def _owns(target: KpiTarget | None, owner: Owner | None) -> bool:
    if target is None:
        return False
    return bool(target.owner) if owner is None else target.owner_id == owner.user_id


def _reading(workspace: Workspace) -> tuple[dict[str, Any], dict[str, KpiTarget], dict[str, str]]:
    """The scorecard, the targets and every KPI's title: what any review is cut from."""
    titles = {entry.metric: entry.title for entry in kpi_catalog(workspace)}
    return scorecard(workspace), kpis_service.targets(workspace), titles


def _review(
    reading: tuple[dict[str, Any], dict[str, KpiTarget], dict[str, str]], owner: Owner | None
) -> Review:
    card, goals, titles = reading
    shown = [kpi for kpi in card["kpis"] if _owns(kpi.target, owner)]
    kinds = {kpi.kind for kpi in card["kpis"]}
    rest = [t for metric, t in sorted(goals.items()) if metric not in kinds and _owns(t, owner)]
    return Review(owner, card["period"], shown, card["money"], rest, titles)


def review(workspace: Workspace, owner: Owner | None) -> Review:
    """The review of `owner`, or of every KPI that has an owner."""
    return _review(_reading(workspace), owner)


def reviews(workspace: Workspace) -> dict[int, Review]:
    """Each owner's review, by their user id, from one reading of the scorecard."""
    people = owners(workspace)
    if not people:
        return {}
    reading = _reading(workspace)
    return {o.user_id: _review(reading, o) for o in people}


# -- in words and figures, for the page and the mail ------------------------------------------


def _plain(value: float) -> str:
    """A bound of an interval as it was computed (32.1, 44, 1,234.5), never 1.2e+06."""
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def entry(kpi: Kpi, base: str = "") -> dict[str, Any]:
    """One KPI of a review in words and figures (links start with `base`: the mail's are
    absolute); `kpi` stays with it for the page's chart."""
    fig, target = kpi.figure, kpi.target
    interval = fig.get("interval")
    out: dict[str, Any] = {
        "kpi": kpi,
        "metric": kpi.kind,
        "title": kpi.title,
        "value": kpi.shown(kpi.value),
        "interval": f"{_plain(interval[0])} to {_plain(interval[1])}" if interval else None,
        "n": fig.get("n"),
        "n_label": kpi.n_label,
        "as_of": kpi.as_of,
        "low_confidence": bool(fig.get("low_confidence")),
        "target": kpi.shown(target.target) if target is not None else None,
        "direction": "higher is better" if kpi.better_higher else "lower is better",
        "status": kpi.status,
        "owner": target.owner if target is not None else None,
        "outlook": f"{kpi.outlook[:1].upper()}{kpi.outlook[1:]}." if kpi.outlook else "",
        "action": None,
        "why": None,
    }
    advice = kpi.recommendation
    if advice is not None and advice.best is not None:
        out["action"] = _action(kpi, advice.best, base)
    elif advice is not None:
        out["why"] = advice.why
    return out


def _action(kpi: Kpi, action: Action, base: str) -> dict[str, Any]:
    """The next action in the scorecard's words (`Kpi.effect`, `Kpi.evidence`)."""
    effect, interval = kpi.effect(action)
    proof, link = kpi.evidence(action)
    return {
        "title": action.title,
        "effect": effect,
        "interval": interval,
        "owner": action.owner,
        "evidence": proof,
        "evidence_url": base + link if link else None,
    }


def at_stake(money: dict[str, Any]) -> dict[str, Any] | None:
    """What detractors and their open cases put at risk a month, when accounts carry values."""
    if money.get("status") != "ok":
        return None
    risk = money["at_risk"]
    point = money.get("nps_point") or {}
    return {
        "currency": money["currency"],
        "detractors": risk["detractors"]["monthly_value"],
        "detractors_valued": risk["detractors"]["valued"],
        "in_cases": risk["open_detractor_cases"]["monthly_value"],
        "cases": risk["open_detractor_cases"]["cases"],
        "point": point.get("value"),
        "point_interval": point.get("interval"),
    }


def mail_values(result: Review) -> dict[str, Any]:
    """The "Your KPIs" part of an owner's Monday mail: plain words, figures and links."""
    base = base_url()
    owner = f"?owner={result.owner.user_id}" if result.owner else "?owner=all"
    return {
        "period": result.period.label,
        "url": f"{base}{PATH}{owner}",
        "cases_url": f"{base}/app/cases/all?status=active",
        "kpis": [entry(kpi, base) for kpi in result.kpis],
        "unreviewed": [
            {
                "title": result.titles.get(t.metric, t.metric),
                "target": kpis_service.figure(t.target),
            }
            for t in result.unreviewed
        ],
        "money": at_stake(result.money),
    }


def digest_reviews(workspace: Workspace) -> dict[int, dict[str, Any]]:
    """For the Monday digest: each owner's "Your KPIs" values, by their user id."""
    return {user_id: mail_values(result) for user_id, result in reviews(workspace).items()}

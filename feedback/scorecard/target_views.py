"""The targets page: every KPI's target, "at risk" margin and owner among the members, set by
admins and read by everyone, with each KPI's latest changes."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, render_template, url_for
from flask_login import current_user

from feedback.accounts import members
from feedback.scorecard import kpis, owners
from feedback.scorecard.card import KpiEntry, kpi_catalog
from feedback.scorecard.forms import KEEP, TargetForm
from feedback.scorecard.models import KpiTarget
from feedback.web.auth import requires
from feedback.web.forms import attempt
from feedback.web.pages import page_blueprint

bp = page_blueprint("targets", __name__)


def _kept(target: KpiTarget | None, member_ids: set[int]) -> bool:
    """Whether the target's owner is text the form keeps: named by the API, or a member who
    has since left the workspace."""
    return target is not None and bool(target.owner) and target.owner_id not in member_ids


def _owners(target: KpiTarget | None, people: list[Any]) -> list[tuple[Any, str]]:
    """Who may own the KPI: nobody, a member, or the text its target keeps."""
    choices: list[tuple[Any, str]] = [("", "Nobody")]
    if _kept(target, {m.user_id for m in people}):
        choices.append((KEEP, f"{target.owner} (not a member)"))
    return choices + [(m.user_id, f"{m.name} ({m.email})" if m.name else m.email) for m in people]


def _form(entry: KpiEntry, target: KpiTarget | None, people: list[Any]) -> TargetForm:
    """The form of one KPI, filled from its target (or what a new one starts from)."""
    owners = _owners(target, people)
    if target is None:
        data: dict[str, Any] = {
            "higher_is_better": "1" if entry.higher_is_better else "0",
            "perspective": entry.perspective,
        }
    else:
        kept = any(value == KEEP for value, _label in owners)
        data = {
            "target": target.target,
            "higher_is_better": "1" if target.higher_is_better else "0",
            "at_risk": target.at_risk,
            "owner_id": KEEP if kept else (target.owner_id or ""),
            "perspective": target.perspective,
        }
    # formdata=None: the POST of one KPI's form must not fill the others.
    form = TargetForm(formdata=None, prefix=entry.metric, data=data)
    form.owner_id.choices = owners
    return form


def _page(status: int = 200, refused: TargetForm | None = None, metric: str = "") -> Any:
    goals = kpis.targets(g.workspace)
    people = members.list_members(g.workspace)
    # In the scorecard's order: surveys, helpdesk, the loop, pushed KPIs.
    groups: dict[str, list[tuple[KpiEntry, KpiTarget | None, TargetForm]]] = {}
    for entry in kpi_catalog(g.workspace):
        target = goals.get(entry.metric)
        form = refused if refused is not None and entry.metric == metric else None
        groups.setdefault(entry.group, []).append(
            (entry, target, form or _form(entry, target, people))
        )
    history = kpis.history(g.workspace)
    page = render_template(
        "scorecard/targets.html",
        groups=groups,
        history=history,
        describe=kpis.describe,
        people={m.user_id: m for m in people},
    )
    return page, status


@bp.get("/scorecard/targets")
@requires("viewer")
def targets() -> Any:
    return _page()


@bp.post("/scorecard/targets/<metric>")
@requires("admin")
def target_save(metric: str) -> Any:
    entry = next((e for e in kpi_catalog(g.workspace) if e.metric == metric), None)
    if entry is None:
        abort(404)
    target = kpis.targets(g.workspace).get(metric)
    form = TargetForm(prefix=metric)
    form.owner_id.choices = _owners(target, members.list_members(g.workspace))
    if not form.validate_on_submit():
        return _page(422, form, metric)
    kept = target.owner if target is not None else None
    by = f"{current_user.name} ({current_user.email})" if current_user.name else current_user.email
    saved = attempt(
        form,
        lambda: owners.set_target(g.workspace, metric, form.payload(kept), current_user.email, by),
        "target",
    )
    if saved is None:
        return _page(422, form, metric)
    flash(f"{entry.title}: target saved.", "ok")
    return redirect(url_for("targets.targets") + f"#kpi-{metric}")

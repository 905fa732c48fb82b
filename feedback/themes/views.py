"""The themes page (volume, sentiment, trend and impact per theme; the taxonomy and its
models) and the verbatims: comments with their themes and sentiments, on a page and as CSV."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as HttpResponse
from wtforms.fields.choices import SelectChoice

from feedback.accounts.workspaces import slugify
from feedback.audit import log as audit
from feedback.downloads import csv_attachment
from feedback.errors import NotFound
from feedback.metrics import filters
from feedback.metrics.sums import KINDS
from feedback.periods import NAMED, resolve
from feedback.responses import queries
from feedback.scorecard.card import TITLES
from feedback.themes import analysis, editing
from feedback.themes import report as theme_report
from feedback.themes import taxonomy as themes
from feedback.themes.forms import AdoptForm, MergeForm, ThemeForm
from feedback.themes.verbatims import with_tags
from feedback.web.auth import requires
from feedback.web.forms import ActionForm, attempt, flashed
from feedback.web.pages import page_blueprint

bp = page_blueprint("themes", __name__)


def _reanalysing(edited: editing.Edited, message: str) -> str:
    # Every taxonomy change re-reads past comments, as the API does.
    return f"{message} Re-analysing {edited.run.total:,} comments in the background."


def _theme(slug: str) -> Any:
    try:
        return themes.get_theme(g.workspace, slug)
    except NotFound:
        abort(404)


@bp.get("/themes")
@requires("viewer")
def themes_page() -> str:
    period_name = request.args.get("period", "last_30_days")
    period_name = period_name if period_name in NAMED else "last_30_days"
    kind = request.args.get("kind", "nps")
    kind = kind if kind in KINDS else "nps"
    period = resolve(period_name, g.workspace.timezone)
    return render_template(
        "themes/themes.html",
        report=theme_report.theme_page(g.workspace, kind, period),
        candidates=theme_report.emerging(g.workspace, period),
        baseline=theme_report.baseline(period, g.workspace.timezone),
        topic_baseline_periods=current_app.config["FEEDBACK_TOPIC_BASELINE_PERIODS"],
        topic_min_count=current_app.config["FEEDBACK_TOPIC_MIN_COUNT"],
        theme_list=themes.list_themes(g.workspace),
        models=theme_report.model_status(g.workspace),
        progress=analysis.progress(g.workspace),
        period=period,
        period_name=period_name,
        kind=kind,
        kinds=TITLES,
        add_form=ThemeForm(),
        adopt_form=AdoptForm(),
        action=ActionForm(),
    )


@bp.post("/themes")
@requires("admin")
def theme_add() -> HttpResponse:
    form = ThemeForm()
    if not form.validate_on_submit():
        flash("A theme needs a slug and a name.", "error")
        return redirect(url_for("themes.themes_page"))
    flashed(
        lambda: editing.add(g.workspace, form.payload()),
        lambda edited: _reanalysing(edited, f"Theme {edited.theme.name} added."),
        with_field=True,
    )
    return redirect(url_for("themes.themes_page"))


@bp.post("/themes/adopt")
@requires("admin")
def theme_adopt() -> HttpResponse:
    form = AdoptForm()
    if form.validate_on_submit():
        phrase = form.phrase.data.strip().lower()
        payload = {"slug": slugify(phrase)[:64], "name": phrase.capitalize(), "phrases": [phrase]}
        flashed(
            lambda: editing.add(g.workspace, payload, "adopted"),
            lambda edited: _reanalysing(edited, f"Theme {edited.theme.name} adopted."),
            with_field=True,
        )
    return redirect(url_for("themes.themes_page"))


@bp.post("/themes/train")
@requires("admin")
def theme_train() -> HttpResponse:
    if ActionForm().validate_on_submit():
        theme_report.request_training(g.workspace)
        flash("Training requested; the worker starts it within minutes.", "ok")
    return redirect(url_for("themes.themes_page"))


@bp.get("/themes/<slug>")
@requires("admin")
def theme_edit(slug: str) -> Any:
    theme = _theme(slug)
    form = ThemeForm(
        data={
            "slug": theme.slug,
            "name": theme.name,
            "description": theme.description,
            "phrases": "\n".join(theme.phrases),
            "exclusions": "\n".join(theme.exclusions),
        }
    )
    return _edit_page(theme, form)


def _edit_page(theme: Any, form: ThemeForm, status: int = 200) -> tuple[str, int]:
    merge = MergeForm()
    merge.into.choices = [
        SelectChoice(t.slug, t.name) for t in themes.list_themes(g.workspace) if t.id != theme.id
    ]
    page = render_template(
        "themes/theme_edit.html", theme=theme, form=form, merge=merge, action=ActionForm()
    )
    return page, status


@bp.post("/themes/<slug>")
@requires("admin")
def theme_save(slug: str) -> Any:
    theme = _theme(slug)
    form = ThemeForm()
    if not form.validate_on_submit():
        return _edit_page(theme, form, 422)
    edited = attempt(form, lambda: editing.change(g.workspace, slug, form.payload()), "name")
    if edited is None:
        return _edit_page(_theme(slug), form, 422)
    flash(_reanalysing(edited, f"Theme {edited.theme.name} saved."), "ok")
    return redirect(url_for("themes.themes_page"))


@bp.post("/themes/<slug>/merge")
@requires("admin")
def theme_merge(slug: str) -> HttpResponse:
    theme = _theme(slug)
    form = MergeForm()
    form.into.choices = [SelectChoice(t.slug, t.name) for t in themes.list_themes(g.workspace)]
    if not form.validate_on_submit():
        flash("Choose the theme to merge into.", "error")
        return redirect(url_for("themes.theme_edit", slug=slug))
    edited = flashed(
        lambda: editing.merge(g.workspace, theme.slug, form.into.data),
        lambda edited: _reanalysing(edited, f"Merged into {edited.theme.name}."),
        with_field=True,
    )
    if edited is None:
        return redirect(url_for("themes.theme_edit", slug=slug))
    return redirect(url_for("themes.themes_page"))


@bp.post("/themes/<slug>/delete")
@requires("admin")
def theme_delete(slug: str) -> HttpResponse:
    theme = _theme(slug)
    if ActionForm().validate_on_submit():
        name = theme.name
        edited = editing.delete(g.workspace, theme.slug)
        flash(_reanalysing(edited, f"Theme {name} deleted."), "ok")
    return redirect(url_for("themes.themes_page"))


def _verbatims(args: dict[str, str]) -> tuple[list[Any], str | None]:
    query = filters.parse_query(g.workspace, {k: v for k, v in args.items() if k != "cursor"})
    return queries.list_responses(g.workspace, query, request.args.get("cursor"), 50)


@bp.get("/verbatims")
@requires("viewer")
def verbatims() -> Any:
    args = {k: v for k, v in request.args.items() if v}
    args.setdefault("period", "last_30_days")
    found = flashed(lambda: _verbatims(args), with_field=True)
    if found is None:
        return redirect(url_for("themes.verbatims"))
    rows, cursor = found
    # Only responses with words to read: a score alone has no verbatim.
    rows = [r for r in rows if r.comment]
    return render_template(
        "themes/verbatims.html",
        items=with_tags(rows),
        args=args,
        cursor=cursor,
        theme_list=themes.list_themes(g.workspace),
        user=current_user,
    )


@bp.get("/verbatims.csv")
@requires("viewer")
def verbatims_csv() -> Any:
    """The current filter's responses as CSV (cells cannot start a spreadsheet formula)."""
    args = {k: v for k, v in request.args.items() if v and k != "cursor"}
    args.setdefault("period", "last_30_days")
    query = flashed(lambda: filters.parse_query(g.workspace, args), with_field=True)
    if query is None:
        return redirect(url_for("themes.verbatims"))
    audit.downloaded(g.workspace.id, "verbatims.csv", args)
    return csv_attachment(queries.export_csv(g.workspace, query), "verbatims.csv")

"""The themes page (volume, sentiment, trend and impact per theme; the taxonomy and its
models) and the verbatims: comments with their themes and sentiments, on a page and as CSV."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as HttpResponse
from wtforms.fields.choices import SelectChoice

from feedback.accounts.workspaces import slugify
from feedback.downloads import csv_attachment
from feedback.errors import FeedbackError, NotFound
from feedback.extensions import db
from feedback.metrics import filters
from feedback.metrics.sums import KINDS
from feedback.periods import NAMED, resolve
from feedback.responses import queries
from feedback.scorecard.card import TITLES
from feedback.themes import analysis
from feedback.themes import report as theme_report
from feedback.themes import taxonomy as themes
from feedback.themes.forms import AdoptForm, MergeForm, ThemeForm
from feedback.themes.verbatims import with_tags
from feedback.web.auth import requires
from feedback.web.forms import ActionForm
from feedback.web.pages import page_blueprint

bp = page_blueprint("themes", __name__)


def _error(exc: FeedbackError) -> str:
    return f"{exc.message} ({exc.field})" if exc.field else exc.message


def _changed(reason: str, message: str) -> None:
    # Every taxonomy change re-reads past comments, as the API does.
    run = analysis.start_reanalysis(g.workspace, reason)
    db.session.commit()
    flash(f"{message} Re-analysing {run.total:,} comments in the background.", "ok")


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
    try:
        theme = themes.create_theme(g.workspace, form.payload())
    except FeedbackError as exc:
        db.session.rollback()
        flash(_error(exc), "error")
        return redirect(url_for("themes.themes_page"))
    _changed(f"theme {theme.slug} added", f"Theme {theme.name} added.")
    return redirect(url_for("themes.themes_page"))


@bp.post("/themes/adopt")
@requires("admin")
def theme_adopt() -> HttpResponse:
    form = AdoptForm()
    if form.validate_on_submit():
        phrase = form.phrase.data.strip().lower()
        payload = {"slug": slugify(phrase)[:64], "name": phrase.capitalize(), "phrases": [phrase]}
        try:
            theme = themes.create_theme(g.workspace, payload)
        except FeedbackError as exc:
            db.session.rollback()
            flash(_error(exc), "error")
        else:
            _changed(f"theme {theme.slug} adopted", f"Theme {theme.name} adopted.")
    return redirect(url_for("themes.themes_page"))


@bp.post("/themes/train")
@requires("admin")
def theme_train() -> HttpResponse:
    if ActionForm().validate_on_submit():
        theme_report.request_training(g.workspace)
        db.session.commit()
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
    try:
        theme = themes.update_theme(g.workspace, slug, form.payload())
    except FeedbackError as exc:
        db.session.rollback()
        theme = _theme(slug)
        getattr(form, (exc.field or "name").split("[")[0], form.name).errors = [exc.message]
        return _edit_page(theme, form, 422)
    _changed(f"theme {theme.slug} changed", f"Theme {theme.name} saved.")
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
    try:
        target = themes.merge_themes(g.workspace, theme.slug, form.into.data)
    except FeedbackError as exc:
        db.session.rollback()
        flash(_error(exc), "error")
        return redirect(url_for("themes.theme_edit", slug=slug))
    _changed(f"theme {slug} merged into {target.slug}", f"Merged into {target.name}.")
    return redirect(url_for("themes.themes_page"))


@bp.post("/themes/<slug>/delete")
@requires("admin")
def theme_delete(slug: str) -> HttpResponse:
    theme = _theme(slug)
    if ActionForm().validate_on_submit():
        name = theme.name
        themes.delete_theme(g.workspace, theme.slug)
        _changed(f"theme {slug} deleted", f"Theme {name} deleted.")
    return redirect(url_for("themes.themes_page"))


@bp.get("/verbatims")
@requires("viewer")
def verbatims() -> Any:
    args = {k: v for k, v in request.args.items() if v}
    args.setdefault("period", "last_30_days")
    try:
        query = filters.parse_query(g.workspace, {k: v for k, v in args.items() if k != "cursor"})
        rows, cursor = queries.list_responses(g.workspace, query, request.args.get("cursor"), 50)
    except FeedbackError as exc:
        flash(f"{exc.message} ({exc.field})" if exc.field else exc.message, "error")
        return redirect(url_for("themes.verbatims"))
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
    try:
        query = filters.parse_query(g.workspace, args)
    except FeedbackError as exc:
        flash(f"{exc.message} ({exc.field})" if exc.field else exc.message, "error")
        return redirect(url_for("themes.verbatims"))
    return csv_attachment(queries.export_csv(g.workspace, query), "verbatims.csv")

"""Dashboard pages: thin views over the services."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select
from werkzeug.wrappers import Response as HttpResponse
from wtforms.fields.choices import SelectChoice

from feedback.accounts import sessions
from feedback.dashboard.auth import can, requires
from feedback.dashboard.forms import ActionForm, LoginForm, TagForm, UntagForm
from feedback.downloads import csv_attachment
from feedback.errors import FeedbackError
from feedback.extensions import db, limiter
from feedback.models import Respondent, Response, User
from feedback.periods import NAMED, resolve
from feedback.services import queries, themes
from feedback.services.agents import agent_report
from feedback.services.case_file import case_for_response
from feedback.services.scorecard import scorecard, sparkline
from feedback.services.verbatims import with_tags

bp = Blueprint("dashboard", __name__, url_prefix="/app")


@bp.app_context_processor
def _helpers() -> dict[str, Any]:
    return {"can": can, "sparkline": sparkline, "periods": NAMED}


@bp.app_template_filter("number")
def _number(value: float | None, digits: int = 0, sign: bool = False) -> str:
    """A figure for people: thousands separated, fixed decimals, a dash when there is none."""
    if value is None:
        return "–"
    text = f"{value:,.{digits}f}"
    # A sign only says something on a change: "+0" reads as a rise.
    return f"+{text}" if sign and value > 0 and text.strip("0.,") else text


@bp.app_template_filter("person")
def _person(respondent: Respondent | None) -> str:
    """A respondent as every page names them (Respondent.label); "anonymous" for nobody."""
    return respondent.label if respondent is not None else "anonymous"


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["FEEDBACK_LOGIN_RATE_LIMIT"], methods=["POST"])
def login() -> Any:
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.email == form.email.data.strip().lower()))
        if user is not None and user.check_password(form.password.data):
            sessions.start(user)
            login_user(user)
            return redirect(_local(request.args.get("next")) or url_for("dashboard.home"))
        flash("That email and password do not match an account.", "error")
    return render_template("dashboard/login.html", form=form)


def _local(target: str | None) -> str | None:
    """A path on this site to go on to after signing in; anything else is ignored."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    return target if target.isascii() and target.isprintable() else None


@bp.post("/logout")
def logout() -> HttpResponse:
    if ActionForm().validate_on_submit():
        sessions.end_this()
        logout_user()
    return redirect(url_for("dashboard.login"))


@bp.get("/")
@requires("viewer")
def home() -> str:
    return render_template(
        "dashboard/scorecard.html", card=scorecard(g.workspace), user=current_user
    )


@bp.get("/verbatims")
@requires("viewer")
def verbatims() -> Any:
    args = {k: v for k, v in request.args.items() if v}
    args.setdefault("period", "last_30_days")
    try:
        query = queries.parse_query(g.workspace, {k: v for k, v in args.items() if k != "cursor"})
        rows, cursor = queries.list_responses(g.workspace, query, request.args.get("cursor"), 50)
    except FeedbackError as exc:
        flash(f"{exc.message} ({exc.field})" if exc.field else exc.message, "error")
        return redirect(url_for("dashboard.verbatims"))
    # Only responses with words to read: a score alone has no verbatim.
    rows = [r for r in rows if r.comment]
    return render_template(
        "dashboard/verbatims.html",
        items=with_tags(rows),
        args=args,
        cursor=cursor,
        theme_list=themes.list_themes(g.workspace),
        user=current_user,
    )


@bp.get("/agents")
@requires("viewer")
def agents() -> Any:
    period_name = request.args.get("period", "last_90_days")
    if period_name not in NAMED:
        period_name = "last_90_days"
    period = resolve(period_name, g.workspace.timezone)
    return render_template(
        "dashboard/agents.html",
        report=agent_report(g.workspace, period),
        period=period,
        period_name=period_name,
        user=current_user,
    )


def _theme_choices() -> list[SelectChoice]:
    return [SelectChoice(t.slug, t.name) for t in themes.list_themes(g.workspace)]


@bp.get("/verbatims.csv")
@requires("viewer")
def verbatims_csv() -> Any:
    """The current filter's responses as CSV (cells cannot start a spreadsheet formula)."""
    args = {k: v for k, v in request.args.items() if v and k != "cursor"}
    args.setdefault("period", "last_30_days")
    try:
        query = queries.parse_query(g.workspace, args)
    except FeedbackError as exc:
        flash(f"{exc.message} ({exc.field})" if exc.field else exc.message, "error")
        return redirect(url_for("dashboard.verbatims"))
    return csv_attachment(queries.export_csv(g.workspace, query), "verbatims.csv")


def _response(response_id: int) -> Response:
    response = db.session.scalar(
        select(Response).where(Response.workspace_id == g.workspace.id, Response.id == response_id)
    )
    if response is None:
        abort(404)
    return response


@bp.get("/responses/<int:response_id>")
@requires("viewer")
def response_detail(response_id: int) -> str:
    response = _response(response_id)
    form = TagForm()
    form.theme.choices = _theme_choices()
    return render_template(
        "dashboard/response.html",
        item=with_tags([response])[0],
        analysis=themes.response_analysis(g.workspace, response.id),
        form=form,
        untag=UntagForm(),
        case_id=case_for_response(g.workspace.id, response.id),
        action=ActionForm(),
        user=current_user,
    )


@bp.post("/responses/<int:response_id>/tags")
@requires("analyst")
def response_tag(response_id: int) -> HttpResponse:
    response = _response(response_id)
    form = TagForm()
    form.theme.choices = _theme_choices()
    if form.validate_on_submit():
        themes.tag_response(
            g.workspace, response.id, form.theme.data, form.sentiment.data, current_user.email
        )
        db.session.commit()
        flash("Tag saved; analysis will keep it.", "ok")
    else:
        flash("Choose a theme and a sentiment.", "error")
    return redirect(url_for("dashboard.response_detail", response_id=response.id))


@bp.post("/responses/<int:response_id>/untag")
@requires("analyst")
def response_untag(response_id: int) -> HttpResponse:
    response = _response(response_id)
    form = UntagForm()
    if form.validate_on_submit():
        themes.untag_response(g.workspace, response.id, form.theme.data, current_user.email)
        db.session.commit()
        flash("Theme removed; analysis will not add it back.", "ok")
    return redirect(url_for("dashboard.response_detail", response_id=response.id))

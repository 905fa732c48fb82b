"""One response's page, and tagging it by hand."""

from __future__ import annotations

from flask import (
    abort,
    flash,
    g,
    redirect,
    render_template,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response as HttpResponse

from feedback.cases.file import case_for_response
from feedback.database import owned_by
from feedback.extensions import db
from feedback.responses.models import Response
from feedback.themes import taxonomy as themes
from feedback.themes.forms import TagForm, UncertainForm, UntagForm, theme_choices
from feedback.themes.verbatims import with_tags
from feedback.web.auth import requires
from feedback.web.forms import ActionForm, flashed
from feedback.web.pages import page_blueprint

bp = page_blueprint("responses", __name__)


def _response(response_id: int) -> Response:
    response = db.session.scalar(
        select(Response).where(owned_by(Response, g.workspace.id), Response.id == response_id)
    )
    if response is None:
        abort(404)
    return response


@bp.get("/responses/<int:response_id>")
@requires("viewer")
def response_detail(response_id: int) -> str:
    response = _response(response_id)
    form = TagForm()
    form.theme.choices = theme_choices(g.workspace)
    return render_template(
        "responses/response.html",
        item=with_tags([response])[0],
        analysis=themes.response_analysis(g.workspace, response.id),
        form=form,
        untag=UntagForm(),
        decide=UncertainForm(),
        case_id=case_for_response(g.workspace.id, response.id),
        action=ActionForm(),
        user=current_user,
    )


@bp.post("/responses/<int:response_id>/tags")
@requires("analyst")
def response_tag(response_id: int) -> HttpResponse:
    response = _response(response_id)
    form = TagForm()
    form.theme.choices = theme_choices(g.workspace)
    if form.validate_on_submit():
        themes.tag_response(
            g.workspace, response.id, form.theme.data, form.sentiment.data, current_user.email
        )
        flash("Tag saved; analysis will keep it.", "ok")
    else:
        flash("Choose a theme and a sentiment.", "error")
    return redirect(url_for("responses.response_detail", response_id=response.id))


@bp.post("/responses/<int:response_id>/untag")
@requires("analyst")
def response_untag(response_id: int) -> HttpResponse:
    response = _response(response_id)
    form = UntagForm()
    if form.validate_on_submit():
        themes.untag_response(g.workspace, response.id, form.theme.data, current_user.email)
        flash("Theme removed; analysis will not add it back.", "ok")
    return redirect(url_for("responses.response_detail", response_id=response.id))


@bp.post("/responses/<int:response_id>/uncertain")
@requires("analyst")
def response_uncertain(response_id: int) -> HttpResponse:
    """Confirm an uncertain theme (a manual tag) or dismiss it."""
    response = _response(response_id)
    form = UncertainForm()
    if not form.validate_on_submit():
        flash("Choose a theme to confirm or dismiss.", "error")
    elif form.decision.data == "confirm":
        flashed(
            lambda: themes.confirm_uncertain(
                g.workspace, response.id, form.theme.data, current_user.email
            ),
            "Theme confirmed; analysis will keep it.",
        )
    else:
        flashed(
            lambda: themes.dismiss_uncertain(
                g.workspace, response.id, form.theme.data, current_user.email
            ),
            "Theme dismissed.",
        )
    return redirect(url_for("responses.response_detail", response_id=response.id))

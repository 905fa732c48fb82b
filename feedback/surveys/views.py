"""The survey builder: list, create and edit surveys, with a live preview of the real widget."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for

from feedback.email.compose import preview_invite
from feedback.errors import NotFound
from feedback.metrics import sums
from feedback.surveys import service as surveys
from feedback.surveys.forms import (
    SurveyForm,
    build_form,
    field_for,
    form_data,
    keep_unshown,
    survey_definition,
)
from feedback.surveys.kinds import KINDS, default_survey
from feedback.surveys.models import Survey
from feedback.web.auth import can, requires
from feedback.web.forms import attempt
from feedback.web.pages import page_blueprint
from feedback.widget.script import embed_snippet, script_url

bp = page_blueprint("surveys", __name__)


def _survey(public_id: str) -> Survey:
    try:
        return surveys.get_survey(g.workspace, public_id)
    except NotFound:
        abort(404)


def _page(form: SurveyForm, survey: Survey | None, error: str | None = None) -> str:
    base_url = current_app.config["FEEDBACK_BASE_URL"].rstrip("/")
    channels = survey.channels if survey else []
    return render_template(
        "surveys/survey_edit.html",
        form=form,
        survey=survey,
        error=error,
        editable=can("admin"),
        snippet=embed_snippet(base_url, g.workspace.public_key),
        preview_host=request.host_url.rstrip("/"),
        widget_src=script_url(request.host_url),
        # Where the survey reaches people besides the widget: its own page, and the mail.
        hosted_url=base_url + url_for("hosted.link", public_id=survey.public_id)
        if survey and "link" in channels
        else None,
        invite=preview_invite(survey, g.workspace) if survey and "email" in channels else None,
    )


def _store(survey: Survey | None, payload: dict[str, Any]) -> Survey:
    if survey is None:
        return surveys.create_survey(g.workspace, payload)
    return surveys.update_survey(survey, keep_unshown(payload, survey))


def _save(form: SurveyForm, survey: Survey | None) -> tuple[Survey | None, str | None]:
    """Store the form through the survey services; a refusal is put next to its field."""
    payload, rows = form.payload()
    saved = attempt(
        form, lambda: _store(survey, payload), where=lambda path: field_for(form, path, rows)
    )
    if saved is not None:
        return saved, None
    if form.form_errors:  # a refusal that names no field of the form is said above it
        return None, form.form_errors.pop()
    return None, "The survey was not saved: see the field marked below."


@bp.get("/surveys")
@requires("viewer")
def survey_list() -> str:
    counts = sums.responses_per_survey(g.workspace.id)
    return render_template(
        "surveys/surveys.html",
        surveys=surveys.list_surveys(g.workspace),
        counts=counts,
        kinds=KINDS,
    )


@bp.route("/surveys/new", methods=["GET", "POST"])
@requires("admin")
def survey_new() -> Any:
    kind = request.args.get("kind", "nps")
    if kind not in KINDS:
        abort(404)
    if request.method == "GET":
        form = build_form(form_data({**default_survey(kind), "status": "draft"}))
        return _page(form, None)
    form = build_form(None)
    if not form.validate_on_submit():
        return _page(form, None, "Check the fields marked below."), 422
    survey, error = _save(form, None)
    if survey is None:
        return _page(form, None, error), 422
    flash(f"Survey {survey.name} created.", "ok")
    return redirect(url_for("surveys.survey_edit", public_id=survey.public_id))


@bp.get("/surveys/<public_id>")
@requires("viewer")
def survey_edit(public_id: str) -> str:
    survey = _survey(public_id)
    return _page(build_form(form_data(survey_definition(survey))), survey)


@bp.post("/surveys/<public_id>")
@requires("admin")
def survey_save(public_id: str) -> Any:
    survey = _survey(public_id)
    form = build_form(None)
    if not form.validate_on_submit():
        return _page(form, survey, "Check the fields marked below."), 422
    saved, error = _save(form, survey)
    if saved is None:
        return _page(form, _survey(public_id), error), 422
    flash(f"Survey {saved.name} saved.", "ok")
    return redirect(url_for("surveys.survey_edit", public_id=saved.public_id))

"""Who owns a new case: the routing rules in order, the round-robin handlers, the SLA."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, g, redirect, render_template, url_for
from werkzeug.wrappers import Response as HttpResponse
from wtforms import Field
from wtforms.fields.choices import SelectChoice

from feedback.accounts import members
from feedback.accounts.settings import update_workspace
from feedback.cases import file as case_file
from feedback.cases import routing as rule_service
from feedback.cases.forms import RULE_FIELDS, HandlersForm, RuleForm, SlaForm
from feedback.cases.sla import DEFAULT_SETTINGS
from feedback.cases.views import actor, member_choices
from feedback.surveys import service as surveys
from feedback.themes import taxonomy as themes
from feedback.web.auth import requires
from feedback.web.forms import ActionForm, attempt, flashed
from feedback.web.pages import page_blueprint

bp = page_blueprint("case_rules", __name__)


def _rule_form(data: dict[str, Any] | None = None) -> RuleForm:
    form = RuleForm(formdata=None, data=data) if data is not None else RuleForm()
    form.survey.choices = [
        SelectChoice("", "any"),
        *(SelectChoice(s.public_id, s.name) for s in surveys.list_surveys(g.workspace)),
    ]
    form.theme.choices = [
        SelectChoice("", "any"),
        *(SelectChoice(t.slug, t.name) for t in themes.list_themes(g.workspace)),
    ]
    form.owner.choices = member_choices()
    return form


def _sla_form() -> SlaForm:
    return SlaForm(formdata=None, data={**DEFAULT_SETTINGS, **(g.workspace.case_settings or {})})


def _page(status: int = 200, **forms: Any) -> tuple[str, int]:
    team = members.list_members(g.workspace)
    handlers = case_file.handler_ids(g.workspace.id)
    handler_form = HandlersForm(formdata=None, data={"handlers": sorted(handlers)})
    handler_form.handlers.choices = member_choices(team)
    page = render_template(
        "cases/case_rules.html",
        rules=rule_service.list_rules(g.workspace),
        theme_names={t.slug: t.name for t in themes.list_themes(g.workspace)},
        survey_names={s.public_id: s.name for s in surveys.list_surveys(g.workspace)},
        form=forms.get("form") or _rule_form({"enabled": True}),
        handler_form=handler_form,
        handlers=[m for m in team if m.user_id in handlers],
        sla=forms.get("sla") or _sla_form(),
        action=ActionForm(),
    )
    return page, status


def _rule_field(form: RuleForm) -> Callable[[str | None], Field]:
    """Where a refusal of a rule goes: the rule's fields are named otherwise on the form."""
    return lambda path: form[RULE_FIELDS.get(path or "", "name")]


@bp.get("/cases/rules")
@requires("viewer")
def case_rules() -> Any:
    return _page()


@bp.post("/cases/rules")
@requires("admin")
def case_rule_add() -> Any:
    form = _rule_form()
    if not form.validate_on_submit():
        return _page(422, form=form)
    rule = attempt(
        form,
        lambda: rule_service.create_rule(g.workspace, form.payload(), actor()),
        where=_rule_field(form),
    )
    if rule is None:
        return _page(422, form=form)
    flash(f"Rule “{rule.name}” added; it is tried after the ones above it.", "ok")
    return redirect(url_for("case_rules.case_rules"))


def _edit_page(rule_id: int, form: RuleForm, status: int = 200) -> tuple[str, int]:
    rule = next((r for r in rule_service.list_rules(g.workspace) if r.id == rule_id), None)
    if rule is None:
        abort(404)
    return render_template("cases/case_rule_edit.html", rule=rule, form=form), status


@bp.get("/cases/rules/<int:rule_id>")
@requires("admin")
def case_rule_edit(rule_id: int) -> Any:
    rule = next((r for r in rule_service.list_rules(g.workspace) if r.id == rule_id), None)
    if rule is None:
        abort(404)
    return _edit_page(rule_id, _rule_form(RuleForm.data_from(rule)))


@bp.post("/cases/rules/<int:rule_id>")
@requires("admin")
def case_rule_save(rule_id: int) -> Any:
    form = _rule_form()
    if not form.validate_on_submit():
        return _edit_page(rule_id, form, 422)
    rule = attempt(
        form,
        lambda: rule_service.update_rule(g.workspace, rule_id, form.payload(), actor()),
        where=_rule_field(form),
        abort_missing=True,
    )
    if rule is None:
        return _edit_page(rule_id, form, 422)
    flash("Rule saved.", "ok")
    return redirect(url_for("case_rules.case_rules"))


def _act(rule_id: int, change: Any, message: str) -> HttpResponse:
    if not ActionForm().validate_on_submit():
        abort(400)
    flashed(change, message, abort_missing=True)
    return redirect(url_for("case_rules.case_rules"))


@bp.post("/cases/rules/<int:rule_id>/toggle")
@requires("admin")
def case_rule_toggle(rule_id: int) -> HttpResponse:
    rule = next((r for r in rule_service.list_rules(g.workspace) if r.id == rule_id), None)
    if rule is None:
        abort(404)
    enabled = not rule.enabled
    return _act(
        rule_id,
        lambda: rule_service.update_rule(g.workspace, rule_id, {"enabled": enabled}, actor()),
        f"Rule “{rule.name}” {'enabled' if enabled else 'disabled'}.",
    )


@bp.post("/cases/rules/<int:rule_id>/delete")
@requires("admin")
def case_rule_delete(rule_id: int) -> HttpResponse:
    return _act(
        rule_id, lambda: rule_service.delete_rule(g.workspace, rule_id, actor()), "Rule deleted."
    )


@bp.post("/cases/rules/<int:rule_id>/up")
@requires("admin")
def case_rule_up(rule_id: int) -> HttpResponse:
    return _act(
        rule_id, lambda: rule_service.move_rule(g.workspace, rule_id, -1, actor()), "Rule moved up."
    )


@bp.post("/cases/rules/<int:rule_id>/down")
@requires("admin")
def case_rule_down(rule_id: int) -> HttpResponse:
    return _act(
        rule_id,
        lambda: rule_service.move_rule(g.workspace, rule_id, 1, actor()),
        "Rule moved down.",
    )


@bp.post("/cases/handlers")
@requires("admin")
def case_handlers() -> HttpResponse:
    form = HandlersForm()
    if not form.validate_on_submit():
        abort(400)
    flashed(
        lambda: rule_service.set_handlers(g.workspace, form.handlers.data or [], actor()),
        "Case handlers saved.",
    )
    return redirect(url_for("case_rules.case_rules"))


@bp.post("/cases/sla")
@requires("admin")
def case_sla() -> Any:
    form = SlaForm()
    if not form.validate_on_submit():
        return _page(422, sla=form)
    saved = attempt(
        form, lambda: update_workspace(g.workspace, {"case_settings": form.payload()}), "sla_hours"
    )
    if saved is None:
        return _page(422, sla=form)
    flash("Saved; a new service level applies to cases opened from now on.", "ok")
    return redirect(url_for("case_rules.case_rules"))

"""Cases: my cases, all cases (filters, bulk assign, CSV), a case's page and its forms.

The case services check every change against the member's role; these views only show the
controls that role may use and put a refusal next to the form it came from.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as HttpResponse
from wtforms.fields.choices import SelectChoice

from feedback.accounts import members
from feedback.audit import log as audit
from feedback.cases import export as case_export
from feedback.cases import file as case_file
from feedback.cases import lists as case_lists
from feedback.cases import opening
from feedback.cases import work as cases
from feedback.cases.forms import (
    RESOLUTION_NAMES,
    STATUS_NAMES,
    BulkAssignForm,
    MergeForm,
    NoteForm,
    OwnerForm,
    ReplyForm,
    StatusForm,
)
from feedback.cases.models import Case
from feedback.database import utcnow
from feedback.downloads import csv_attachment
from feedback.errors import Forbidden, NotFound
from feedback.surveys import service as surveys
from feedback.themes import taxonomy as themes
from feedback.web.auth import can, requires
from feedback.web.forms import ActionForm, attempt, flashed
from feedback.web.pages import page_blueprint

bp = page_blueprint("cases", __name__)

FILTER_ARGS = ("status", "owner", "team", "theme", "overdue", "survey")


def actor() -> cases.Actor:
    return cases.Actor(current_user.email, g.role, current_user.id)


@bp.app_context_processor
def _case_helpers() -> dict[str, Any]:
    def my_open_cases() -> int:
        if not g.get("workspace") or not current_user.is_authenticated:
            return 0
        return case_file.open_count(g.workspace.id, current_user.id)

    return {
        "my_open_cases": my_open_cases,
        "assignment": case_file.assignment,
        "now": utcnow(),
        "status_names": STATUS_NAMES,
        "resolution_names": RESOLUTION_NAMES,
    }


def member_choices(team: list[Any] | None = None) -> list[SelectChoice]:
    """The workspace's members as choices of an owner field (`team` when already loaded)."""
    team = team if team is not None else members.list_members(g.workspace)
    # The name to read, the address to tell two of the same name apart.
    return [SelectChoice(m.user_id, f"{m.name} ({m.email})" if m.name else m.email) for m in team]


def _list_page(mine: bool) -> Any:
    args = {k: request.args[k] for k in FILTER_ARGS if request.args.get(k)}
    if mine:
        args = {"owner": "me", "status": "active"}
    filters = flashed(lambda: case_lists.parse_filters(args, current_user.id), with_field=True)
    if filters is None:
        return redirect(url_for("cases.cases_all"))
    team = members.list_members(g.workspace)
    assign = BulkAssignForm(formdata=None)
    assign.owner.choices = member_choices(team)
    return render_template(
        "cases/cases.html",
        mine=mine,
        items=case_lists.list_cases(g.workspace, filters),
        args=args,
        members=team,
        theme_list=themes.list_themes(g.workspace),
        survey_list=surveys.list_surveys(g.workspace),
        assign=assign,
    )


@bp.get("/cases")
@requires("viewer")
def cases_mine() -> Any:
    return _list_page(mine=True)


@bp.get("/cases/all")
@requires("viewer")
def cases_all() -> Any:
    return _list_page(mine=False)


@bp.get("/cases.csv")
@requires("viewer")
def cases_csv() -> Any:
    """The current filter's cases as CSV (cells cannot start a spreadsheet formula)."""
    args = {k: request.args[k] for k in FILTER_ARGS if request.args.get(k)}
    filters = flashed(lambda: case_lists.parse_filters(args, current_user.id))
    if filters is None:
        return redirect(url_for("cases.cases_all"))
    audit.downloaded(g.workspace.id, "cases.csv", args)
    return csv_attachment(case_export.export_csv(g.workspace, filters), "cases.csv")


@bp.post("/cases/assign")
@requires("admin")
def cases_assign() -> HttpResponse:
    form = BulkAssignForm()
    form.owner.choices = member_choices()
    back = request.form.get("next") or ""
    back = back if back.startswith("/app/cases") else url_for("cases.cases_all")
    if not form.validate_on_submit():
        flash("Choose the cases and the member to assign them to.", "error")
        return redirect(back)
    flashed(
        lambda: cases.bulk_assign(g.workspace, form.cases.data, form.owner.data, actor()),
        lambda changed: f"{changed:,} case{'s' if changed != 1 else ''} reassigned.",
    )
    return redirect(back)


# -- a case ---------------------------------------------------------------------------------


def _case(case_id: int) -> Case:
    try:
        return cases.get_case(g.workspace, case_id)
    except NotFound:
        abort(404)


def _status_form(case: Case, formdata: bool = False) -> StatusForm:
    data = {
        "status": case.status if case.status in cases.SETTABLE else "open",
        "resolution": case.resolution or "",
        "root_cause": case.root_cause.slug if case.root_cause else "",
    }
    form = StatusForm() if formdata else StatusForm(formdata=None, data=data)
    form.root_cause.choices = [
        SelectChoice("", "–"),
        *(SelectChoice(t.slug, t.name) for t in themes.list_themes(g.workspace)),
    ]
    return form


def _page(case_id: int, status: int = 200, **forms: Any) -> tuple[str, int]:
    case = _case(case_id)
    who = actor()
    file = case_file.case_file(g.workspace, case)
    owner = forms.get("owner") or OwnerForm(formdata=None, data={"owner": case.owner_id})
    owner.owner.choices = member_choices()
    merge = MergeForm(formdata=None)
    merge.other.choices = [
        SelectChoice(c.id, f"#{c.id} · {c.kind.upper()} {c.score} · {STATUS_NAMES[c.status]}")
        for c in file.merge_candidates
    ]
    page = render_template(
        "cases/case.html",
        file=file,
        case=case,
        works=cases.may_work(case, who),
        admin=can("admin") and case.status != "merged",
        note=forms.get("note") or NoteForm(formdata=None, prefix="note"),
        reply=forms.get("reply") or ReplyForm(formdata=None, prefix="reply"),
        status_form=forms.get("status_form") or _status_form(case),
        owner=owner,
        merge=merge,
    )
    return page, status


@bp.get("/cases/<int:case_id>")
@requires("viewer")
def case_page(case_id: int) -> Any:
    return _page(case_id)


def _refused(case_id: int, form: Any, name: str | None = None) -> tuple[str, int]:
    """The page again after `attempt` refused: the message next to its field when the form
    has one (422), else above the page with the refusal's own status; a refused role is 403."""
    status = form.refusal.status
    if form.form_errors:
        flash(form.form_errors.pop(), "error")
    elif status != Forbidden.status:
        status = 422
    return _page(case_id, status, **({name: form} if name else {}))


def _written(case_id: int, kind: str) -> Any:
    form = (NoteForm if kind == "note" else ReplyForm)(prefix=kind)
    if not form.validate_on_submit():
        return _page(case_id, 422, **{kind: form})
    write = cases.add_note if kind == "note" else cases.reply
    note = attempt(
        form, lambda: write(g.workspace, case_id, form.body.data, actor()), abort_missing=True
    )
    if note is None:
        return _refused(case_id, form, kind)
    flash("Note added." if kind == "note" else "Reply queued; it goes out within a minute.", "ok")
    return redirect(url_for("cases.case_page", case_id=case_id))


@bp.post("/cases/<int:case_id>/notes")
@requires("analyst")
def case_note(case_id: int) -> Any:
    return _written(case_id, "note")


@bp.post("/cases/<int:case_id>/reply")
@requires("analyst")
def case_reply(case_id: int) -> Any:
    return _written(case_id, "reply")


def _updated(case_id: int, payload: dict[str, Any], done: str, form: Any, name: str) -> Any:
    """Apply one change to the case; a refusal goes back to the form that asked for it."""
    if attempt(form, lambda: cases.update_case(g.workspace, case_id, payload, actor())) is None:
        return _refused(case_id, form, name)
    flash(done, "ok")
    return redirect(url_for("cases.case_page", case_id=case_id))


@bp.post("/cases/<int:case_id>/status")
@requires("analyst")
def case_status(case_id: int) -> Any:
    form = _status_form(_case(case_id), formdata=True)
    if not form.validate_on_submit():
        return _page(case_id, 422, status_form=form)
    return _updated(case_id, form.payload(), "Case updated.", form, "status_form")


@bp.post("/cases/<int:case_id>/owner")
@requires("admin")
def case_owner(case_id: int) -> Any:
    form = OwnerForm()
    form.owner.choices = member_choices()
    if not form.validate_on_submit():
        return _page(case_id, 422, owner=form)
    return _updated(case_id, {"owner": form.owner.data}, "Owner changed.", form, "owner")


@bp.post("/cases/<int:case_id>/merge")
@requires("admin")
def case_merge(case_id: int) -> Any:
    form = MergeForm()
    if not form.validate_on_submit():
        flash("Choose the case to merge into this one.", "error")
        return redirect(url_for("cases.case_page", case_id=case_id))
    if attempt(form, lambda: cases.merge(g.workspace, case_id, form.other.data, actor())) is None:
        return _refused(case_id, form)
    flash(f"Case #{form.other.data} merged into this one.", "ok")
    return redirect(url_for("cases.case_page", case_id=case_id))


@bp.post("/responses/<int:response_id>/case")
@requires("analyst")
def response_case(response_id: int) -> Any:
    if not ActionForm().validate_on_submit():
        abort(400)
    opened = flashed(
        lambda: opening.open_manual(g.workspace, response_id, actor()), abort_missing=True
    )
    if opened is None:
        return redirect(url_for("responses.response_detail", response_id=response_id))
    case, created = opened
    flash(f"Case #{case.id} opened." if created else f"This response has case #{case.id}.", "ok")
    return redirect(url_for("cases.case_page", case_id=case.id))

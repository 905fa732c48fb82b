"""Your account: the password, the workspace you work in, and joining one you are invited to."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_login import current_user, login_user
from werkzeug.wrappers import Response as HttpResponse

from feedback.accounts import invitations, passwords, sessions
from feedback.dashboard.auth import requires
from feedback.dashboard.forms import ActionForm, JoinForm, NewPasswordForm
from feedback.dashboard.views import bp
from feedback.errors import FeedbackError


@bp.route("/account", methods=["GET", "POST"])
@requires("viewer")
def account() -> Any:
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            passwords.change_password(
                current_user,
                form.current.data,
                form.password.data,
                sessions.current(current_user.id),
            )
        except FeedbackError as exc:
            getattr(form, exc.field or "current").errors = [exc.message]
        else:
            flash("Password changed; every other browser signed in as you is signed out.", "ok")
            return redirect(url_for("dashboard.account"))
    status = 422 if form.errors else 200
    return render_template("dashboard/account.html", form=form), status


@bp.post("/workspaces/<int:workspace_id>")
@requires("viewer")
def workspace_switch(workspace_id: int) -> HttpResponse:
    row = sessions.current(current_user.id)
    if (
        ActionForm().validate_on_submit()
        and row is not None
        and not sessions.choose_workspace(row, current_user, workspace_id)
    ):
        flash("You are not a member of that workspace.", "error")
    return redirect(url_for("dashboard.home"))


@bp.route("/join/<token>", methods=["GET", "POST"])
def join(token: str) -> Any:
    try:
        invite = invitations.find(token)
    except FeedbackError as exc:
        return render_template("dashboard/join.html", problem=exc.message), 404
    workspace_name = invite.workspace.name if invite.workspace else ""
    if invitations.has_account(invite):
        return _join_existing(token, invite, workspace_name)
    form = JoinForm()
    if form.validate_on_submit():
        try:
            user = invitations.accept_new(token, form.name.data, form.password.data)
        except FeedbackError as exc:
            getattr(form, exc.field or "password").errors = [exc.message]
        else:
            sessions.start(user, invite.workspace_id)
            login_user(user)
            flash(f"Welcome to {workspace_name}.", "ok")
            return redirect(url_for("dashboard.home"))
    return render_template(
        "dashboard/join.html", invite=invite, workspace_name=workspace_name, form=form
    )


def _join_existing(token: str, invite: Any, workspace_name: str) -> Any:
    if not current_user.is_authenticated:
        flash(f"Sign in as {invite.email} to join {workspace_name}.", "ok")
        return redirect(url_for("dashboard.login", next=url_for("dashboard.join", token=token)))
    action = ActionForm()
    if action.validate_on_submit():
        try:
            workspace = invitations.accept(token, current_user)
        except FeedbackError as exc:
            flash(exc.message, "error")
        else:
            row = sessions.current(current_user.id)
            if row is not None:
                sessions.choose_workspace(row, current_user, workspace.id)
            flash(f"You joined {workspace.name}.", "ok")
            return redirect(url_for("dashboard.home"))
    return render_template(
        "dashboard/join.html", invite=invite, workspace_name=workspace_name, action=action
    )

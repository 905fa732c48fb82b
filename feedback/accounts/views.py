"""Signing in and out, your account (its password and the workspace you work in), and joining
one you are invited to."""

from __future__ import annotations

from typing import Any

from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select
from werkzeug.wrappers import Response as HttpResponse

from feedback.accounts import invitations, password_hashes, passwords, sessions, signins
from feedback.accounts.forms import JoinForm, LoginForm, NewPasswordForm
from feedback.accounts.models import User
from feedback.accounts.sso.signin import password_refusal
from feedback.accounts.two_factor import service as two_factor
from feedback.errors import NotFound
from feedback.extensions import db, limiter
from feedback.web.auth import requires
from feedback.web.forms import ActionForm, attempt, flashed
from feedback.web.pages import page_blueprint

bp = page_blueprint("accounts", __name__)


@bp.route("/account", methods=["GET", "POST"])
@requires("viewer")
def account() -> Any:
    form = NewPasswordForm()
    if form.validate_on_submit():
        attempt(
            form,
            lambda: passwords.change_password(
                current_user,
                form.current.data,
                form.password.data,
                sessions.current(current_user.id),
            ),
            "current",
        )
        if form.refusal is None:
            flash("Password changed; every other browser signed in as you is signed out.", "ok")
            return redirect(url_for("accounts.account"))
    status = 422 if form.errors else 200
    two_factor_on = two_factor.enabled(current_user.id)
    return render_template("accounts/account.html", form=form, two_factor_on=two_factor_on), status


@bp.post("/workspaces/<int:workspace_id>")
@requires("viewer", before_two_factor=True)
def workspace_switch(workspace_id: int) -> HttpResponse:
    row = sessions.current(current_user.id)
    if (
        ActionForm().validate_on_submit()
        and row is not None
        and not sessions.choose_workspace(row, current_user, workspace_id)
    ):
        flash("You are not a member of that workspace.", "error")
    return redirect(url_for("scorecard.home"))


@bp.route("/join/<token>", methods=["GET", "POST"])
def join(token: str) -> Any:
    try:
        invite = invitations.find(token)
    except NotFound as exc:
        return render_template("accounts/join.html", problem=exc.message), 404
    workspace_name = invite.workspace.name if invite.workspace else ""
    if invitations.has_account(invite):
        return _join_existing(token, invite, workspace_name)
    form = JoinForm()
    if form.validate_on_submit():
        user = attempt(
            form,
            lambda: invitations.accept_new(token, form.name.data, form.password.data),
            "password",
        )
        if user is not None:
            refusal = password_refusal(user)
            if refusal:
                flash(f"Your account is ready. {refusal}", "ok")
                return redirect(url_for("accounts.login"))
            sessions.start(user, invite.workspace_id)
            login_user(user)
            flash(f"Welcome to {workspace_name}.", "ok")
            return redirect(url_for("scorecard.home"))
    return render_template(
        "accounts/join.html", invite=invite, workspace_name=workspace_name, form=form
    )


def _join_existing(token: str, invite: Any, workspace_name: str) -> Any:
    if not current_user.is_authenticated:
        flash(f"Sign in as {invite.email} to join {workspace_name}.", "ok")
        return redirect(url_for("accounts.login", next=url_for("accounts.join", token=token)))
    action = ActionForm()
    if action.validate_on_submit():
        workspace = flashed(lambda: invitations.accept(token, current_user))
        if workspace is not None:
            row = sessions.current(current_user.id)
            if row is not None:
                sessions.choose_workspace(row, current_user, workspace.id)
            flash(f"You joined {workspace.name}.", "ok")
            return redirect(url_for("scorecard.home"))
    return render_template(
        "accounts/join.html", invite=invite, workspace_name=workspace_name, action=action
    )


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["FEEDBACK_LOGIN_RATE_LIMIT"], methods=["POST"])
def login() -> Any:
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.email == form.email.data.strip().lower()))
        if user is not None and user.check_password(form.password.data):
            refusal = password_refusal(user)
            if refusal:
                flash(refusal, "error")
                return render_template("accounts/login.html", form=form), 403
            if two_factor.enabled(user.id):
                # Not signed in yet: the code page finishes it.
                two_factor.begin_sign_in(user, _local(request.args.get("next")))
                return redirect(url_for("two_factor.code"))
            sessions.start(user)
            login_user(user)
            signins.succeeded(user)
            return redirect(_local(request.args.get("next")) or url_for("scorecard.home"))
        if user is None:
            password_hashes.waste_time(form.password.data)  # as slow as a wrong password
        signins.failed(form.email.data, user)
        flash("That email and password do not match an account.", "error")
    return render_template("accounts/login.html", form=form)


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
    return redirect(url_for("accounts.login"))

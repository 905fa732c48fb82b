"""Workspace settings, API keys, members and their roles, and the mail settings in effect."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, g, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as HttpResponse

from feedback.accounts import invitations, members, workspaces
from feedback.accounts.forms import ApiKeyForm, MemberForm, RoleForm, WorkspaceForm
from feedback.accounts.settings import update_workspace
from feedback.responses import identity
from feedback.web.auth import can, requires
from feedback.web.forms import ActionForm, attempt, flashed
from feedback.web.pages import page_blueprint

bp = page_blueprint("settings", __name__)


def _workspace_form() -> WorkspaceForm:
    ws = g.workspace
    # formdata=None: a POST of another form on the page must not fill this one.
    return WorkspaceForm(
        formdata=None,
        data={
            "name": ws.name,
            "timezone": ws.timezone,
            "allowed_origins": "\n".join(ws.allowed_origins or []),
            "recontact_days": ws.recontact_days,
            "low_n": ws.low_n,
            "require_verified_identity": ws.require_verified_identity,
            "require_two_factor": ws.require_two_factor,
        },
    )


def _mail() -> dict[str, Any]:
    """The SMTP settings in effect; the password only as whether one is set."""
    config = current_app.config
    return {
        "host": config.get("FEEDBACK_SMTP_HOST") or None,
        "port": config.get("FEEDBACK_SMTP_PORT"),
        "user": config.get("FEEDBACK_SMTP_USER") or None,
        "password_set": bool(config.get("FEEDBACK_SMTP_PASSWORD")),
        "starttls": config.get("FEEDBACK_SMTP_STARTTLS"),
        "sender": config.get("FEEDBACK_MAIL_FROM"),
    }


def _page(status: int = 200, **forms: Any) -> tuple[str, int]:
    admin = can("admin")
    page = render_template(
        "accounts/settings.html",
        form=forms.get("form") or _workspace_form(),
        key_form=forms.get("key_form") or ApiKeyForm(formdata=None, prefix="key"),
        member_form=forms.get("member_form") or MemberForm(formdata=None, prefix="member"),
        role_form=RoleForm(formdata=None),
        action=ActionForm(),
        issued=forms.get("issued"),
        invited=forms.get("invited"),
        invitations=invitations.pending(g.workspace) if admin else [],
        keys=workspaces.list_api_keys(g.workspace) if admin else [],
        members=members.list_members(g.workspace) if admin else [],
        mail=_mail() if admin else None,
    )
    return page, status


@bp.get("/settings")
@requires("viewer")
def settings() -> Any:
    return _page()


@bp.post("/settings")
@requires("admin")
def settings_save() -> Any:
    form = WorkspaceForm()
    if not form.validate_on_submit():
        return _page(422, form=form)
    if attempt(form, lambda: update_workspace(g.workspace, form.payload()), "name") is None:
        return _page(422, form=form)
    flash("Settings saved.", "ok")
    return redirect(url_for("settings.settings"))


@bp.post("/settings/keys")
@requires("admin")
def key_create() -> Any:
    form = ApiKeyForm(prefix="key")
    if not form.validate_on_submit():
        return _page(422, key_form=form)
    issued = attempt(
        form, lambda: workspaces.create_api_key(g.workspace, form.name.data, form.scopes()), "name"
    )
    if issued is None:
        return _page(422, key_form=form)
    # Rendered, not redirected: the secret must never be stored, not even in the session.
    return _page(issued=issued)


@bp.post("/settings/keys/<int:key_id>/revoke")
@requires("admin")
def key_revoke(key_id: int) -> HttpResponse:
    if ActionForm().validate_on_submit():
        flashed(
            lambda: workspaces.revoke_api_key(g.workspace, key_id),
            lambda key: f"Key {key.name} revoked; it no longer works.",
        )
    return redirect(url_for("settings.settings"))


@bp.post("/settings/identity-secret")
@requires("admin")
def identity_secret_rotate() -> HttpResponse:
    if ActionForm().validate_on_submit():
        identity.rotate_identity_secret(g.workspace)
        flash(
            "A new identity secret is in use: user hashes made with the old one are refused. "
            "Put the new one on your server now.",
            "ok",
        )
    return redirect(url_for("settings.settings") + "#identity")


@bp.post("/settings/members")
@requires("admin")
def member_add() -> Any:
    form = MemberForm(prefix="member")
    if not form.validate_on_submit():
        return _page(422, member_form=form)
    sent = attempt(
        form,
        lambda: invitations.invite(
            g.workspace, current_user, g.role, form.email.data, form.role.data
        ),
        "email",
    )
    if sent is None:
        return _page(422, member_form=form)
    # Rendered, not redirected: the link is shown once, for when mail is not set up.
    return _page(invited=sent)


@bp.post("/settings/invitations/<int:invite_id>/revoke")
@requires("admin")
def member_invite_revoke(invite_id: int) -> HttpResponse:
    if ActionForm().validate_on_submit():
        invitations.revoke(g.workspace, invite_id)
        flash("Invitation withdrawn; its link no longer works.", "ok")
    return redirect(url_for("settings.settings"))


@bp.post("/settings/members/<int:user_id>/remove")
@requires("admin")
def member_remove(user_id: int) -> HttpResponse:
    if ActionForm().validate_on_submit():
        flashed(
            lambda: members.remove_member(g.workspace, current_user, g.role, user_id),
            "Member removed and signed out.",
        )
    return redirect(url_for("settings.settings"))


@bp.post("/settings/members/<int:user_id>/role")
@requires("admin")
def member_role(user_id: int) -> HttpResponse:
    form = RoleForm()
    if form.validate_on_submit():
        flashed(
            lambda: members.change_role(g.workspace, current_user, g.role, user_id, form.role.data),
            "Role changed.",
        )
    return redirect(url_for("settings.settings"))

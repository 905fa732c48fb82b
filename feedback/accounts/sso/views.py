"""Single sign-on pages: the work-email form, a workspace's own sign-in link, the provider's
callback, and the settings admins set the provider up with."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_login import login_user
from werkzeug.wrappers import Response as HttpResponse

from feedback.accounts import sessions
from feedback.accounts.sso import connections, signin
from feedback.accounts.sso.forms import SsoSettingsForm, SsoStartForm
from feedback.errors import FeedbackError, NotFound
from feedback.extensions import limiter
from feedback.web.auth import requires
from feedback.web.forms import ActionForm, attempt
from feedback.web.pages import page_blueprint

bp = page_blueprint("sso", __name__)


def callback_url() -> str:
    """The redirect URI to register with a provider: the same for every workspace."""
    return current_app.config["FEEDBACK_BASE_URL"].rstrip("/") + url_for("sso.callback")


@bp.errorhandler(FeedbackError)
def refused(exc: FeedbackError) -> tuple[str, int]:
    """A sign-in refused (or a provider that cannot be used): a page that says why."""
    return render_template("accounts/sso_refused.html", problem=exc.message), exc.status


@bp.route("/sso", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["FEEDBACK_LOGIN_RATE_LIMIT"], methods=["POST"])
def start() -> Any:
    form = SsoStartForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        connection = connections.connection_for_email(email)
        if connection is not None:
            return _onwards(connection.workspace.slug, email)
        form.email.errors = [
            "No workspace signs in addresses at this domain with single sign-on. Use the "
            "sign-in link your workspace's admins gave you, or your password."
        ]
    status = 422 if form.errors else 200
    return render_template("accounts/sso_start.html", form=form), status


def _onwards(slug: str, email: str) -> tuple[str, int, dict[str, str]]:
    # Not a redirect: the page's CSP (form-action 'self') stops a form's redirect chain from
    # leaving the site, and a Refresh is a new navigation, not part of the form's.
    target = url_for("sso.workspace_start", ref=slug, login_hint=email)
    page = render_template("accounts/sso_continue.html", target=target)
    return page, 200, {"Refresh": f"0; url={target}"}


@bp.get("/sso/callback")
def callback() -> Any:
    try:
        signed = signin.finish(request.args.to_dict())
    except signin.SignInRefused as refused:
        signin.log_refusal(refused)
        raise
    sessions.start(signed.user, signed.workspace.id, sso=True)
    login_user(signed.user)
    flash(f"Signed in to {signed.workspace.name} with single sign-on.", "ok")
    return redirect(url_for("scorecard.home"))


@bp.get("/sso/<ref>")
def workspace_start(ref: str) -> Any:
    connection = signin.find_workspace(ref)
    if connection is None:
        raise NotFound("No workspace of that name signs in with single sign-on.")
    hint = request.args.get("login_hint", "")
    email = hint if "@" in hint and len(hint) <= 320 else None
    return signin.begin(connection, callback_url(), email)


def _settings_page(form: SsoSettingsForm | None = None, status: int = 200) -> tuple[str, int]:
    connection = connections.connection_of(g.workspace)
    if form is None:
        form = SsoSettingsForm(
            formdata=None,
            data={
                "issuer": connection.issuer,
                "client_id": connection.client_id,
                "domains": "\n".join(connection.allowed_domains),
                "default_role": connection.default_role or "",
                "required": connection.required,
            }
            if connection
            else {},
        )
    page = render_template(
        "accounts/sso_settings.html",
        form=form,
        connection=connection,
        callback=callback_url(),
        action=ActionForm(),
    )
    return page, status


@bp.get("/settings/sso")
@requires("admin")
def settings() -> Any:
    return _settings_page()


@bp.post("/settings/sso")
@requires("admin")
def settings_save() -> Any:
    form = SsoSettingsForm()
    if not form.validate_on_submit():
        return _settings_page(form, 422)
    if attempt(form, lambda: connections.save_connection(g.workspace, form.settings()), "issuer"):
        flash("Single sign-on saved: the provider's discovery document checks out.", "ok")
        return redirect(url_for("sso.settings"))
    return _settings_page(form, 422)


@bp.post("/settings/sso/remove")
@requires("admin")
def settings_remove() -> HttpResponse:
    if ActionForm().validate_on_submit():
        connections.remove_connection(g.workspace)
        flash("Single sign-on is off: members sign in with their passwords.", "ok")
    return redirect(url_for("sso.settings"))

"""Two-factor pages: setting it up on the account, recovery codes, turning it off, and the
code asked for after the password."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_user

from feedback.accounts import sessions
from feedback.accounts.two_factor import service
from feedback.accounts.two_factor.forms import CodeForm, ConfirmForm, DisableForm, PasswordForm
from feedback.extensions import limiter
from feedback.web.auth import requires
from feedback.web.forms import attempt
from feedback.web.pages import page_blueprint

bp = page_blueprint("two_factor", __name__)


def _login_limit() -> str:
    # The sign-in limit per address, on each form here that checks a password or a code.
    return str(current_app.config["FEEDBACK_LOGIN_RATE_LIMIT"])


def _page(status: int = 200, **forms: Any) -> tuple[str, int]:
    user_id = current_user.id
    if service.enabled(user_id):
        page = render_template(
            "accounts/two_factor.html",
            on=True,
            remaining=service.remaining_recovery_codes(user_id),
            required_by=service.required_by(user_id),
            codes_form=forms.get("codes_form") or PasswordForm(formdata=None, prefix="codes"),
            disable_form=forms.get("disable_form") or DisableForm(formdata=None, prefix="off"),
        )
        return page, status
    page = render_template(
        "accounts/two_factor.html",
        on=False,
        enrolment=service.start_enrolment(current_user),
        form=forms.get("form") or ConfirmForm(formdata=None),
    )
    return page, status


@bp.get("/account/two-factor")
@requires("viewer", before_two_factor=True)
def setup() -> Any:
    return _page()


@bp.post("/account/two-factor")
@limiter.limit(_login_limit)
@requires("viewer", before_two_factor=True)
def confirm() -> Any:
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _page(422, form=form)
    fresh = attempt(form, lambda: service.confirm(current_user, form.code.data), "code")
    if fresh is None:
        return _page(422, form=form)
    # Rendered, not redirected: the codes are never stored in the clear, not even in the session.
    return render_template("accounts/recovery_codes.html", codes=fresh, first=True)


@bp.post("/account/two-factor/recovery-codes")
@limiter.limit(_login_limit)
@requires("viewer")
def recovery_codes() -> Any:
    form = PasswordForm(prefix="codes")
    if not form.validate_on_submit():
        return _page(422, codes_form=form)
    fresh = attempt(
        form, lambda: service.regenerate_recovery_codes(current_user, form.password.data)
    )
    if fresh is None:
        return _page(422, codes_form=form)
    return render_template("accounts/recovery_codes.html", codes=fresh, first=False)


@bp.post("/account/two-factor/off")
@limiter.limit(_login_limit)
@requires("viewer")
def disable() -> Any:
    form = DisableForm(prefix="off")
    if not form.validate_on_submit():
        return _page(422, disable_form=form)
    attempt(form, lambda: service.disable(current_user, form.password.data, form.code.data), "code")
    if form.refusal is not None:
        return _page(form.refusal.status, disable_form=form)
    flash("Two-factor sign-in is off: your password alone signs you in.", "ok")
    return redirect(url_for("two_factor.setup"))


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def code() -> Any:
    if service.pending_sign_in() is None:
        flash("Sign in with your email and password first.", "error")
        return redirect(url_for("accounts.login"))
    form = CodeForm()
    if form.validate_on_submit():
        found = attempt(form, lambda: service.finish_sign_in(form.code.data), "code")
        if found is None:
            refusal = form.refusal
            if service.pending_sign_in() is None:
                # Timed out, used, or too many wrong codes: back to the password.
                flash(refusal.message, "error")
                return redirect(url_for("accounts.login"))
            return render_template("accounts/login_code.html", form=form), refusal.status
        user, next_path = found
        sessions.start(user)
        login_user(user)
        return redirect(next_path or url_for("scorecard.home"))
    return render_template("accounts/login_code.html", form=form), 422 if form.errors else 200

"""A forgotten password: asking for a link, and choosing a new password with it."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, make_response, redirect, render_template, request, url_for

from feedback.accounts import resets
from feedback.accounts.forms import ForgotPasswordForm, ResetPasswordForm
from feedback.extensions import limiter
from feedback.web.forms import attempt
from feedback.web.pages import page_blueprint

bp = page_blueprint("resets", __name__)
_TOO_MANY = "Too many password reset requests; wait a while, then ask again."


def _address_asked() -> str:
    # The per-address count: a script cycling client addresses still fills no one's inbox.
    return "reset-address:" + (request.form.get("email") or "").strip().lower()[:320]


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["FEEDBACK_RESET_RATE_LIMIT"],
    methods=["POST"],
    error_message=_TOO_MANY,
)
@limiter.limit(
    lambda: current_app.config["FEEDBACK_RESET_ADDRESS_RATE_LIMIT"],
    methods=["POST"],
    key_func=_address_asked,
    error_message=_TOO_MANY,
)
def forgot() -> Any:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        resets.request_reset(form.email.data)
        return render_template(
            "accounts/forgot.html", form=form, sent=True, minutes=resets.VALID_MINUTES
        )
    status = 422 if form.errors else 200
    return render_template("accounts/forgot.html", form=form, sent=False), status


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset(token: str) -> Any:
    form = ResetPasswordForm()
    if attempt(form, lambda: resets.find(token)) is None:
        # Unknown, used, expired or replaced: say so rather than show the form.
        page = render_template("accounts/reset.html", problem=form.refusal.message)
        return _private(make_response(page, form.refusal.status))
    if form.validate_on_submit():
        user = attempt(form, lambda: resets.reset_password(token, form.password.data), "password")
        if user is not None:
            flash(
                "Your password is changed and every browser signed in as you is signed out."
                " Sign in with the new password.",
                "ok",
            )
            return redirect(url_for("accounts.login"))
    status = 422 if form.errors else 200
    return _private(make_response(render_template("accounts/reset.html", form=form), status))


def _private(response: Any) -> Any:
    # The token is in this page's address: no Referer carries it on, no cache keeps it.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response

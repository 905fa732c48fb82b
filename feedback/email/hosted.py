"""The hosted survey page (`/s/<id>`, `/s/<id>/r/<token>`), the unsubscribe page, and the page
where a respondent answers a reply from a case (`/c/<token>`).

Plain HTML forms, POST then redirect: the page works without JavaScript. A GET never records
anything, so the link scanners of mail providers, which open every link, cannot answer; an
email's score link carries a small script from our origin that reports a person's click
(`score_clicks.py` decides when it counts).
"""

from __future__ import annotations

import re
from typing import Any

from flask import (
    Blueprint,
    Response,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf.csrf import CSRFError
from sqlalchemy import select

from feedback.cases import mail as case_mail
from feedback.email import survey_page
from feedback.email.survey_page import Page
from feedback.errors import FeedbackError, Invalid
from feedback.extensions import csrf, db
from feedback.surveys.models import Survey

bp = Blueprint("hosted", __name__)

# No script at all, styles from our own origin, forms only to ourselves. No referrer, since
# the page's address carries the invite's token.
POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
# A page with our one script (survey.js) may run it and post back to us; nothing else.
SCRIPTED_POLICY = POLICY + "; script-src 'self'; connect-src 'self'"
# What browsers send when they fetch a page ahead of a person (prefetch, prerender, preview).
_AHEAD = ("Purpose", "Sec-Purpose", "X-Purpose", "X-Moz")
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


@bp.after_request
def _headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", POLICY)
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def _render(page: Page, status: int = 200) -> Response:
    response = make_response(render_template("hosted/page.html", page=page, survey=page.survey))
    response.status_code = status
    if page.one_click or page.shows:
        response.headers["Content-Security-Policy"] = SCRIPTED_POLICY
    return response


def _fetched_ahead() -> bool:
    """Whether the browser fetches the page ahead of a person (a prefetch or a preview)."""
    said = " ".join(request.headers.get(name, "") for name in _AHEAD).lower()
    return "prefetch" in said or "preview" in said


@bp.get("/s/<public_id>")
def link(public_id: str) -> Any:
    return _render(survey_page.link_page(public_id, request.args))


@bp.post("/s/<public_id>")
def link_submit(public_id: str) -> Any:
    result, client_id = survey_page.link_submit(public_id, request.form)
    if isinstance(result, Page):
        return _render(result, 422)
    return redirect(url_for(".link", public_id=public_id, r=client_id, step=result), 303)


@bp.get("/s/<public_id>/r/<token>")
def invite(public_id: str, token: str) -> Any:
    page = survey_page.invite_page(public_id, token, request.args, prefetch=_fetched_ahead())
    return _render(page)


@bp.post("/s/<public_id>/r/<token>/click")
def invite_click(public_id: str, token: str) -> Any:
    """The page's script: a browser showed this score link's page (the form's CSRF token
    comes along, so only our page can say so)."""
    return jsonify(counted=survey_page.invite_clicked(public_id, token))


@bp.post("/s/<public_id>/r/<token>")
def invite_submit(public_id: str, token: str) -> Any:
    result = survey_page.invite_submit(public_id, token, request.form)
    if isinstance(result, Page):
        return _render(result, 422)
    return redirect(url_for(".invite", public_id=public_id, token=token, step=result), 303)


@bp.get("/s/<public_id>/brand.css")
def brand_css(public_id: str) -> Any:
    """The survey's accent colour as a stylesheet: no inline style, so a strict CSP holds."""
    branding = db.session.scalar(select(Survey.branding).where(Survey.public_id == public_id))
    accent = (branding or {}).get("accent", "")
    body = f":root {{ --accent: {accent}; }}\n" if _COLOR.fullmatch(accent) else ""
    response = Response(body, mimetype="text/css")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/unsubscribe/<token>")
def unsubscribe(token: str) -> Any:
    invite = survey_page.unsubscribe_page(token)
    return render_template("hosted/unsubscribe.html", invite=invite, done=False)


# Mail clients' one-click unsubscribe (RFC 8058) POSTs here without a form token; the signed
# token in the address is what proves the request came from the mail we sent.
@bp.post("/unsubscribe/<token>")
@csrf.exempt
def unsubscribe_submit(token: str) -> Any:
    invite = survey_page.unsubscribe_submit(token)
    return render_template("hosted/unsubscribe.html", invite=invite, done=True)


def _answer_page(token: str, status: int = 200, **values: Any) -> tuple[str, int]:
    workspace, case, reply = case_mail.reply_for_answer(token)
    page = render_template(
        "hosted/case_answer.html", workspace=workspace, survey=case.survey, reply=reply, **values
    )
    return page, status


@bp.get("/c/<token>")
def case_answer(token: str) -> Any:
    return _answer_page(token, sent=request.args.get("sent") == "1")


@bp.post("/c/<token>")
def case_answer_submit(token: str) -> Any:
    text = request.form.get("answer", "")
    try:
        case_mail.answer(token, text)
    except Invalid as exc:  # the use case stored nothing; the page asks again
        return _answer_page(token, 422, error=exc.message, value=text)
    return redirect(url_for(".case_answer", token=token, sent=1), 303)


def _branded_survey() -> Survey | None:
    public_id = (request.view_args or {}).get("public_id")
    if not public_id:
        return None
    return db.session.scalar(select(Survey).where(Survey.public_id == public_id))


@bp.errorhandler(FeedbackError)
def _refused(error: FeedbackError) -> Any:
    # The use cases of these pages roll their work back when they refuse.
    survey = _branded_survey()
    return render_template("hosted/message.html", error=error, survey=survey), error.status


@bp.errorhandler(CSRFError)
def _stale_form(_error: CSRFError) -> Any:
    survey = _branded_survey()
    error = FeedbackError("This form is out of date.", code="stale_form")
    return render_template("hosted/message.html", error=error, survey=survey), 400

"""The hosted survey page: which step a respondent is on, and what their form submits.

Step 0 asks for the score; step 1 asks the follow-ups that depend only on the score; step 2
those that depend on an answer given in step 1 (a chained follow-up), and so on; then thanks.
Every answer goes through `record_response`, so the page obeys the same rules as the widget.

An email's score link opens the page with that score chosen and the questions it calls for.
Opening it (GET) records nothing itself, so a link scanner's fetch answers nothing; the page's
script, once a browser runs it, reports the click (`invite_clicked`), and `score_clicks`
decides when a clicked score counts. Without JavaScript the person presses Send.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from feedback.database import in_workspace, use_case
from feedback.email import invites, score_clicks
from feedback.email.models import EmailInvite
from feedback.errors import Invalid, NotFound, ascii_whole
from feedback.extensions import db
from feedback.responses.models import Response
from feedback.responses.recording import record_response
from feedback.surveys.followups import followups_for
from feedback.surveys.kinds import scale_points
from feedback.surveys.models import Survey
from feedback.surveys.service import live_survey

LINK_PREFIX = "link."
MAX_STEP = 20  # deeper than any chain of follow-ups can go


@dataclass
class Page:
    """What the page template needs for one step."""

    survey: Survey
    stage: str  # "score", "followups" or "thanks"
    step: int = 0
    score: int | None = None
    followups: list[dict[str, Any]] = field(default_factory=list)
    client_id: str | None = None  # the link page's response id, kept in a hidden field
    errors: dict[str, str] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    answered: bool = False
    invite: EmailInvite | None = None
    # The score step of an email's page asks its first questions too: the scores each shows for.
    shows: dict[str, list[int]] = field(default_factory=dict)
    # Whether the page carries the script that reports a click on a mailed score.
    one_click: bool = False

    @property
    def points(self) -> list[dict[str, Any]]:
        return scale_points(self.survey.scale)

    @property
    def branding(self) -> dict[str, Any]:
        return self.survey.branding or {}


def _survey(public_id: str, channel: str) -> Survey:
    """The survey of a hosted URL, live on this channel (or a refusal the page explains)."""
    survey = db.session.scalar(select(Survey).where(Survey.public_id == public_id))
    if survey is None:
        raise NotFound("There is no survey at this address.")
    live_survey(survey.workspace, public_id, channel)
    return survey


def _layers(definition: dict[str, Any]) -> dict[str, int]:
    """How many answers deep each follow-up sits: 0 when it depends on the score alone."""
    depth: dict[str, int] = {}
    for followup in definition.get("followups", []):
        on_answer = (followup.get("when") or {}).get("answer")
        depth[followup["id"]] = depth.get(on_answer["followup"], 0) + 1 if on_answer else 0
    return depth


def followups_at(survey: Survey, score: int, answers: dict[str, Any], step: int) -> list[Any]:
    """The follow-ups shown on `step` (1 and up), given the answers stored so far."""
    layers = _layers(survey.definition)
    shown = followups_for(survey.definition, score, answers)
    return [f for f in shown if layers[f["id"]] == step - 1]


def _stored(survey: Survey, client_id: str) -> tuple[int, dict[str, Any]] | None:
    row = db.session.execute(
        in_workspace(Response, survey.workspace_id, Response.score, Response.answers).where(
            Response.client_id == client_id, Response.survey_id == survey.id
        )
    ).first()
    return (row.score, row.answers or {}) if row is not None else None


def _step(args: Any) -> int:
    raw = args.get("step") or "0"
    step = ascii_whole(raw) if isinstance(raw, str) else None
    if step is None:
        raise Invalid("This address names no step of the survey; open the link again.", "step")
    return min(step, MAX_STEP)


def _first_questions(page: Page, answers: dict[str, Any]) -> None:
    """Add to a score step the follow-ups that depend on the score alone, each with the
    scores it shows for (the page's script swaps them when another score is chosen)."""
    scores = [p["score"] for p in page.points]
    asked = {score: {f["id"] for f in followups_at(page.survey, score, {}, 1)} for score in scores}
    for followup in page.survey.definition.get("followups", []):
        shows = [score for score in scores if followup["id"] in asked[score]]
        if shows:
            page.followups.append(followup)
            page.shows[followup["id"]] = shows
            page.values[followup["id"]] = answers.get(followup["id"])


def _page(
    survey: Survey,
    client_id: str,
    step: int,
    preselect: int | None = None,
    first_questions: bool = False,
) -> Page:
    stored = _stored(survey, client_id)
    if step == 0 or stored is None:
        score = preselect if preselect is not None else (stored[0] if stored else None)
        page = Page(survey, "score", 0, score, client_id=client_id, answered=stored is not None)
        if first_questions and score is not None:
            _first_questions(page, stored[1] if stored else {})
        return page
    score, answers = stored
    followups = followups_at(survey, score, answers, step)
    if not followups:
        return Page(survey, "thanks", step, score, client_id=client_id, answered=True)
    values = {f["id"]: answers.get(f["id"]) for f in followups}
    return Page(survey, "followups", step, score, followups, client_id, values=values)


def _answers(followups: list[dict[str, Any]], form: MultiDict[str, str]) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for followup in followups:
        name = "a-" + followup["id"]
        if followup["type"] == "multiple":
            chosen = form.getlist(name)
            if chosen:
                answers[followup["id"]] = chosen
        elif form.get(name, "").strip():
            answers[followup["id"]] = form[name]
    return answers


def _chosen(survey: Survey, raw: Any) -> int | None:
    """The score a form field holds, when it is one of the scale's."""
    points = {str(p["score"]) for p in scale_points(survey.scale)}
    return int(raw) if isinstance(raw, str) and raw in points else None


def _ids(followups: list[dict[str, Any]]) -> set[str]:
    return {f["id"] for f in followups}


def _submit(
    survey: Survey,
    client_id: str,
    channel: str,
    form: MultiDict[str, str],
    extra: dict[str, Any],
    verified: bool = False,
    first_questions: bool = False,
) -> Page | int:
    """Record one step's form; the next step's number, or the page again with the errors.

    `verified` when `extra` names the respondent from a verified source (the invite). With
    `first_questions` the score step carries the follow-ups of its score too, and the
    next step is the one after them, unless the score was changed on a page that kept the
    questions of another one (no JavaScript): then the next step asks the right ones.
    """
    step = _step(form)
    payload: dict[str, Any] = {"survey": survey.public_id}
    following = step + 1
    if step == 0:
        score = _chosen(survey, form.get("score"))
        if score is None:
            page = Page(survey, "score", 0, client_id=client_id)
            page.errors["score"] = "Choose a score, then press Send."
            return page
        payload.update(score=score, **extra)
        if first_questions:
            asked = followups_at(survey, score, {}, 1)
            payload["answers"] = _answers(asked, form)
            seen = _chosen(survey, form.get("shown"))
            if seen is not None and _ids(followups_at(survey, seen, {}, 1)) == _ids(asked):
                following = 2
    else:
        stored = _stored(survey, client_id)
        if stored is None:
            return _page(survey, client_id, 0)
        followups = followups_at(survey, stored[0], stored[1], step)
        payload["answers"] = _answers(followups, form)
        if not payload["answers"]:
            return step + 1  # nothing written: the respondent skipped these questions
    try:
        record_response(survey.workspace, client_id, payload, channel, verified)
    except Invalid as exc:
        db.session.rollback()
        if step == 0 and payload.get("answers"):
            # The score counts even when an answer next to it is refused.
            score_only = {k: v for k, v in payload.items() if k != "answers"}
            record_response(survey.workspace, client_id, score_only, channel, verified)
        page = _page(survey, client_id, step, payload.get("score"), first_questions)
        page.values.update(_answers(page.followups, form))
        page.errors[(exc.field or "form").removeprefix("answers.")] = exc.message
        return page
    return following


# -- link surveys: /s/<id> --------------------------------------------------------------------


def _link_client_id(value: Any) -> str:
    if isinstance(value, str) and value.startswith(LINK_PREFIX) and 8 <= len(value) <= 64:
        return value
    # A fresh visit gets a fresh response id; the form carries it from step to step.
    return LINK_PREFIX + secrets.token_urlsafe(16)


def link_page(public_id: str, args: Any) -> Page:
    survey = _survey(public_id, "link")
    return _page(survey, _link_client_id(args.get("r")), _step(args))


@use_case
def link_submit(public_id: str, form: MultiDict[str, str]) -> tuple[Page | int, str]:
    """The next step (or the page with its errors) and the response id of this visit."""
    survey = _survey(public_id, "link")
    client_id = _link_client_id(form.get("r"))
    return _submit(survey, client_id, "link", form, {}), client_id


# -- email invites: /s/<id>/r/<token> -------------------------------------------------------


def _invite(public_id: str, token: str) -> tuple[Survey, EmailInvite, int | None]:
    invite_id, score = invites.read_score_token(token)
    survey = _survey(public_id, "email")
    return survey, invites.invite_for_link(survey, invite_id), score


def invite_page(public_id: str, token: str, args: Any, prefetch: bool = False) -> Page:
    """The page a mailed link opens: a score link's score chosen, with the questions it calls
    for, and (unless a browser only prefetches it) the script that reports the click."""
    survey, invite, score = _invite(public_id, token)
    page = _page(survey, invite.client_id, _step(args), preselect=score, first_questions=True)
    page.invite = invite
    page.one_click = (
        page.stage == "score"
        and score is not None
        and not prefetch
        and invite.answered_via != "form"  # a click never changes a sent form
    )
    return page


@use_case
def invite_clicked(public_id: str, token: str) -> bool:
    """A browser showed a score link's page: whether its score is to count."""
    survey, invite, score = _invite(public_id, token)
    if score is None or _chosen(survey, str(score)) is None:
        return False  # the plain "open the survey" link, or a score off today's scale
    return score_clicks.score_link_opened(invite, score)


@use_case
def invite_submit(public_id: str, token: str, form: MultiDict[str, str]) -> Page | int:
    survey, invite, _score = _invite(public_id, token)
    sends_score = _step(form) == 0 and _chosen(survey, form.get("score")) is not None
    if sends_score:
        score_clicks.form_sent(invite)
    # The invite's address came from the API or the helpdesk, and only its recipient holds the
    # signed link: the one public page whose respondent is a fact, not a claim.
    extra = invites.response_fields(invite)
    result = _submit(
        survey, invite.client_id, "email", form, extra, verified=True, first_questions=True
    )
    if sends_score:
        invites.mark_answered(invite)
    if isinstance(result, Page):
        result.invite = invite
    return result


def unsubscribe_page(token: str) -> EmailInvite:
    return invites.invite_for_unsubscribe(token)


@use_case
def unsubscribe_submit(token: str) -> EmailInvite:
    invite = invites.invite_for_unsubscribe(token)
    invites.unsubscribe(invite.workspace_id, invite.email)
    return invite

"""The scorecard, the dashboard's home page, and the printable weekly review of KPI owners."""

from __future__ import annotations

from flask import abort, g, render_template, request
from flask_login import current_user

from feedback.accounts import members
from feedback.errors import ascii_whole
from feedback.scorecard import kpis, review
from feedback.scorecard.card import scorecard
from feedback.web.auth import requires
from feedback.web.pages import page_blueprint

bp = page_blueprint("scorecard", __name__)


def _people() -> dict[int, members.Member]:
    return {m.user_id: m for m in members.list_members(g.workspace)}


@bp.get("/")
@requires("viewer")
def home() -> str:
    return render_template(
        "scorecard/scorecard.html",
        card=scorecard(g.workspace),
        user=current_user,
        people=_people(),
    )


def _chosen(value: str, people: dict[int, members.Member]) -> review.Owner | None:
    """Whose review `?owner=` asks for: the signed-in member's by default, a member's by id,
    or every owned KPI ("all", None here)."""
    if value == "all":
        return None
    if not value:
        return review.Owner(current_user.id, current_user.name, current_user.email)
    number = ascii_whole(value)
    if number is None:
        abort(400, description='"owner" is a member\'s id, or "all" for every owner.')
    person = people.get(number)
    if person is None:
        abort(404, description=f'"owner": there is no member {number} in this workspace.')
    return review.Owner(person.user_id, person.name, person.email)


@bp.get("/scorecard/review")
@requires("viewer")
def review_page() -> str:
    people = _people()
    value = request.args.get("owner", "").strip()
    result = review.review(g.workspace, _chosen(value, people))
    everyone = not value and not result.kpis
    if everyone:
        # A member who owns nothing yet (an admin looking round) reads every owner's review.
        value, result = "all", review.review(g.workspace, None)
    return render_template(
        "scorecard/review.html",
        everyone=everyone,
        result=result,
        entries=[review.entry(kpi) for kpi in result.kpis],
        money=review.at_stake(result.money),
        owners=review.owners(g.workspace),
        chosen=value if value == "all" or not result.owner else str(result.owner.user_id),
        people=people,
        figure=kpis.figure,
    )

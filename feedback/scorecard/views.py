"""The scorecard: the dashboard's home page."""

from __future__ import annotations

from flask import (
    g,
    render_template,
)
from flask_login import current_user

from feedback.scorecard.card import scorecard
from feedback.web.auth import requires
from feedback.web.pages import page_blueprint

bp = page_blueprint("scorecard", __name__)


@bp.get("/")
@requires("viewer")
def home() -> str:
    return render_template(
        "scorecard/scorecard.html", card=scorecard(g.workspace), user=current_user
    )

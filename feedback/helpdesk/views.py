"""CSAT per support agent and team."""

from __future__ import annotations

from typing import Any

from flask import (
    g,
    render_template,
    request,
)
from flask_login import current_user

from feedback.helpdesk.agents import agent_report
from feedback.periods import NAMED, resolve
from feedback.web.auth import requires
from feedback.web.pages import page_blueprint

bp = page_blueprint("helpdesk", __name__)


@bp.get("/agents")
@requires("viewer")
def agents() -> Any:
    period_name = request.args.get("period", "last_90_days")
    if period_name not in NAMED:
        period_name = "last_90_days"
    period = resolve(period_name, g.workspace.timezone)
    return render_template(
        "helpdesk/agents.html",
        report=agent_report(g.workspace, period),
        period=period,
        period_name=period_name,
        user=current_user,
    )

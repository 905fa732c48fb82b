"""The dashboard: server-rendered pages for product teams and support leads."""

from feedback.dashboard import (  # noqa: F401  (routes)
    account_views,
    case_rule_views,
    case_views,
    settings_views,
    survey_views,
    theme_views,
    times,
)
from feedback.dashboard.views import bp

__all__ = ["bp"]

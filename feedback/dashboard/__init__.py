"""The dashboard: server-rendered pages for product teams and support leads."""

from feedback.dashboard import settings_views, survey_views, theme_views  # noqa: F401  (routes)
from feedback.dashboard.views import bp

__all__ = ["bp"]

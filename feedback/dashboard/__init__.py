"""The dashboard: server-rendered pages for product teams and support leads."""

from feedback.dashboard.views import bp

__all__ = ["bp"]

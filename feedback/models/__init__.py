"""All models, imported here so Alembic and the app see the whole schema."""

from feedback.models.account import LoginSession, MemberInvite
from feedback.models.base import in_workspace, utcnow
from feedback.models.case import Case, CaseEvent, CaseNote, CaseRule
from feedback.models.digest import DigestLog
from feedback.models.invite import EmailInvite, Unsubscribe
from feedback.models.kpi import KpiTarget, KpiValue
from feedback.models.response import CONTEXT_COLUMNS, Display, Respondent, Response
from feedback.models.rollup import (
    DayCaseFigure,
    DayFigure,
    DayThemeFigure,
    RollupMark,
    RollupStale,
)
from feedback.models.survey import Survey
from feedback.models.theme import AnalysisRun, NlpModel, ResponseTheme, Theme
from feedback.models.ticket import Ticket
from feedback.models.webhook import WEBHOOK_EVENTS, WEBHOOK_FORMATS, Webhook, WebhookDelivery
from feedback.models.workspace import ApiKey, Membership, User, Workspace

__all__ = [
    "Case",
    "CaseEvent",
    "CaseNote",
    "CaseRule",
    "CONTEXT_COLUMNS",
    "WEBHOOK_EVENTS",
    "WEBHOOK_FORMATS",
    "DayCaseFigure",
    "DayFigure",
    "DayThemeFigure",
    "DigestLog",
    "RollupMark",
    "RollupStale",
    "Ticket",
    "Webhook",
    "WebhookDelivery",
    "AnalysisRun",
    "ApiKey",
    "KpiTarget",
    "KpiValue",
    "NlpModel",
    "ResponseTheme",
    "Theme",
    "Unsubscribe",
    "Display",
    "EmailInvite",
    "LoginSession",
    "MemberInvite",
    "Membership",
    "Respondent",
    "Response",
    "Survey",
    "User",
    "Workspace",
    "in_workspace",
    "utcnow",
]

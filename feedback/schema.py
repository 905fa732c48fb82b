"""The whole schema: every domain's models, imported so Alembic and the app know every table."""

from feedback.accounts import models as accounts
from feedback.accounts.sso import models as sso
from feedback.accounts.two_factor import models as two_factor
from feedback.audit import models as audit
from feedback.cases import models as cases
from feedback.email import models as email
from feedback.helpdesk import models as helpdesk
from feedback.imports import models as imports
from feedback.metrics import models as metrics
from feedback.responses import models as responses
from feedback.scorecard import models as scorecard
from feedback.surveys import models as surveys
from feedback.themes import models as themes
from feedback.webhooks import models as webhooks

__all__ = [
    "accounts",
    "audit",
    "cases",
    "email",
    "helpdesk",
    "imports",
    "metrics",
    "responses",
    "scorecard",
    "sso",
    "surveys",
    "themes",
    "two_factor",
    "webhooks",
]

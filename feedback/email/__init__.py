"""Composing survey mail from templates/email/ and handing it to an SMTP server."""

from feedback.email.compose import compose_invite, invite_links, preview_invite
from feedback.email.smtp import Mailer, MailError

__all__ = ["MailError", "Mailer", "compose_invite", "invite_links", "preview_invite"]

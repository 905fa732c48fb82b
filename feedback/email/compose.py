"""An invite (or its reminder) as a MIME message: plain text and HTML with one link per score."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, parseaddr
from typing import Any

from flask import current_app, render_template

from feedback.accounts.models import Workspace
from feedback.email.invites import score_token, unsubscribe_token
from feedback.email.models import EmailInvite
from feedback.mail import base_url, header_text, stable_message_id
from feedback.surveys.kinds import scale_points
from feedback.surveys.models import Survey

DEFAULT_ACCENT = "#4f46e5"


def invite_links(invite: EmailInvite, survey: Survey) -> dict[str, Any]:
    """The survey link, one link per score, and the unsubscribe link of an invite."""
    base = f"{base_url()}/s/{survey.public_id}/r/"
    scores = [
        {**point, "url": base + score_token(invite.id, point["score"])}
        for point in scale_points(survey.scale)
    ]
    return {
        "open": base + score_token(invite.id, None),
        "scores": scores,
        "unsubscribe": f"{base_url()}/unsubscribe/{unsubscribe_token(invite)}",
    }


def invite_message_id(invite: EmailInvite, reminder: bool, domain: str) -> str:
    """One invite's mail (or its reminder) always carries the same Message-ID."""
    return stable_message_id(f"{invite.id}.{'reminder' if reminder else 'invite'}", domain)


def compose_invite(
    invite: EmailInvite, survey: Survey, workspace: Workspace, reminder: bool = False
) -> EmailMessage:
    """The message for one invite; a reminder says so in its subject and first line."""
    branding = survey.branding or {}
    product = branding.get("product_name") or workspace.name
    links = invite_links(invite, survey)
    values = {
        "invite": invite,
        "survey": survey,
        "product": product,
        "accent": branding.get("accent") or DEFAULT_ACCENT,
        "links": links,
        "labels": survey.scale.get("labels") or {},
        "reminder": reminder,
        "days": int(current_app.config["FEEDBACK_INVITE_DAYS"]),
    }
    message = EmailMessage()
    subject = f"{'Reminder: ' if reminder else ''}A quick question from {product}"
    message["Subject"] = header_text(subject)
    sender_name, sender_address = parseaddr(str(current_app.config["FEEDBACK_MAIL_FROM"]))
    message["From"] = formataddr((header_text(sender_name or product), sender_address))
    message["To"] = formataddr((header_text(invite.name or ""), invite.email))
    message["Message-ID"] = invite_message_id(invite, reminder, sender_address.rpartition("@")[2])
    # RFC 2369 and RFC 8058: mail clients offer their own unsubscribe button, which POSTs.
    message["List-Unsubscribe"] = f"<{links['unsubscribe']}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(render_template("email/invite.txt", **values))
    message.add_alternative(render_template("email/invite.html", **values), subtype="html")
    return message


@dataclass(frozen=True)
class InvitePreview:
    """The parts of an invite mail a person sees, for the survey builder."""

    subject: str
    sender: str
    to: str
    html: str
    text: str


def preview_invite(survey: Survey, workspace: Workspace) -> InvitePreview:
    """The invite mail of `survey` as a made-up person gets it: the real message, never sent."""
    # Id 0 names no invite: the preview's links are signed like real ones and answer nothing.
    # Only columns are set, no relationship, so the sample never joins the session.
    sample = EmailInvite(
        id=0, workspace_id=workspace.id, survey_id=survey.id, email="ann@example.com", name="Ann"
    )
    message = compose_invite(sample, survey, workspace)
    html, text = message.get_body(("html",)), message.get_body(("plain",))
    return InvitePreview(
        subject=str(message["Subject"]),
        sender=str(message["From"]),
        to=str(message["To"]),
        html=html.get_content() if html else "",
        text=text.get_content() if text else "",
    )

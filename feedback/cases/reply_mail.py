"""A reply from a case as a MIME message: the reply, the respondent's words quoted, a link back."""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.utils import formataddr, parseaddr

from flask import current_app, render_template

from feedback.accounts.models import Workspace
from feedback.cases.models import Case, CaseNote
from feedback.mail import base_url, header_text, stable_message_id
from feedback.responses.models import Response

# What an address may look like in a header: anything else (a line break, a second address)
# is refused before the message is built.
_ADDRESS = re.compile(r"^[^@\s<>,;:\"()\[\]\\]+@[^@\s<>,;:\"()\[\]\\]+\.[^@\s<>,;:\"()\[\]\\]+$")


class BadAddress(ValueError):
    """The reply's address cannot be written in a mail header."""


def sendable(address: str) -> bool:
    """Whether an address can go in a To header as it is."""
    return len(address) <= 320 and _ADDRESS.fullmatch(address) is not None


def answer_url(token: str) -> str:
    return f"{base_url()}/c/{token}"


def compose_case_reply(
    note: CaseNote, case: Case, workspace: Workspace, response: Response | None, link: str
) -> EmailMessage:
    """The reply `note` to the respondent of `case`, their comment quoted, `link` to answer."""
    address = note.mail_to or ""
    if not sendable(address):
        raise BadAddress(f"{address!r} is not an address we can send to.")
    product = workspace.name
    values = {
        "product": product,
        "body": note.body.replace("\r\n", "\n"),
        "response": response,
        "link": link,
        "days": int(current_app.config["FEEDBACK_INVITE_DAYS"]),
    }
    message = EmailMessage()
    message["Subject"] = header_text(f"Re: your feedback to {product}")
    _name, sender = parseaddr(str(current_app.config["FEEDBACK_MAIL_FROM"]))
    message["From"] = formataddr((header_text(product), sender))
    message["To"] = address
    reply_to = str(current_app.config["FEEDBACK_CASE_REPLY_TO"] or "")
    if reply_to:
        message["Reply-To"] = header_text(reply_to)
    message["Message-ID"] = stable_message_id(f"{note.id}.reply", sender.rpartition("@")[2])
    # Lets a reply mailbox, or a helpdesk reading it, file the answer under its case.
    message["X-Feedback-Case"] = str(case.id)
    message.set_content(render_template("email/case_reply.txt", **values))
    message.add_alternative(render_template("email/case_reply.html", **values), subtype="html")
    return message

"""Mail as every part sends it: the SMTP connection (FEEDBACK_SMTP_*), addresses it can go
to, what each message carries (links to this server, safe headers, a stable Message-ID) and
when a failed one is tried again."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import re
import smtplib
import ssl
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formataddr, make_msgid, parseaddr
from types import TracebackType
from typing import Any

from flask import current_app, render_template

from feedback.errors import Invalid


class MailError(Exception):
    """The server refused the message, or could not be reached."""


class Mailer:
    """One SMTP connection for a batch of messages, opened on first use."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.host = str(config["FEEDBACK_SMTP_HOST"])
        self.port = int(config["FEEDBACK_SMTP_PORT"])
        self.user = str(config["FEEDBACK_SMTP_USER"])
        self.password = str(config["FEEDBACK_SMTP_PASSWORD"])
        self.starttls = bool(config["FEEDBACK_SMTP_STARTTLS"])
        self.timeout = float(config["FEEDBACK_SMTP_TIMEOUT"])
        self.connection: smtplib.SMTP | None = None

    @property
    def configured(self) -> bool:
        return bool(self.host)

    def _connect(self) -> smtplib.SMTP:
        connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        connection.ehlo()
        # A server that offers no STARTTLS (a local relay, a test server) is used as it is;
        # one that offers it is always asked, so credentials never cross the wire in clear.
        if self.starttls and connection.has_extn("starttls"):
            connection.starttls(context=ssl.create_default_context())
            connection.ehlo()
        if self.user:
            connection.login(self.user, self.password)
        return connection

    def send(self, message: EmailMessage) -> None:
        """Hand one message to the server; MailError says why it was not taken."""
        try:
            if self.connection is None:
                self.connection = self._connect()
            self.connection.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            self.close()  # the next message starts on a fresh connection
            raise MailError(f"{type(exc).__name__}: {exc}") from exc

    def close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self.connection.quit()
            self.connection = None

    def __enter__(self) -> Mailer:
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        self.close()


def base_url() -> str:
    return str(current_app.config["FEEDBACK_BASE_URL"]).rstrip("/")


def header_text(value: str) -> str:
    # Header values come from what admins typed; a line break would end the header.
    return " ".join(value.split())


def notice(
    subject: str, to: tuple[str, str], template: str, values: dict[str, Any]
) -> EmailMessage:
    """An automatic mail to `to` (name, address), from the configured sender, its text and
    HTML parts rendered from email/<template>.txt and .html with `values`."""
    message = EmailMessage()
    message["Subject"] = header_text(subject)
    sender_name, sender_address = parseaddr(str(current_app.config["FEEDBACK_MAIL_FROM"]))
    message["From"] = formataddr((header_text(sender_name or "Feedback"), sender_address))
    message["To"] = formataddr((header_text(to[0]), to[1]))
    message["Message-ID"] = make_msgid(domain=sender_address.rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(render_template(f"email/{template}.txt", **values))
    message.add_alternative(render_template(f"email/{template}.html", **values), subtype="html")
    return message


def stable_message_id(part: str, domain: str) -> str:
    """The same Message-ID each time the mail named `part` is sent.

    A worker killed after the mail server took a message, before the database recorded it,
    sends it again; with the same id, mail stores that drop repeated ids show it once.
    """
    secret = str(current_app.config["SECRET_KEY"]).encode()
    mark = hmac.new(secret, part.encode(), hashlib.sha256).hexdigest()[:16]
    return f"<{part}.{mark}@{domain or 'localhost'}>"


MAX_ATTEMPTS = 5


def retry_delay(attempts: int) -> timedelta:
    """2, 4, 8, 16 minutes... after the 1st, 2nd, 3rd, 4th failure."""
    return timedelta(minutes=2**attempts)


_EMAIL = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")


def clean_email(value: Any, field_name: str) -> str:
    """An address mail can go to, lower-cased; Invalid names `field_name` otherwise."""
    if not isinstance(value, str) or len(value) > 320 or not _EMAIL.fullmatch(value.strip()):
        raise Invalid("Must be an email address.", field_name)
    return value.strip().lower()

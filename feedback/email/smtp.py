"""Sending mail over SMTP with the settings of config.py (FEEDBACK_SMTP_*)."""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from email.message import EmailMessage
from types import TracebackType
from typing import Any


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

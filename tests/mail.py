"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, and mail helpers."""

from __future__ import annotations

import asyncio
import re
import socket
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """The handler: every accepted message, parsed; addresses in `refuse` get a 451."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse: set[str] = set()
        self.delay = 0.0  # seconds before accepting each message: a slow server
        self.lock = threading.Lock()

    async def handle_RCPT(  # noqa: N802  (aiosmtpd's hook name)
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address.lower() in self.refuse:
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.delay:
            await asyncio.sleep(self.delay)
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append(message)  # type: ignore[arg-type]
        return "250 Message accepted"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if address in str(m["To"])]


class SmtpServer:
    def __init__(self) -> None:
        self.inbox = Inbox()
        self.port = free_port()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()

    def config(self) -> dict[str, Any]:
        return {
            "FEEDBACK_SMTP_HOST": "127.0.0.1",
            "FEEDBACK_SMTP_PORT": self.port,
            "FEEDBACK_SMTP_STARTTLS": True,  # not offered by this server: plain SMTP is used
            "FEEDBACK_MAIL_FROM": "Acme Surveys <surveys@acme.test>",
        }


def parts(message: EmailMessage) -> tuple[str, str]:
    """The plain-text and HTML bodies of a message."""
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None, "both parts are expected"
    return text.get_content(), html.get_content()


_URL = re.compile(r"https?://[^\s\"<>]+")


def score_links(text: str) -> list[str]:
    """The score links of a plain-text part, in order (those of /r/ pages)."""
    return [u for u in _URL.findall(text) if "/r/" in u]


def unsubscribe_link(text: str) -> str:
    return next(u for u in _URL.findall(text) if "/unsubscribe/" in u)


def path_of(url: str) -> str:
    parts_ = urlsplit(url)
    return parts_.path + (f"?{parts_.query}" if parts_.query else "")

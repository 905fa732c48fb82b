"""A real HTTP(S) receiver on loopback that keeps what it is sent, and a Standard Webhooks check."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import ssl
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import TCPServer
from typing import Any


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class _Server(ThreadingHTTPServer):
    def server_bind(self) -> None:
        # http.server looks its own address up by reverse DNS: no lookup leaves a test.
        TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]


class Receiver:
    """Answers each POST with the next status of `statuses` (200 once they run out), with
    `headers` and `body` when set (text/plain "ok" or "try again later" otherwise).

    Listens on `host` (any loopback address); `tls` makes it an https server, and `sni` then
    holds the server name each client asked for.
    """

    def __init__(
        self,
        statuses: list[int] | None = None,
        host: str = "127.0.0.1",
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.statuses = list(statuses or [])
        self.headers: dict[str, str] = {"Content-Type": "text/plain"}
        self.body: bytes | None = None
        self.received: list[Received] = []
        self.sni: list[str | None] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802  (http.server's hook name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.received.append(
                        Received({k.lower(): v for k, v in self.headers.items()}, body)
                    )
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    answer = receiver.body
                if answer is None:
                    answer = b"ok" if status < 300 else b"try again later"
                self.send_response(status)
                for name, value in receiver.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.scheme = "http"
        self.server = _Server((host, 0), Handler)
        if tls is not None:
            self.scheme = "https"
            tls.sni_callback = lambda _sock, name, _ctx: self.sni.append(name)
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.server.server_address[0]}:{self.port}/hook"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def signature_ok(secret: str, received: Received) -> bool:
    """Check a delivery as a receiver would, following the Standard Webhooks spec."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    headers = received.headers
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + received.body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    offered = [s.partition(",")[2] for s in headers["webhook-signature"].split()]
    return any(hmac.compare_digest(expected, s) for s in offered)

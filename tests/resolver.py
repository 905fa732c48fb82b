"""A stand-in for the system resolver, so that no test asks a real DNS server anything."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

_real_getaddrinfo = socket.getaddrinfo


class Resolver:
    """Answers `socket.getaddrinfo` from a table: a name answers with its next list of
    addresses (the last one repeats), an address stands for itself, any other name is unknown.
    `asked` is every name looked up, in order."""

    def __init__(self) -> None:
        self.answers: dict[str, list[list[str]]] = {}
        self.asked: list[str] = []

    def add(self, name: str, *answers: list[str]) -> None:
        """`name` answers `answers[0]` the first time, `answers[1]` the next, and so on."""
        self.answers[name] = [list(a) for a in answers]

    def getaddrinfo(
        self,
        host: Any,
        port: Any,
        family: int = 0,
        type: int = 0,  # noqa: A002  (socket.getaddrinfo's own name)
        proto: int = 0,
        flags: int = 0,
    ) -> list[Any]:
        name = host.decode() if isinstance(host, bytes) else host
        try:
            ipaddress.ip_address(str(name).partition("%")[0])
        except ValueError:
            pass
        else:
            return _real_getaddrinfo(host, port, family, type, proto, flags)
        self.asked.append(name)
        queue = self.answers.get(name)
        if not queue:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        addresses = queue.pop(0) if len(queue) > 1 else queue[0]
        infos, number = [], int(port or 0)
        for text in addresses:
            if ipaddress.ip_address(text).version == 4:
                infos.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (text, number)))
            else:
                infos.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (text, number, 0, 0)))
        return [i for i in infos if family in (0, i[0])]

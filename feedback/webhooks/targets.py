"""Where a webhook may post: http or https to public unicast addresses only.

A URL is checked when the webhook is created and again before every delivery. Its host is
read the way a resolver would read it (`0x7f.1`, `2130706433` and `127.1` are 127.0.0.1),
and a name is looked up once: if any of its addresses is not public the URL is refused, and
otherwise the delivery connects to those very addresses, so a name that answers differently
the second time (DNS rebinding) gets no second chance.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, unquote, urlsplit

from flask import current_app

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

DEFAULT_PORTS = {"http": 80, "https": 443}
# Shared address space (carrier-grade NAT): the provider's network, not the internet.
SHARED = ipaddress.ip_network("100.64.0.0/10")
# NAT64 reaches the IPv4 address in the last 32 bits, so that address is the one to judge.
NAT64 = ipaddress.ip_network("64:ff9b::/96")
LABEL = re.compile(r"[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?")
PUBLIC_ONLY = "webhooks post only to public internet addresses"


class TargetRefused(Exception):
    """This URL may not be posted to; the message says why, for the webhook's owner."""


@dataclass(frozen=True)
class Target:
    """A checked receiver: the addresses to connect to, and its name for Host and TLS."""

    scheme: str
    name: str
    port: int
    path: str
    addresses: tuple[Address, ...]
    userinfo: str | None = None

    @property
    def host_header(self) -> str:
        host = f"[{self.name}]" if ":" in self.name else self.name
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"


def is_public(address: Address) -> bool:
    """A public unicast address: one on the internet, not ours, our network's or nobody's."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = address.ipv4_mapped
        if inner is None and address in NAT64:
            inner = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if inner is not None:
            return is_public(inner)
        # 6to4 is relayed to the IPv4 address it carries.
        if address.sixtofour is not None and not is_public(address.sixtofour):
            return False
        if address.is_site_local:
            return False
    # Python 3.11 calls multicast and some reserved ranges global: they are refused here.
    return (
        address.is_global
        and address not in SHARED
        and not any(
            (
                address.is_private,
                address.is_loopback,
                address.is_link_local,
                address.is_unspecified,
                address.is_multicast,
                address.is_reserved,
            )
        )
    )


def _kind(address: Address) -> str:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return _kind(address.ipv4_mapped)
    kinds = (
        ("is_loopback", "a loopback"),
        ("is_unspecified", "an unspecified"),
        ("is_link_local", "a link-local"),
        ("is_multicast", "a multicast"),
        ("is_reserved", "a reserved"),
        ("is_private", "a private"),
    )
    for attribute, kind in kinds:
        if getattr(address, attribute):
            return kind
    return "a shared (carrier-grade NAT)" if address in SHARED else "a non-public"


def _name(host: str) -> str:
    """The host in ASCII as it goes on the wire, or refused when it cannot be a host name."""
    try:
        name = host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise TargetRefused(f"{host!r} is not a valid host name.") from exc
    labels = name.removesuffix(".").split(".")
    if len(name) > 253 or not all(LABEL.fullmatch(label) for label in labels):
        raise TargetRefused(f"{host!r} is not a valid host name.")
    return name


def literal_address(host: str) -> Address | None:
    """The address a host (without brackets) stands for when it is written as one, in any form
    a resolver takes: `::1`, `127.0.0.1.`, and the old `127.1`, `0x7f.1`, `0177.0.0.1`,
    `2130706433`."""
    bare = host.removesuffix(".")
    try:
        return ipaddress.ip_address(bare)
    except ValueError:
        pass
    if ":" in bare:
        return None
    try:
        # inet_aton is what resolvers use for a name made of numbers, legacy forms included.
        return ipaddress.IPv4Address(socket.inet_aton(bare))
    except OSError:
        return None


def resolve(name: str, port: int) -> tuple[Address, ...]:
    """Every address `name` has, from the one lookup a check makes (a test stands in for it)."""
    try:
        infos = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise TargetRefused(f"Cannot find the address of {name}: check the name.") from exc
    found: list[Address] = []
    for family, _, _, _, sockaddr in infos:
        if family in (socket.AF_INET, socket.AF_INET6):
            address = ipaddress.ip_address(str(sockaddr[0]))
            if address not in found:
                found.append(address)
    if not found:
        raise TargetRefused(f"Cannot find the address of {name}: check the name.")
    return tuple(found)


def _port(parts: SplitResult) -> int:
    try:
        port = parts.port if parts.port is not None else DEFAULT_PORTS[parts.scheme]
    except ValueError:  # not a number, or out of range
        port = 0
    if not 0 < port < 65536:
        raise TargetRefused("Must have a port from 1 to 65535.")
    return port


def _host(host: str) -> tuple[str, Address | None]:
    """The host as sent in Host and TLS, and the address it is when written as one."""
    literal = literal_address(host if ":" in host else _name(host))
    if literal is not None:
        # An address is sent in its usual form, as a browser sends it.
        return str(literal).partition("%")[0], literal
    if ":" in host:
        raise TargetRefused(f"{host!r} is not a valid IPv6 address.")
    return _name(host), None


def check_url(url: str) -> Target:
    """The receiver `url` names, with the addresses to post to; `TargetRefused` when it is not
    http(s) to public addresses (any address with FEEDBACK_WEBHOOKS_ALLOW_PRIVATE)."""
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # an unclosed "[" of an IPv6 address
        raise TargetRefused(f"Must be an http or https URL: {exc}.") from exc
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise TargetRefused("Must be an http or https URL.")
    port = _port(parts)
    name, literal = _host(parts.hostname)
    allow_private = current_app.config["FEEDBACK_WEBHOOKS_ALLOW_PRIVATE"]
    if literal is not None:
        addresses: tuple[Address, ...] = (literal,)
    elif not allow_private and name.removesuffix(".").split(".")[-1] == "localhost":
        raise TargetRefused(f"{name} is this server itself: {PUBLIC_ONLY}.")
    else:
        addresses = resolve(name, port)
    if not allow_private:
        # One address inside is enough to refuse: the name may hand out any of them.
        for address in addresses:
            if not is_public(address):
                host = parts.hostname
                shown = host if host == str(address) else f"{host} ({address})"
                raise TargetRefused(f"{shown} is {_kind(address)} address: {PUBLIC_ONLY}.")
    userinfo = None
    if parts.username is not None:
        userinfo = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, name, port, path, addresses, userinfo)

"""Which network addresses the platform may send to on a customer's behalf: one rule for webhook
URLs and SIP trunks.

A customer chooses a webhook URL or a trunk host, and we then send HTTP or SIP to it from
inside the operator's network; an address on the loopback, a private range or a cloud
metadata service would turn the platform into a proxy into that network (SSRF, OWASP A10).
Unless the operator allows private addresses, a host must be, and resolve only to, public
unicast addresses. IPv4 written inside IPv6 (mapped, 6to4, Teredo, NAT64) is judged by the
IPv4 address it carries.

Refusals name the host the customer wrote, never what it resolved to: the DNS answers of the
operator's network are not the customer's to read.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable

__all__ = [
    "METADATA_ADDRESSES",
    "BlockedHost",
    "IPAddress",
    "blocked_reason",
    "check_host",
    "literal_address",
    "refuse_if_blocked",
    "resolve",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Cloud metadata services. Both are inside ranges refused anyway (link-local, unique local);
# named so the error says what was hit.
METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)


class BlockedHost(ValueError):
    """The host is (or resolves to) an address we must not send to; the message says so."""


def blocked_reason(address: IPAddress) -> str | None:
    """Why `address` is refused, or None when it is a public unicast address."""
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if isinstance(address, ipaddress.IPv6Address):
        # An IPv6 form of an IPv4 address is judged by the IPv4 address it carries.
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo[1] if address.teredo else None)
        if embedded is None and address in ipaddress.ip_network("64:ff9b::/96"):  # NAT64
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return blocked_reason(embedded)
    checks = (
        ("is_unspecified", "an unspecified address"),
        ("is_loopback", "a loopback address"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
        ("is_private", "a private address"),
        ("is_reserved", "a reserved address"),
    )
    for attribute, reason in checks:
        if getattr(address, attribute):
            return reason
    if not address.is_global:  # shared (100.64/10), documentation, benchmarking ranges…
        return "not a public address"
    return None


def literal_address(host: str) -> IPAddress | None:
    """`host` as an IP address when it is one (brackets of an IPv6 literal removed)."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def refuse_if_blocked(host: str, addresses: Iterable[IPAddress], *, what: str) -> None:
    """BlockedHost when any of `addresses` (what `host` is or resolves to) is refused.

    A literal address is told why (the customer wrote it); a name only that it is refused."""
    literal = literal_address(host)
    for address in addresses:
        reason = blocked_reason(address)
        if reason is None:
            continue
        if literal == address:
            raise BlockedHost(f"{what} refused: {host} is {reason}")
        raise BlockedHost(f"{what} refused: {host} resolves to an address that is not allowed")


def resolve(host: str, port: int, *, kind: socket.SocketKind = socket.SOCK_STREAM) -> list[IPAddress]:
    """Every address `host` resolves to (OSError when it does not resolve)."""
    infos = socket.getaddrinfo(host, port, type=kind)
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


def check_host(
    host: str, port: int, *, allow_private: bool, what: str, kind: socket.SocketKind = socket.SOCK_STREAM
) -> None:
    """BlockedHost unless `host` may be sent to. A name that does not resolve (yet) passes: it
    reaches nothing, and whoever sends checks again (webhooks at every delivery)."""
    if allow_private:
        return
    literal = literal_address(host)
    if literal is not None:
        refuse_if_blocked(host, [literal], what=what)
        return
    try:
        addresses = resolve(host, port, kind=kind)
    except (OSError, UnicodeError):
        return
    refuse_if_blocked(host, addresses, what=what)

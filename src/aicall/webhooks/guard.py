"""Where webhooks may go: http(s) URLs whose host resolves only to public addresses.

A customer chooses the URL and we POST to it from inside the operator's network, so a URL
naming the loopback, a private range or a cloud metadata service would turn the platform into
a proxy (SSRF). Checked when the URL is configured and again at every delivery, because DNS
answers change; the dispatcher's own HTTP client also connects only to the addresses it
checked, closing the gap between the check and the connect (DNS rebinding). The address rule
itself is `aicall.addresses`, shared with SIP trunks.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import typing
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

import httpcore

from aicall import addresses as addresses_rule
from aicall.addresses import IPAddress, blocked_reason

__all__ = [
    "BlockedAddress",
    "GuardedNetworkBackend",
    "InvalidWebhookUrl",
    "UnresolvableHost",
    "blocked_reason",
    "check_webhook_url",
    "resolve_public",
]

MAX_URL_LENGTH = 2048
_WHAT = "webhook URL"
ALLOW_PRIVATE_HINT = "AICALL_WEBHOOK_ALLOW_PRIVATE=true on the server allows local and private addresses"


class InvalidWebhookUrl(ValueError):
    """The URL cannot be a webhook URL; the message says why, for the customer."""


class BlockedAddress(InvalidWebhookUrl):
    """The URL's host is (or resolves to) an address webhooks must not reach."""


class UnresolvableHost(InvalidWebhookUrl):
    """At delivery time, the URL's host does not resolve."""


def _refuse_if_blocked(host: str, addresses: Iterable[IPAddress]) -> None:
    try:
        addresses_rule.refuse_if_blocked(host, addresses, what=_WHAT)
    except addresses_rule.BlockedHost as exc:
        raise BlockedAddress(str(exc)) from None


def _parse(url: str) -> tuple[str, str, int]:
    """Normalise `url`; return it with its host (IDNA, lower-case) and port."""
    if not isinstance(url, str) or not url.strip():
        raise InvalidWebhookUrl("webhook URL is empty")
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise InvalidWebhookUrl(f"webhook URL is longer than {MAX_URL_LENGTH} characters")
    if any(ch.isspace() or ord(ch) < 0x20 for ch in url):
        raise InvalidWebhookUrl("webhook URL contains spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidWebhookUrl(f"webhook URL is not a valid URL: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        shown = f"'{scheme}'" if scheme else "none"
        raise InvalidWebhookUrl(f"webhook URL must use http or https (scheme was {shown})")
    host = parts.hostname
    if not host:
        raise InvalidWebhookUrl("webhook URL has no host")
    if addresses_rule.literal_address(host) is None:
        try:
            host = host.encode("idna").decode("ascii").lower()
        except UnicodeError as exc:
            raise InvalidWebhookUrl(f"webhook URL host {host!r} is not a valid domain name") from exc
        labels = host.rstrip(".").split(".")
        if not all(labels) or any(len(label) > 63 for label in labels) or len(host) > 253:
            raise InvalidWebhookUrl(f"webhook URL host {host!r} is not a valid domain name")
    port = port or (443 if scheme == "https" else 80)
    netloc_host = f"[{host}]" if ":" in host else host
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = (userinfo + "@" if userinfo else "") + netloc_host + (f":{parts.port}" if parts.port else "")
    # The fragment never leaves the client; drop it rather than store something unused.
    normalised = urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))
    return normalised, host, port


def check_webhook_url(url: str, *, allow_private: bool) -> str:
    """The normalised URL, or InvalidWebhookUrl saying why it cannot receive webhooks.

    Only http and https. Unless `allow_private`, the host must not be, or resolve to, a
    loopback, private, link-local, multicast, unspecified, reserved or metadata address. A name
    that does not resolve (yet) is accepted: it reaches nothing, and every delivery checks again.
    """
    normalised, host, port = _parse(url)
    try:
        addresses_rule.check_host(host, port, allow_private=allow_private, what=_WHAT)
    except addresses_rule.BlockedHost as exc:
        # Said where it is refused (API, CLI, dashboard), so whoever runs the server locally
        # learns the setting at the moment they need it.
        raise BlockedAddress(f"{exc} ({ALLOW_PRIVATE_HINT})") from None
    return normalised


async def resolve_public(url: str) -> list[IPAddress]:
    """Delivery-time check: the URL's host must resolve, and only to public addresses."""
    _, host, port = _parse(url)
    return await _public_addresses(host, port)


async def _public_addresses(host: str, port: int) -> list[IPAddress]:
    literal = addresses_rule.literal_address(host)
    if literal is not None:
        _refuse_if_blocked(host, [literal])
        return [literal]
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise UnresolvableHost(f"cannot resolve {host}: {exc}") from exc
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    _refuse_if_blocked(host, addresses)
    return addresses


class GuardedNetworkBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, resolving each host itself and connecting only to public
    addresses: what was checked is what is connected to, whatever DNS answers next."""

    def __init__(self) -> None:
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await _public_addresses(host, port)
        except InvalidWebhookUrl as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        last: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    str(address),
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        raise last or httpcore.ConnectError(f"no address for {host}")

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("webhooks are not delivered to unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)

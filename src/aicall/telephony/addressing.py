"""What may be written into a SIP header: hosts, user names, transfer targets (RFC 3261 §25.1).

A trunk's host, domain and user name, and an action's transfer target, end up in the
Request-URI, From, To, Authorization and Refer-To of the messages we send. A CR or LF there
ends the header and starts one the customer wrote (header injection, RFC 3261 §7.3.1); a `>`
or `"` closes the URI or quoted string around it. So each is held, when it is stored, to the
grammar of the place it goes, and the SIP layer can write it as it is.

Each check returns why a value is refused, or None.
"""

from __future__ import annotations

import ipaddress
import re

__all__ = ["MAX_HOST_LENGTH", "host_problem", "password_problem", "transfer_target_problem", "user_problem"]

MAX_HOST_LENGTH = 253  # a domain name's longest text form (RFC 1035 §2.3.4)
# hostname = *( domainlabel "." ) toplabel [ "." ] (RFC 3261 §25.1); labels of letters,
# digits and inner hyphens, 63 characters at most (RFC 1035 §2.3.4).
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?", re.ASCII)
# user = 1*( unreserved / escaped / user-unreserved ) (RFC 3261 §25.1)
_USER = re.compile(r"(?:[A-Za-z0-9\-_.!~*'()&=+$,;?/]|%[0-9A-Fa-f]{2})+", re.ASCII)
# A transfer target: a number (it becomes the user part of a sip: URI, so digits only), or a
# sip:, sips: or tel: URI of characters a URI holds unescaped (RFC 3986 §2), `<>"` excluded.
_PHONE = re.compile(r"\+?[0-9]{1,32}", re.ASCII)
_URI = re.compile(r"(?:sips?|tel):[A-Za-z0-9\-_.!~*'()&=+$,;?/:@%\[\]#]+", re.ASCII | re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def host_problem(host: str) -> str | None:
    """A host name or an IP address (IPv6 in brackets or not), nothing else: no port, no
    user, no spaces or control characters."""
    if not host:
        return "is empty"
    if _CONTROL.search(host) or " " in host:
        return "holds spaces or control characters (CR, LF)"
    literal = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        ipaddress.ip_address(literal)
        return None
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return f"{host!r} is not a host name or an IP address"
    labels = ascii_host.removesuffix(".").split(".")
    if len(ascii_host) > MAX_HOST_LENGTH or not all(_LABEL.fullmatch(label) for label in labels):
        return f"{host!r} is not a host name or an IP address (write the port apart)"
    if labels[-1].isdigit():
        return f"{host!r} is not a host name or an IP address"  # 10.0.0 and the like
    return None


def user_problem(user: str) -> str | None:
    """A SIP user part: letters, digits and `-_.!~*'()&=+$,;?/`, or %-escapes."""
    if not _USER.fullmatch(user):
        return "may hold only letters, digits, -_.!~*'()&=+$,;?/ and %-escapes (RFC 3261 user)"
    return None


def password_problem(password: str) -> str | None:
    """A digest password: any text but control characters."""
    if _CONTROL.search(password):
        return "holds control characters (CR, LF, tab...)"
    return None


def transfer_target_problem(target: str) -> str | None:
    """A phone number or a sip:, sips: or tel: URI, written as it goes into Refer-To."""
    if _PHONE.fullmatch(target) or _URI.fullmatch(target):
        return None
    return "must be a number (digits, '+' first) or a sip:, sips: or tel: URI without spaces, quotes or <>"

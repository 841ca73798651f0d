"""A hotline pool's caller identity for trusted trunks: `P-Asserted-Identity` and `Privacy`.

A trunk in the carrier's trust domain may ask every INVITE to assert who calls (RFC 3325 §9.1:
one SIP or tel URI per header) and whether that identity is to be withheld from the callee
(RFC 3323 §4.2, with RFC 3325 §9.3's `id`). The values are stored on the pool and written into
the INVITE as they are (telephony/sip/dialing.py), so each is held here to its header's grammar:
no CR/LF (header injection), no `<>"` (they would close the URI's brackets), a real host.

Each check returns the value as stored (URI schemes and privacy values in lower case) or raises
`IdentityError` saying why.
"""

from __future__ import annotations

import re

from aicall.telephony import addressing

__all__ = ["PRIVACY_VALUES", "IdentityError", "asserted_identity", "privacy"]

# priv-value (RFC 3323 §4.2) plus `id` (RFC 3325 §9.3). `critical` asks the privacy service to
# fail the call rather than leak; `none` asks for no privacy at all.
PRIVACY_VALUES = ("id", "header", "session", "user", "critical", "none")
MAX_IDENTITY_LENGTH = 255  # the column's size

# userinfo of a SIP URI (RFC 3261 §25.1: user [":" password] "@"), characters unescaped or %-escaped
_USER = r"(?:[A-Za-z0-9\-_.!~*'()&=+$,;?/]|%[0-9A-Fa-f]{2})+"
_SIP = re.compile(
    rf"(?P<scheme>sips?):(?:(?P<user>{_USER})@)?(?P<host>\[[0-9A-Fa-f:.]+\]|[^:;?@\[\]]+)"
    r"(?::(?P<port>[0-9]{1,5}))?(?P<rest>[;?][A-Za-z0-9\-_.!~*'()&=+$,;?/:%\[\]]*)?",
    re.ASCII | re.IGNORECASE,
)
# global-number of a tel URI (RFC 3966 §3): "+" digits with visual separators, then parameters
_TEL = re.compile(r"tel:\+[0-9][0-9\-.()]*(?:;[A-Za-z0-9\-_.!~*'()&=+$,/:%\[\]]+)*", re.ASCII | re.IGNORECASE)


class IdentityError(ValueError):
    """A pool identity value its header cannot carry; the message says why."""


def asserted_identity(value: str) -> str:
    """A `sip:`, `sips:` or global `tel:` URI for P-Asserted-Identity (RFC 3325 §9.1), e.g.
    `sip:+842873001234@carrier.example` or `tel:+842873001234`; angle brackets around it are
    taken off (the dialer writes them). Raises IdentityError."""
    text = value.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1]
    if not text:
        raise IdentityError("is empty")
    if len(text) > MAX_IDENTITY_LENGTH:
        raise IdentityError(f"is longer than {MAX_IDENTITY_LENGTH} characters")
    if re.search(r"[\x00-\x20\x7f<>\"]", text):
        raise IdentityError('holds spaces, control characters (CR, LF) or <>"')
    scheme, _, rest = text.partition(":")
    lowered = f"{scheme.lower()}:{rest}"
    if scheme.lower() == "tel":
        if not _TEL.fullmatch(lowered):
            raise IdentityError(
                "is not a global tel URI (RFC 3966): write it as tel:+84..., digits after the +"
            )
        return lowered
    match = _SIP.fullmatch(lowered)
    if match is None:
        raise IdentityError(
            "must be a sip:, sips: or tel: URI, e.g. sip:+842873001234@carrier.example or tel:+842873001234"
        )
    host = match["host"]
    problem = addressing.host_problem(host)
    if problem is not None:
        raise IdentityError(f"host {problem}")
    port = match["port"]
    if port is not None and not 1 <= int(port) <= 65535:
        raise IdentityError(f"port {port} is out of range 1-65535")
    return lowered


def privacy(value: str) -> str:
    """A Privacy header value: one or more of id, header, session, user, critical, none joined
    by `;` (RFC 3323 §4.2, RFC 3325 §9.3), each once; `none` (no privacy) stands alone, since
    with another value it would contradict it. Returned lower-case. Raises IdentityError."""
    values = [part.strip().lower() for part in value.split(";")]
    if not any(values):
        raise IdentityError("is empty")
    for part in values:
        if part not in PRIVACY_VALUES:
            raise IdentityError(
                f"{part!r} is not a privacy value: use {', '.join(PRIVACY_VALUES)}, several joined by ';' "
                "(RFC 3323 §4.2, RFC 3325 §9.3)"
            )
    if len(set(values)) != len(values):
        raise IdentityError("names a value twice")
    if "none" in values and len(values) > 1:
        raise IdentityError("'none' asks for no privacy: it cannot be combined with other values")
    return ";".join(values)

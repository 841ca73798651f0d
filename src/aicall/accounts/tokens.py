"""ACCESS_TOKEN verification (CONTRACT §1).

A token is an HS256 JWT whose payload holds `apiKey` and which is signed with that
application's API secret. The seed's samples produce `{apiKey}` (Python, PHP) and
`{apiKey, iat}` (Node jsonwebtoken, Java); all are accepted; `exp` is enforced when present.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt


class TokenError(Exception):
    """The token is unusable: answered as 401."""


class UnknownApplication(Exception):
    """A well-formed token names an API key nobody has: answered as 1201."""


@dataclass(frozen=True, slots=True)
class Credentials:
    application_id: str
    account_id: str
    api_key: str
    api_secret: str


# Clients' clocks drift; a token "issued" a little in the future is still theirs.
LEEWAY_SECONDS = 60


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise TokenError("missing Authorization header")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise TokenError("Authorization must be 'Bearer <ACCESS_TOKEN>'")
    return token.strip()


def verify(token: str, lookup: Callable[[str], Credentials | None]) -> Credentials:
    """Return the credentials of the application that signed `token`."""
    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise TokenError(f"malformed token: {exc}") from exc
    if header.get("alg") != "HS256":
        raise TokenError("token must be signed with HS256")
    api_key = claims.get("apiKey")
    if not isinstance(api_key, str) or not api_key:
        raise TokenError("token payload has no apiKey")
    credentials = lookup(api_key)
    if credentials is None:
        raise UnknownApplication(api_key)
    try:
        jwt.decode(
            token,
            credentials.api_secret,
            algorithms=["HS256"],
            leeway=LEEWAY_SECONDS,
            options={"require": ["apiKey"], "verify_aud": False},
        )
    except jwt.PyJWTError as exc:
        raise TokenError(f"invalid token: {exc}") from exc
    return credentials


def issue(*, api_key: str, api_secret: str, now: datetime, ttl: timedelta | None) -> str:
    """A bearer token for the application (`aicall token`): `{apiKey, iat[, exp]}`, HS256 with
    its API secret, as the contract's samples make them; `ttl` None: it never expires."""
    claims: dict[str, object] = {"apiKey": api_key, "iat": int(now.timestamp())}
    if ttl is not None:
        claims["exp"] = int((now + ttl).timestamp())
    return jwt.encode(claims, api_secret, algorithm="HS256")

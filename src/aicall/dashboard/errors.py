"""Dashboard answers that are pages, not JSON envelopes."""

from __future__ import annotations


class LoginRequired(Exception):
    """Raised by `CurrentUser` when nobody is signed in: answered by a redirect to /login."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class PageNotFound(Exception):
    """A missing object, or one of another account: the same 404 page either way."""


class Forbidden(Exception):
    """Signed in, but the action needs an administrator (e.g. approving a scenario)."""

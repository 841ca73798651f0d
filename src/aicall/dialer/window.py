"""Calling windows: may this campaign dial at this moment? (The rules live in campaigns.window,
so the dialer and the "why is it waiting" answer can never disagree.)"""

from __future__ import annotations

from aicall.campaigns.window import is_open, is_over

__all__ = ["is_open", "is_over"]

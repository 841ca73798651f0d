"""Webhook errors the API answers in its envelope (codes documented in docs/webhooks.md)."""

from __future__ import annotations

from aicall.errors import ApiError

__all__ = ["WebhookEventNotFound", "WebhookUrlNotSet"]


class WebhookEventNotFound(ApiError):
    code, http_status, message = 1601, 404, "Webhook event is not found"


class WebhookUrlNotSet(ApiError):
    code, http_status, message = 1602, 400, "Webhook URL is not set"

"""Standard Webhooks signatures (https://www.standardwebhooks.com): what we put on every POST."""

from __future__ import annotations

from datetime import UTC, datetime

from standardwebhooks import Webhook

from aicall import __version__

__all__ = ["USER_AGENT", "signed_headers"]

USER_AGENT = f"aicall-webhooks/{__version__}"


def signed_headers(signer: Webhook, *, event_id: str, timestamp: datetime, body: str) -> dict[str, str]:
    """Headers for one attempt. The id is the event's (stable across retries: the receiver's
    dedupe key); the timestamp is the attempt's, since receivers refuse stale ones."""
    timestamp = timestamp.astimezone(UTC)  # the library labels the time UTC without converting it
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": event_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signer.sign(event_id, timestamp, body),
    }

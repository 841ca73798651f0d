"""Idempotency-Key: a retried request with the same key and body gets the first answer."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from aicall.errors import IdempotencyConflict, ValidationFailed
from aicall.idempotency.models import IdempotentRequest

MAX_KEY_LENGTH = 255


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    status_code: int
    body: dict[str, Any]


def check_key(key: str | None) -> str | None:
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ValidationFailed(f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters")
    return key


def request_hash(endpoint: str, body: bytes) -> str:
    return hashlib.sha256(endpoint.encode() + b"\0" + body).hexdigest()


def find(
    *, session: Session, application_id: str, key: str, endpoint: str, body_hash: str
) -> StoredAnswer | None:
    """The stored answer for this key, or None; a different body under the same key is refused."""
    row = session.get(IdempotentRequest, (application_id, key))
    if row is None:
        return None
    if row.request_hash != body_hash or row.endpoint != endpoint:
        raise IdempotencyConflict()
    return StoredAnswer(row.status_code, row.response)


def prune(*, session: Session, before: datetime, limit: int) -> int:
    """Forget the answers stored before `before` (about `limit` per call); return how many.

    A key is kept at least `AICALL_IDEMPOTENCY_TTL_HOURS`; once pruned, a request reusing it
    is a new request."""
    created = IdempotentRequest.created_at
    oldest = select(created).where(created < before).order_by(created).limit(limit).subquery()
    bound = session.scalar(select(func.max(oldest.c[0])))
    if bound is None:
        return 0
    result = session.execute(delete(IdempotentRequest).where(created <= bound))
    return int(getattr(result, "rowcount", 0) or 0)


def remember(
    *,
    session: Session,
    application_id: str,
    key: str,
    endpoint: str,
    body_hash: str,
    answer: StoredAnswer,
) -> None:
    """Store the answer in the caller's transaction, so it commits with the work it describes."""
    session.add(
        IdempotentRequest(
            application_id=application_id,
            key=key,
            endpoint=endpoint,
            request_hash=body_hash,
            status_code=answer.status_code,
            response=answer.body,
        )
    )

"""Housekeeping removes exactly what is past its retention, on both databases: delivered and
failed webhook events and their delivery log, stored Idempotency-Key answers, the least recently
used audio; closed campaigns are archived. What is still owed or still young stays."""

from __future__ import annotations

import os
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from aicall.campaigns import lifecycle, queries
from aicall.campaigns.models import Campaign, CampaignStatus, Contact
from aicall.config import Settings
from aicall.db.engine import Database
from aicall.errors import CampaignStateError
from aicall.housekeeping import Housekeeping
from aicall.idempotency.models import IdempotentRequest
from aicall.speech.cache import AudioCache
from aicall.webhooks.models import WebhookDelivery, WebhookEvent
from tests.integration.support import SECRET_KEY, Tenant, make_tenant

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def settings(tmp_path: Path, db: Database, **extra: object) -> Settings:
    parts: dict[str, object] = {
        "webhook_retention_days": 30,
        "idempotency_ttl_hours": 24,
        "audio_cache_mb": 0,
        "archive_after_days": 0,
        **extra,
    }
    return Settings(data_dir=tmp_path, database_url=db.url, secret_key=SECRET_KEY, **parts)


def add_event(db: Database, tenant: Tenant, status: str, created: datetime, tries: int) -> str:
    """An event as the dispatcher leaves it after `tries` attempts (one log row each)."""
    with db.transaction() as session:
        row = WebhookEvent(
            application_id=tenant.application_id,
            type="call.attempt.finished",
            payload={},
            status=status,
            attempts=tries,
            next_attempt_at=created if status == "pending" else None,
            created_at=created,
            delivered_at=created if status == "delivered" else None,
        )
        session.add(row)
        session.flush()
        for n in range(tries):
            session.add(
                WebhookDelivery(
                    event_id=row.id,
                    application_id=tenant.application_id,
                    event_type=row.type,
                    attempt=n + 1,
                    created_at=created + timedelta(minutes=n),
                )
            )
        return row.id


def test_webhook_events_and_their_log_past_retention_are_pruned_and_pending_ones_kept(db, tmp_path):
    tenant = make_tenant(db)
    old, young = NOW - 31 * DAY, NOW - 29 * DAY
    ids = {
        "old delivered": add_event(db, tenant, "delivered", old, 1),
        "old failed": add_event(db, tenant, "failed", old, 11),
        "old pending": add_event(db, tenant, "pending", old, 3),  # still owed: kept, its old log pruned
        "young delivered": add_event(db, tenant, "delivered", young, 2),
    }

    swept = Housekeeping(settings=settings(tmp_path, db), db=db, clock=lambda: NOW, batch=2).run_once()

    with db.reading() as session:
        left = {row.id for row in session.scalars(select(WebhookEvent))}
        log_left = list(session.scalars(select(WebhookDelivery)))
    assert left == {ids["old pending"], ids["young delivered"]}
    assert len(log_left) == 2 and all(d.event_id == ids["young delivered"] for d in log_left)
    # 1 + 11 + 3 old delivery rows and 2 old events, in batches of 2.
    assert swept.webhook_rows == 15 + 2


def test_idempotency_keys_expire_after_their_ttl(db, tmp_path):
    tenant = make_tenant(db)
    with db.transaction() as session:
        for n, age in enumerate([timedelta(hours=25), timedelta(hours=48), timedelta(hours=23)]):
            session.add(
                IdempotentRequest(
                    application_id=tenant.application_id,
                    key=f"k{n}",
                    endpoint="POST /campaign",
                    request_hash="h",
                    status_code=200,
                    response={},
                    created_at=NOW - age,
                )
            )

    swept = Housekeeping(settings=settings(tmp_path, db), db=db, clock=lambda: NOW).run_once()

    assert swept.idempotency_keys == 2
    with db.reading() as session:
        assert list(session.scalars(select(IdempotentRequest.key))) == ["k2"]


def test_closed_campaigns_are_archived_after_their_days_hidden_from_lists_and_their_tags_dropped(
    db, tmp_path
):
    tenant = make_tenant(db)
    with db.transaction() as session:
        campaign = session.get(Campaign, tenant.campaign_id)
        assert campaign is not None
        session.add(
            Contact(
                id=uuid.uuid4().hex,
                campaign_id=campaign.id,
                application_id=tenant.application_id,
                phone="+84900000001",
                tags={"ho_ten": "Lan"},
            )
        )
        lifecycle.finish(
            session,
            campaign,
            status=CampaignStatus.COMPLETED,
            now=NOW - 91 * DAY,
            reason=lifecycle.CloseReason.MANUAL,
        )
    recent = make_tenant(db, name="Recent")
    with db.transaction() as session:
        other = session.get(Campaign, recent.campaign_id)
        assert other is not None
        lifecycle.finish(
            session,
            other,
            status=CampaignStatus.CANCELLED,
            now=NOW - DAY,
            reason=lifecycle.CloseReason.MANUAL,
        )

    swept = Housekeeping(
        settings=settings(tmp_path, db, archive_after_days=90), db=db, clock=lambda: NOW
    ).run_once()

    assert swept.campaigns_archived == 1
    with db.reading() as session:
        archived = session.get(Campaign, tenant.campaign_id)
        assert archived is not None and archived.archived_at == NOW
        assert [
            c.tags for c in session.scalars(select(Contact).where(Contact.campaign_id == archived.id))
        ] == [{}]
        listed, total = queries.list_campaigns(
            session, application_id=tenant.application_id, status=None, limit=10, offset=0
        )
        assert (listed, total) == ([], 0)
        listed, total = queries.list_campaigns(
            session, application_id=tenant.application_id, status=None, limit=10, offset=0, archived=True
        )
        assert [c.id for c in listed] == [tenant.campaign_id]
        assert queries.campaign_by_id(session, tenant.campaign_id).id == tenant.campaign_id  # still readable
        assert session.get(Campaign, recent.campaign_id).archived_at is None  # closed a day ago


def test_an_open_campaign_cannot_be_archived(db):
    tenant = make_tenant(db)
    with db.transaction() as session, pytest.raises(CampaignStateError):
        lifecycle.archive(session, session.get(Campaign, tenant.campaign_id), now=NOW)


def test_the_audio_cache_on_disk_keeps_the_most_recently_used_files_within_its_cap(db, tmp_path):
    cache = AudioCache(tmp_path / "audio", memory_bytes=0)
    keys = [AudioCache.key(engine="e", voice="v", speed=1.0, text=str(n)) for n in range(5)]
    for age, key in enumerate(keys):  # keys[0] the most recently written, keys[4] the least
        path = cache.put(key, b"\0" * 100_000)
        assert path is not None
        when = time.time() - 3600 * (age + 1)  # file times are the disk's, not the injected clock's
        os.utime(path, (when, when))
    assert cache.get(keys[4]) is not None  # the oldest, read now: used again

    swept = Housekeeping(
        settings=settings(tmp_path, db, audio_cache_mb=0.3), db=db, clock=lambda: NOW
    ).run_once()

    # 0.3 MB holds three 100 kB files: the two least recently used go.
    assert swept.audio_files == 2
    assert [key in cache for key in keys] == [True, True, False, False, True]

"""Spreadsheets made the way customers make them, and the HTTP calls of the import and export."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from openpyxl import Workbook

from aicall.calls.models import AttemptStatus, CallAttempt
from aicall.campaigns.models import Contact
from aicall.db.engine import Database
from tests.integration.support import LiveServer, Tenant

BASE = "/api/v1/public-api"


def csv_bytes(rows: list[list[object]], *, delimiter: str = ",", bom: bool = True) -> bytes:
    text = "\r\n".join(delimiter.join("" if v is None else str(v) for v in row) for row in rows) + "\r\n"
    return ("\ufeff" if bom else "").encode() + text.encode()


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload(
    server: LiveServer,
    tenant: Tenant,
    campaign_id: str,
    data: bytes,
    *,
    filename: str = "contacts.csv",
    mapping: str | None = None,
    dry_run: bool = False,
) -> requests.Response:
    return requests.post(
        f"{server.url}{BASE}/campaigns/{campaign_id}/contacts/import",
        files={"file": (filename, data)},
        data={"mapping": mapping} if mapping is not None else None,
        params={"dryRun": "true"} if dry_run else None,
        headers=tenant.headers(),
        timeout=120,
    )


def add_contacts(server: LiveServer, tenant: Tenant, campaign_id: str, contacts: list[dict[str, Any]]) -> Any:
    """The JSON API's answer for the same contacts (to compare reasons with)."""
    return requests.post(
        f"{server.url}{BASE}/campaign",
        json={"campaign_id": campaign_id, "contacts": contacts},
        headers=tenant.headers(),
        timeout=60,
    ).json()


def download(server: LiveServer, tenant: Tenant, campaign_id: str, fmt: str) -> requests.Response:
    return requests.get(
        f"{server.url}{BASE}/campaigns/{campaign_id}/contacts/export",
        params={"format": fmt},
        headers=tenant.headers(),
        timeout=120,
    )


def record_call(
    db: Database,
    tenant: Tenant,
    contact_id: str,
    *,
    number: int,
    outcome: str,
    started_at: datetime,
    duration: float = 0.0,
    cost: int = 0,
    keys: str = "",
    end_reason: str | None = None,
    sip_code: int | None = None,
) -> None:
    """A finished call attempt, as the dialer's result store leaves it."""
    with db.transaction() as session:
        contact = session.get(Contact, contact_id)
        assert contact is not None
        session.add(
            CallAttempt(
                contact_id=contact_id,
                campaign_id=contact.campaign_id,
                account_id=tenant.account_id,
                number=number,
                status=AttemptStatus.FINISHED.value,
                worker_id="test",
                lease_until=started_at + timedelta(minutes=5),
                claimed_at=started_at,
                started_at=started_at,
                ended_at=started_at + timedelta(seconds=duration + 5),
                outcome=outcome,
                duration=duration,
                cost=cost,
                keys_pressed=keys,
                end_reason=end_reason,
                sip_code=sip_code,
            )
        )
        contact.attempts = number
        contact.last_outcome = outcome
        contact.status = "done" if outcome == "answered" else "retry_wait"


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 30, hour, minute, tzinfo=UTC)

"""The import service: batches, progress, the dry run agreeing with the import, limits."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from aicall.campaigns import file_import
from aicall.campaigns.models import Campaign, CampaignStatus, Contact
from aicall.db.engine import Database
from aicall.errors import CampaignNotFound, ImportFailed, PayloadTooLarge
from tests.integration.spreadsheets.helpers import csv_bytes, xlsx_bytes
from tests.integration.support import Tenant


def limits(**overrides: int) -> file_import.Limits:
    values = {"max_bytes": 10 * 1024 * 1024, "max_rows": 100_000, "batch_rows": 1_000, **overrides}
    return file_import.Limits(**values)  # type: ignore[arg-type]


def run(db: Database, tenant: Tenant, data: bytes, *, dry_run: bool = False, **kwargs: object):
    return file_import.import_file(
        db=db,
        application_id=tenant.application_id,
        campaign_id=tenant.campaign_id,
        source=io.BytesIO(data),
        limits=kwargs.pop("limits", limits()),  # type: ignore[arg-type]
        dry_run=dry_run,
        **kwargs,  # type: ignore[arg-type]
    )


def count(db: Database) -> int:
    with db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(Contact)) or 0)


def test_dry_run_and_import_report_the_same_rows_across_batch_boundaries(db, tenant):
    rows = [["SĐT", "Họ tên"]]
    for n in range(10):
        rows.append([f"098765430{n}", f"Khách {n}"])
    rows.insert(5, ["0987654302", "again, in the second batch"])  # row 6: duplicate of row 4
    rows.append(["not a number", "x"])  # row 13
    data = xlsx_bytes(rows)
    small = limits(batch_rows=3)
    dry = run(db, tenant, data, dry_run=True, limits=small)
    assert count(db) == 0
    real = run(db, tenant, data, limits=small)
    assert dry.rejected_rows() == real.rejected_rows()
    assert real.rejected_rows()[0] == {
        "row": 6,
        "phone_number": "+84987654302",
        "reason": "duplicate: same number as row 4 in this file",
    }
    assert [r["row"] for r in real.rejected_rows()] == [6, 13]
    assert (dry.valid, real.imported, count(db)) == (10, 10, 10)
    # Imported again: every row is now a number the campaign holds.
    again = run(db, tenant, data, dry_run=True, limits=small)
    assert len(again.rejected_rows()) == 12
    assert {r["reason"] for r in again.rejected_rows()[:-1]} == {
        "duplicate: the campaign already has this number"
    }


def test_progress_is_reported_after_each_batch_with_the_total(db, tenant):
    data = csv_bytes([["phone"], *[[f"0987{n:06d}"] for n in range(2_500)]])
    calls: list[tuple[int, int | None]] = []
    report = run(db, tenant, data, progress=lambda done, total: calls.append((done, total)))
    assert report.imported == 2_500
    assert calls == [(1_000, 2_500), (2_000, 2_500), (2_500, 2_500), (2_500, 2_500)]


def test_a_file_over_the_row_limit_is_refused_before_anything_is_stored(db, tenant):
    data = csv_bytes([["phone"], *[[f"0987{n:06d}"] for n in range(11)]])
    with pytest.raises(PayloadTooLarge, match="more than 10 rows"):
        run(db, tenant, data, limits=limits(max_rows=10))
    with pytest.raises(PayloadTooLarge, match="more than 10 rows"):
        run(
            db,
            tenant,
            xlsx_bytes([["phone"], *[[f"0987{n:06d}"] for n in range(11)]]),
            limits=limits(max_rows=10),
        )
    assert count(db) == 0


def test_a_closed_campaign_refuses_the_file_as_it_refuses_the_api(db, tenant):
    with db.transaction() as session:
        campaign = session.get(Campaign, tenant.campaign_id)
        assert campaign is not None
        campaign.status = CampaignStatus.CANCELLED.value
    with pytest.raises(ImportFailed, match="the campaign is cancelled"):
        run(db, tenant, csv_bytes([["phone"], ["0987654321"]]))


def test_the_cli_side_finds_the_owner_of_a_campaign(db, tenant):
    assert file_import.application_of(db=db, campaign_id=tenant.campaign_id) == tenant.application_id
    with pytest.raises(CampaignNotFound):
        file_import.application_of(db=db, campaign_id="nope")

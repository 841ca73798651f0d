"""Importing a CSV or XLSX contact list into a campaign: a dry run, then the import in batches.

Every row goes through the add-contacts API's own checks (`contact_import.parse_contacts`,
`contact_import.screen`): the same phone rules, tag rules, duplicate rule and reasons, with
`row N in this file` where the API says `contact N in this request`. Rows are read as a stream
and stored in batches (`BATCH_ROWS` per transaction), so memory does not grow with the file
and the dialer (and on SQLite every other writer) waits at most one batch for the database.

A dry run (`validate`) reads the whole file and reports what the import would do, writing
nothing. The import (`import_file`) commits batch by batch: if it stops half way (the campaign
closed meanwhile, the database went away) the rows of the batches already committed stay, and
importing the same file again reports them as duplicates (unless the scenario allows duplicate
numbers), so it is safe to retry. A file with no valid row stores nothing and raises
AllContactsInvalid (1403), as the API does.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from aicall.campaigns import column_mapping, contact_import, scenario_rules, spreadsheets
from aicall.campaigns import service as campaign_service
from aicall.campaigns.column_mapping import ColumnMapping
from aicall.campaigns.contact_import import Rejection
from aicall.campaigns.models import Campaign
from aicall.config import Settings
from aicall.db.engine import Database
from aicall.errors import AllContactsInvalid, CampaignNotFound, PayloadTooLarge, ValidationFailed
from aicall.interpreter.script import FieldSpec

__all__ = [
    "BATCH_ROWS",
    "ImportReport",
    "Limits",
    "Preview",
    "Progress",
    "application_of",
    "import_file",
    "preview",
    "validate",
    "write_rejected",
]

BATCH_ROWS = 2_000  # per transaction: see docs/benchmarks.md, "Contact files"
# (rows done, total rows or None when the file does not say): called after each batch.
Progress = Callable[[int, int | None], None]


@dataclass(frozen=True, slots=True)
class Limits:
    """How large a file may be (`AICALL_MAX_UPLOAD_BYTES`, `AICALL_MAX_IMPORT_ROWS`), the region
    of numbers written without a country code, and rows per transaction."""

    max_bytes: int
    max_rows: int
    region: str = "VN"
    batch_rows: int = BATCH_ROWS

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            max_bytes=settings.max_upload_bytes,
            max_rows=settings.max_import_rows,
            region=settings.default_region,
        )


@dataclass(slots=True)
class ImportReport:
    """What an import did (or a dry run would do).

    `rejected` holds the rows refused, by row number (header = row 1), with the value refused
    (usually the phone number) and the reason, in row order. `contacts` holds the add-contacts
    `result` entries of the stored rows when the caller asked for them."""

    format: str
    mapping: ColumnMapping
    rows: int = 0
    imported: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    contacts: list[dict[str, Any]] | None = None
    dry_run: bool = False

    @property
    def valid(self) -> int:
        return self.rows - len(self.rejected)

    def rejected_rows(self) -> list[dict[str, Any]]:
        """The API's shape: `{"row", "phone_number", "reason"}` per refused row."""
        return [{"row": r.index, "phone_number": r.phone_number, "reason": r.reason} for r in self.rejected]

    def summary(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "rows": self.rows,
            "imported": self.imported,
            "valid": self.valid,
            "rejected": len(self.rejected),
            "dry_run": self.dry_run,
            "mapping": self.mapping.as_dict(),
        }


def in_this_file(row: int) -> str:
    return f"row {row} in this file"


def application_of(*, db: Database, campaign_id: str) -> str:
    """The application that owns the campaign (for the CLI, which acts as the operator)."""
    with db.reading() as session:
        campaign = session.get(Campaign, campaign_id)
        if campaign is None:
            raise CampaignNotFound()
        return campaign.application_id


@dataclass(frozen=True, slots=True)
class Preview:
    """What a mapping form shows before any row is checked: the file's header, the suggested
    mapping, the scenario's fields, the first rows as samples and the size the file states."""

    format: str
    header: list[str]
    mapping: ColumnMapping
    fields: tuple[FieldSpec, ...]
    samples: list[list[spreadsheets.Cell]]
    size_hint: int | None


def preview(
    *,
    db: Database,
    application_id: str,
    campaign_id: str,
    source: spreadsheets.BinaryFile,
    limits: Limits,
    filename: str | None = None,
    sample_rows: int = 3,
) -> Preview:
    """The file's header and suggested mapping (raises as `import_file` does for a file that
    cannot be read, has no phone column or is over the limits)."""
    fields = _fields(db=db, application_id=application_id, campaign_id=campaign_id)
    _check_size(source, limits)
    with spreadsheets.open_sheet(source, filename=filename) as sheet:
        resolved = column_mapping.resolve(sheet.header, fields)
        total = sheet.size_hint()
        if total is not None and total > limits.max_rows:
            raise _too_many_rows(limits)
        samples = [cells for _, cells in itertools.islice(sheet.rows(), sample_rows)]
        return Preview(sheet.format.value, sheet.header, resolved, fields, samples, total)


def validate(
    *,
    db: Database,
    application_id: str,
    campaign_id: str,
    source: spreadsheets.BinaryFile,
    limits: Limits,
    filename: str | None = None,
    mapping: Mapping[str, str] | None = None,
    positions: Mapping[int, str] | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """A dry run: every row checked as the import would check it (against the numbers the
    campaign holds now), nothing written. Raises what `import_file` raises, except
    AllContactsInvalid: a report with no valid row is an answer here."""
    return import_file(
        db=db,
        application_id=application_id,
        campaign_id=campaign_id,
        source=source,
        limits=limits,
        filename=filename,
        mapping=mapping,
        positions=positions,
        progress=progress,
        dry_run=True,
    )


def import_file(
    *,
    db: Database,
    application_id: str,
    campaign_id: str,
    source: spreadsheets.BinaryFile,
    limits: Limits,
    filename: str | None = None,
    mapping: Mapping[str, str] | None = None,
    positions: Mapping[int, str] | None = None,
    progress: Progress | None = None,
    collect_contacts: bool = False,
    dry_run: bool = False,
) -> ImportReport:
    """Store the file's valid rows as `pending` contacts, `limits.batch_rows` per transaction
    (with `dry_run`, as `validate`: check only). `collect_contacts` keeps the add-contacts
    `result` entries of the stored rows in the report (memory grows with the file then).

    Raises CampaignNotFound (missing, or another application's), ImportFailed (the campaign
    is closed), ValidationFailed (unreadable file, no phone column, bad mapping, no data
    rows), PayloadTooLarge (over `limits`), AllContactsInvalid (no valid row: nothing stored,
    the rejected rows in its details)."""
    return _run(
        db=db,
        application_id=application_id,
        campaign_id=campaign_id,
        source=source,
        limits=limits,
        filename=filename,
        mapping=mapping,
        positions=positions,
        progress=progress,
        store=not dry_run,
        collect=collect_contacts and not dry_run,
    )


def _fields(*, db: Database, application_id: str, campaign_id: str) -> tuple[FieldSpec, ...]:
    with db.reading() as session:
        campaign = contact_import.load_open_campaign(
            session=session, application_id=application_id, campaign_id=campaign_id
        )
        return scenario_rules.fields_for(session=session, campaign=campaign)


def _check_size(source: spreadsheets.BinaryFile, limits: Limits) -> None:
    source.seek(0, 2)
    size = source.tell()
    source.seek(0)
    if size > limits.max_bytes:
        raise PayloadTooLarge(
            f"The file is {size:,} bytes, larger than the limit of {limits.max_bytes:,} bytes "
            "(AICALL_MAX_UPLOAD_BYTES): split it"
        )


def _too_many_rows(limits: Limits) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"The file has more than {limits.max_rows:,} rows, the limit (AICALL_MAX_IMPORT_ROWS): split it"
    )


def _run(
    *,
    db: Database,
    application_id: str,
    campaign_id: str,
    source: spreadsheets.BinaryFile,
    limits: Limits,
    filename: str | None,
    mapping: Mapping[str, str] | None,
    positions: Mapping[int, str] | None,
    progress: Progress | None,
    store: bool,
    collect: bool,
) -> ImportReport:
    # The campaign first: a stranger's campaign id answers 404 whatever the file holds.
    fields = _fields(db=db, application_id=application_id, campaign_id=campaign_id)
    _check_size(source, limits)
    with spreadsheets.open_sheet(source, filename=filename) as sheet:
        resolved = column_mapping.resolve(sheet.header, fields, mapping, positions=positions)
        # CSV: an exact count, and the whole file decoded, before anything is stored.
        total = sheet.size_hint()
        if total is not None and total > limits.max_rows:
            raise _too_many_rows(limits)
        report = ImportReport(
            format=sheet.format.value, mapping=resolved, dry_run=not store, contacts=[] if collect else None
        )
        earlier: dict[str, int] = {}  # numbers accepted so far -> their row
        for batch in _batches(sheet.rows(), limits):
            _one_batch(
                db=db,
                application_id=application_id,
                campaign_id=campaign_id,
                batch=[(row, resolved.contact(cells)) for row, cells in batch],
                limits=limits,
                report=report,
                earlier=earlier,
                store=store,
            )
            if progress is not None:
                progress(report.rows, total)
    if report.rows == 0:
        raise ValidationFailed("the file has no data rows under its header", field="file")
    if progress is not None:
        progress(report.rows, report.rows)
    if store and report.imported == 0:
        raise AllContactsInvalid(details=report.rejected_rows())
    return report


def _batches(
    rows: Iterator[tuple[int, list[spreadsheets.Cell]]], limits: Limits
) -> Iterator[list[tuple[int, list[spreadsheets.Cell]]]]:
    batch: list[tuple[int, list[spreadsheets.Cell]]] = []
    for count, row in enumerate(rows, start=1):
        if count > limits.max_rows:
            raise _too_many_rows(limits)
        batch.append(row)
        if len(batch) >= limits.batch_rows:
            yield batch
            batch = []
    if batch:
        yield batch


def _one_batch(
    *,
    db: Database,
    application_id: str,
    campaign_id: str,
    batch: list[tuple[int, dict[str, Any]]],
    limits: Limits,
    report: ImportReport,
    earlier: dict[str, int],
    store: bool,
) -> None:
    candidates, rejections = contact_import.parse_contacts(batch, region=limits.region)
    # As add-contacts: a concurrent import of the same number passes the duplicate check and
    # the unique index stops one at commit; one retry re-reads and reports it as a duplicate.
    for attempt in range(2):
        try:
            with db.transaction() if store else db.reading() as session:
                screened, added = _screen_and_store(
                    session=session,
                    application_id=application_id,
                    campaign_id=campaign_id,
                    candidates=candidates,
                    earlier=earlier,
                    store=store,
                )
            break
        except IntegrityError:
            if attempt == 1:
                raise
    earlier.update(screened.seen)
    report.rows += len(batch)
    report.imported += len(added)
    if report.contacts is not None:
        report.contacts.extend(added)
    report.rejected.extend(sorted([*rejections, *screened.rejections], key=lambda r: r.index))


def _screen_and_store(
    *,
    session: Session,
    application_id: str,
    campaign_id: str,
    candidates: list[contact_import.CandidateContact],
    earlier: Mapping[str, int],
    store: bool,
) -> tuple[contact_import.Screened, list[dict[str, Any]]]:
    # Loaded in every batch: a campaign closed (or a scenario changed) during a long import
    # stops it (or applies) from the next batch on, as it would for the next API request.
    campaign = contact_import.load_open_campaign(
        session=session, application_id=application_id, campaign_id=campaign_id
    )
    rules = campaign_service.tag_rules(session=session, campaign=campaign)
    screened = contact_import.screen(
        session=session,
        campaign_id=campaign.id,
        candidates=candidates,
        rules=rules,
        earlier=earlier,
        reference=in_this_file,
    )
    if store:
        contact_import.audit_refused(session=session, campaign_id=campaign.id, rejections=screened.rejections)
    if not store or not screened.accepted:
        return screened, []
    added = contact_import.insert_contacts(
        session=session, campaign=campaign, accepted=screened.accepted, rules=rules
    )
    return screened, added


def write_rejected(path: Path, rejected: list[dict[str, Any]]) -> None:
    """Rejected rows (`rejected_rows()` or AllContactsInvalid's details) as a CSV report:
    row, phone_number, reason; with a BOM so that Excel shows the Vietnamese reasons right."""
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(["row", "phone_number", "reason"])
        for entry in rejected:
            value = entry.get("phone_number")
            writer.writerow([entry.get("row"), "" if value is None else value, entry.get("reason")])

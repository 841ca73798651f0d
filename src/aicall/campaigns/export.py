"""A campaign's contacts and the results of their calls, as a CSV or XLSX file streamed in chunks.

One row per contact: the number, its tag values (one column per tag: the scenario's fields in
its order, then any other key the contacts hold, alphabetically), its status and the last
outcome, how many calls were made, the last call's time, connected seconds, keys pressed, end
reason and SIP code, the cost of all its calls (đồng), its id and when it was added.

Contacts are read `PAGE_SIZE` at a time by keyset paging on (phone, id), which the
`(campaign_id, phone)` index serves, each page in its own short read transaction: memory stays
flat however large the campaign, and no transaction is held open while a slow client reads.
Times are in the campaign's time zone.

* CSV: UTF-8 with a byte-order mark (without it Excel reads Vietnamese as mojibake), comma
  separated, CRLF; times as ISO 8601 with their offset. A tag value that starts with `=`, `+`,
  `-` or `@` gets a leading `'` so a spreadsheet does not run it as a formula (values come from
  API callers, not only from the operator).
* XLSX (openpyxl write-only mode): real date-time cells (`dd/mm/yyyy hh:mm:ss`), numbers as
  numbers, text always as text. The workbook is a ZIP archive whose directory comes last, so it
  is built in a temporary file first (rows go to disk as they are written) and then sent in
  chunks: the first byte comes when the last row is written.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

# openpyxl ships no type information (types-openpyxl is not among our dependencies).
from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.cell import WriteOnlyCell  # type: ignore[import-untyped]
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]
from sqlalchemy import BindParameter, bindparam, select, text
from sqlalchemy.orm import Session

from aicall.calls.models import AttemptStatus, CallAttempt
from aicall.campaigns import queries, scenario_rules
from aicall.campaigns.models import Contact
from aicall.db.engine import Database
from aicall.errors import ValidationFailed

__all__ = ["FORMATS", "PAGE_SIZE", "Export", "open_export"]

PAGE_SIZE = 1_000
MAX_TAG_COLUMNS = 500  # a campaign whose contacts carry more distinct keys gets the first 500
CHUNK_BYTES = 64 * 1024
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_DATE_FORMAT = "dd/mm/yyyy hh:mm:ss"
# The columns after the tags, each with what it holds (documented in docs/campaigns.md).
RESULT_COLUMNS = (
    "status",
    "last_outcome",
    "attempts",
    "last_call_at",
    "duration",
    "cost",
    "keys_pressed",
    "end_reason",
    "sip_code",
    "contact_id",
    "created_at",
)


@dataclass(frozen=True, slots=True)
class Export:
    """A download ready to stream: `chunks` reads the campaign as it is iterated."""

    filename: str
    media_type: str
    chunks: Iterator[bytes]


@dataclass(frozen=True, slots=True)
class _Plan:
    campaign_id: str
    zone: tzinfo
    tag_keys: tuple[str, ...]
    header: tuple[str, ...]


def open_export(
    *, db: Database, application_id: str, campaign_id: str, format: str, page_size: int = PAGE_SIZE
) -> Export:
    """Check the request now (CampaignNotFound for a missing or another application's campaign,
    ValidationFailed for a format other than csv or xlsx); read the contacts later, as the
    returned `chunks` are consumed."""
    if format not in FORMATS:
        raise ValidationFailed("must be csv or xlsx", field="format")
    with db.reading() as session:
        campaign = queries.get_campaign(session, application_id=application_id, campaign_id=campaign_id)
        try:
            zone: tzinfo = ZoneInfo(queries.settings_of(session, campaign).timezone)
        except ValueError:  # settings that no longer validate still export, in Vietnam's time
            zone = ZoneInfo("Asia/Ho_Chi_Minh")
        fields = scenario_rules.fields_for(session=session, campaign=campaign)
        tag_keys = _tag_keys(session, campaign.id, [f.key for f in fields])
    header = ("phone_number", *(_tag_header(k) for k in tag_keys), *RESULT_COLUMNS)
    plan = _Plan(campaign_id=campaign_id, zone=zone, tag_keys=tuple(tag_keys), header=header)
    rows = _rows(db, plan, page_size)
    chunks = _csv_chunks(plan, rows) if format == "csv" else _xlsx_chunks(plan, rows)
    return Export(filename=f"contacts-{campaign_id}.{format}", media_type=FORMATS[format], chunks=chunks)


def _tag_header(key: str) -> str:
    # A tag named like a result column would make two columns of one name.
    return f"tag_{key}" if key in RESULT_COLUMNS or key == "phone_number" else key


def _tag_keys(session: Session, campaign_id: str, field_keys: Sequence[str]) -> list[str]:
    """Every tag key the campaign's contacts hold, found by the database (JSON functions) in
    one pass rather than by reading every contact here; the scenario's fields come first."""
    if session.get_bind().dialect.name == "postgresql":
        query = text("SELECT DISTINCT jsonb_object_keys(tags) FROM contacts WHERE campaign_id = :campaign")
    else:
        query = text(
            "SELECT DISTINCT j.key FROM contacts, json_each(contacts.tags) AS j "
            "WHERE contacts.campaign_id = :campaign"
        )
    found = {str(key) for key in session.scalars(query, {"campaign": campaign_id})}
    ordered = [k for k in field_keys if k]
    ordered += sorted(found - set(ordered))
    return ordered[:MAX_TAG_COLUMNS]


# --- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Last:
    """What the export shows of a contact's calls: the last finished one, and the sum of costs."""

    called_at: datetime | None = None
    duration: float | None = None
    keys: str | None = None
    end_reason: str | None = None
    sip_code: int | None = None
    cost: int = 0


def _rows(db: Database, plan: _Plan, page_size: int) -> Iterator[list[Any]]:
    """Each contact as a list of values in `plan.header`'s order (Python values: str, int,
    float, aware datetime or None)."""
    after: tuple[str, str] | None = None
    while True:
        with db.reading() as session:
            page = _page(session, plan.campaign_id, after, page_size)
            calls = _calls(session, [row.id for row in page])
        for contact in page:
            last = calls.get(contact.id, _Last())
            tags = contact.tags or {}
            yield [
                contact.phone,
                *(tags.get(key) for key in plan.tag_keys),
                contact.status,
                contact.last_outcome,
                contact.attempts,
                last.called_at,
                last.duration,
                last.cost,
                last.keys,
                last.end_reason,
                last.sip_code,
                contact.id,
                contact.created_at,
            ]
        if len(page) < page_size:
            return
        after = (page[-1].phone, page[-1].id)


def _page(session: Session, campaign_id: str, after: tuple[str, str] | None, size: int) -> list[Any]:
    query = select(
        Contact.id,
        Contact.phone,
        Contact.tags,
        Contact.status,
        Contact.attempts,
        Contact.last_outcome,
        Contact.created_at,
    ).where(Contact.campaign_id == campaign_id)
    if after is not None:
        phone, contact_id = after
        # `phone >= x` is what the index can seek to; the id breaks ties between duplicates.
        query = query.where(Contact.phone >= phone, (Contact.phone > phone) | (Contact.id > contact_id))
    return list(session.execute(query.order_by(Contact.phone, Contact.id).limit(size)).all())


def _calls(session: Session, contact_ids: list[str]) -> dict[str, _Last]:
    if not contact_ids:
        return {}
    # Literal ids (our own UUIDs) rather than bound parameters: see contact_import._inlined.
    ids: BindParameter[list[str]] = bindparam("ids", contact_ids, expanding=True, literal_execute=True)
    rows = session.execute(
        select(
            CallAttempt.contact_id,
            CallAttempt.status,
            CallAttempt.started_at,
            CallAttempt.claimed_at,
            CallAttempt.duration,
            CallAttempt.cost,
            CallAttempt.keys_pressed,
            CallAttempt.end_reason,
            CallAttempt.sip_code,
        )
        .where(CallAttempt.contact_id.in_(ids))
        .order_by(CallAttempt.contact_id, CallAttempt.number)
    ).all()
    result: dict[str, _Last] = {}
    for row in rows:
        before = result.get(row.contact_id, _Last())
        cost = before.cost + int(row.cost or 0)
        if row.status != AttemptStatus.FINISHED.value:  # a call in flight has no result yet
            result[row.contact_id] = replace(before, cost=cost)
            continue
        result[row.contact_id] = _Last(
            called_at=row.started_at or row.claimed_at,
            duration=round(row.duration or 0.0, 3),
            keys=row.keys_pressed or None,
            end_reason=row.end_reason,
            sip_code=row.sip_code,
            cost=cost,
        )
    return result


# --- writing -----------------------------------------------------------------------------------


def _csv_text(value: Any, zone: tzinfo, *, guard: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(zone).isoformat(timespec="seconds")
    text_value = str(value)
    if guard and text_value.startswith(_FORMULA_STARTS):
        return "'" + text_value
    return text_value


def _csv_chunks(plan: _Plan, rows: Iterator[list[Any]]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(plan.header)
    first_tag, after_tags = 1, 1 + len(plan.tag_keys)
    yield b"\xef\xbb\xbf" + buffer.getvalue().encode()
    buffer.seek(0)
    buffer.truncate()
    for row in rows:
        writer.writerow(
            [
                _csv_text(value, plan.zone, guard=first_tag <= position < after_tags)
                for position, value in enumerate(row)
            ]
        )
        if buffer.tell() >= CHUNK_BYTES:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode()


def _xlsx_chunks(plan: _Plan, rows: Iterator[list[Any]]) -> Iterator[bytes]:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Contacts")
    sheet.freeze_panes = "A2"
    for letter_index, name in enumerate(plan.header):
        width = 20 if name in ("phone_number", "last_call_at", "created_at") else 14
        if name == "contact_id":
            width = 38
        sheet.column_dimensions[get_column_letter(letter_index + 1)].width = width
    sheet.append([_xlsx_cell(sheet, name, plan.zone) for name in plan.header])
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value, plan.zone) for value in row])
    with tempfile.TemporaryFile(prefix="aicall-export-") as out:
        workbook.save(out)
        out.seek(0)
        while chunk := out.read(CHUNK_BYTES):
            yield chunk


def _xlsx_cell(sheet: Any, value: Any, zone: tzinfo) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, datetime):
        # Excel has no time zones: the campaign's local time, shown as a date and time.
        cell = WriteOnlyCell(sheet, value=value.astimezone(zone).replace(tzinfo=None))
        cell.number_format = _DATE_FORMAT
        return cell
    text_value = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    if text_value.startswith("=") or text_value in ERROR_CODES:
        # openpyxl would store "=..." as a formula and "#N/A" as an error: keep them text.
        cell = WriteOnlyCell(sheet, value=text_value)
        cell.data_type = "s"
        return cell
    return text_value

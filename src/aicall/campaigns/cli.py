"""`aicall contacts import FILE --campaign ID` and `aicall contacts export --campaign ID`.

The operator's side of the CSV/XLSX import and export: the same services (and so the same
rules and messages) as `POST /campaigns/{id}/contacts/import` and `GET .../contacts/export`,
acting for whichever application owns the campaign.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from aicall import console
from aicall.accounts import service as account_service
from aicall.bootstrap import Platform, open_platform
from aicall.calls.outcomes import CallOutcome
from aicall.campaigns import column_mapping, export, file_import, lifecycle, queries
from aicall.campaigns.models import FINAL_CONTACT_STATUSES, CampaignStatus, ContactStatus
from aicall.clock import utc_now
from aicall.config import get_settings
from aicall.errors import AllContactsInvalid, ApiError

contacts_cli = typer.Typer(
    help="Contacts: import a CSV/XLSX list into a campaign, export a campaign's results.",
    no_args_is_help=True,
)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON.")]
CampaignOption = Annotated[str, typer.Option("--campaign", help="The campaign's id.")]
_SHOWN_REJECTIONS = 10
# A choice (exit 2 naming csv and xlsx, before any work): the keys of export.FORMATS (a test
# holds them equal).
ExportFormat = Literal["csv", "xlsx"]
EXPORT_FORMATS: tuple[str, ...] = get_args(ExportFormat)


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


def _cannot_write(path: Path, exc: OSError | None = None) -> str:
    """Why `path` cannot be written, in words (a missing folder named as such, not as the
    temporary file's `FileNotFoundError`)."""
    folder = path.parent
    if not folder.is_dir():
        return f"cannot write {path}: there is no folder {folder}"
    if path.is_dir():
        return f"cannot write {path}: it is a folder"
    reason = (exc.strerror or str(exc)) if exc is not None else "permission denied"
    return f"cannot write {path}: {reason}"


def _check_writable(path: Path) -> None:
    """Refuse, before any work, a file the command could not write at the end (raises typer.Exit)."""
    folder = path.parent
    if not folder.is_dir() or path.is_dir() or not os.access(folder, os.W_OK):
        raise _fail(_cannot_write(path))


@contacts_cli.command("import")
def import_contacts(
    file: Annotated[
        Path,
        typer.Argument(
            help="A .csv (UTF-8, comma or semicolon) or .xlsx (first sheet) file.",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ],
    campaign: CampaignOption,
    map_: Annotated[
        str | None,
        typer.Option(
            "--map",
            help='Column mapping over the suggested one: "Số điện thoại=phone_number,Họ tên=ho_ten" '
            '("Ghi chú=" leaves a column out).',
        ),
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option("--report", help="Write the rejected rows (row, value, reason) to this CSV."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check every row and report; store nothing.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Import contacts from a spreadsheet, with the add-contacts API's rules and messages."""
    if report is not None:  # before the import: its rows would be stored and the report lost
        _check_writable(report)
    platform = open_platform(get_settings())
    try:
        result = _import(platform, file, campaign, map_, dry_run)
    except AllContactsInvalid as exc:
        if report is not None:
            _write_report(report, exc.details or [])
        _show_rejections(exc.details or [])
        raise _fail(exc.message) from None
    except ApiError as exc:
        raise _fail(exc.message) from None
    finally:
        platform.db.dispose()
    rejected = result.rejected_rows()
    if report is not None:
        _write_report(report, rejected, imported=0 if dry_run else result.imported)
    summary = result.summary()
    if as_json:
        typer.echo(json.dumps({**summary, "rejected_rows": rejected}, ensure_ascii=False))
        return
    for key in ("format", "rows", "imported" if not dry_run else "valid", "rejected"):
        typer.echo(f"{key}: {summary[key]}")
    typer.echo("mapping: " + ", ".join(f"{h} -> {t or '(left out)'}" for h, t in summary["mapping"].items()))
    _show_rejections(rejected)
    if report is not None and rejected:
        typer.echo(f"report: {report}")


def _import(
    platform: Platform, file: Path, campaign: str, map_: str | None, dry_run: bool
) -> file_import.ImportReport:
    mapping = column_mapping.parse_map_option(map_)
    application_id = file_import.application_of(db=platform.db, campaign_id=campaign)
    console = Console(stderr=True)
    columns = (
        TextColumn("checking" if dry_run else "importing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with (
        file.open("rb") as source,
        Progress(*columns, console=console, disable=not console.is_terminal) as bar,
    ):
        task = bar.add_task("rows", total=None)

        def progress(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        return file_import.import_file(
            db=platform.db,
            application_id=application_id,
            campaign_id=campaign,
            source=source,
            limits=file_import.Limits.from_settings(platform.settings),
            filename=file.name,
            mapping=mapping,
            progress=progress,
            dry_run=dry_run,
        )


def _write_report(path: Path, rejected: list[dict[str, Any]], imported: int = 0) -> None:
    try:
        file_import.write_rejected(path, rejected)
    except OSError as exc:  # e.g. the disk filled after the check
        done = f" ({imported} contacts were imported)" if imported else ""
        raise _fail(_cannot_write(path, exc) + done) from None


def _show_rejections(rejected: list[dict[str, Any]]) -> None:
    for entry in rejected[:_SHOWN_REJECTIONS]:
        typer.echo(f"  row {entry['row']}: {entry['phone_number']!s}: {entry['reason']}", err=True)
    if len(rejected) > _SHOWN_REJECTIONS:
        typer.echo(f"  ... and {len(rejected) - _SHOWN_REJECTIONS} more rejected rows", err=True)


@contacts_cli.command("export")
def export_contacts(
    campaign: CampaignOption,
    format: Annotated[ExportFormat, typer.Option("--format", case_sensitive=False)] = "csv",
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write here (default: standard output).")
    ] = None,
) -> None:
    """Export the campaign's contacts with their call results, streamed (any campaign size)."""
    if output is None and format == "xlsx" and sys.stdout.isatty():
        raise _fail("XLSX is binary: name a file with -o")
    if output is not None:
        _check_writable(output)
    platform = open_platform(get_settings())
    try:
        application_id = file_import.application_of(db=platform.db, campaign_id=campaign)
        download = export.open_export(
            db=platform.db, application_id=application_id, campaign_id=campaign, format=format
        )
        if output is None:
            for chunk in download.chunks:
                sys.stdout.buffer.write(chunk)
            sys.stdout.buffer.flush()
            return
        # Written beside the target and renamed at the end: a failed export leaves no half file.
        partial = output.with_name(output.name + ".partial")
        try:
            with partial.open("wb") as out:
                for chunk in download.chunks:
                    out.write(chunk)
            os.replace(partial, output)
        except OSError as exc:  # the disk filled, the folder went away
            raise _fail(_cannot_write(output, exc)) from None
        finally:
            partial.unlink(missing_ok=True)
        typer.echo(f"wrote {output} ({output.stat().st_size:,} bytes)", err=True)
    except ApiError as exc:
        raise _fail(exc.message) from None
    finally:
        platform.db.dispose()


# --- reading: `aicall campaign list|show`, `aicall contacts list`, `aicall contact show` ------

contact_cli = typer.Typer(help="One contact: its attempts, keys and path.", no_args_is_help=True)
# Statuses are choices, as the API's 400 lists them: an unknown one printed an empty list.
CampaignStatusOption = Annotated[
    CampaignStatus | None, typer.Option("--status", case_sensitive=False, help="Only this status.")
]
ContactStatusOption = Annotated[
    ContactStatus | None, typer.Option("--status", case_sensitive=False, help="Only this status.")
]
LimitOption = Annotated[int, typer.Option("--limit", min=1, max=10_000, help="At most this many rows.")]
# A signed 64-bit integer, as the API's lists accept (web.openapi.MAX_OFFSET): larger overflowed
# the database driver with a traceback.
MAX_OFFSET = 2**63 - 1
OffsetOption = Annotated[
    int, typer.Option("--offset", min=0, max=MAX_OFFSET, help="Skip this many rows first.")
]


def _waiting(body: dict[str, Any]) -> str:
    reason = body.get("waiting_reason")
    if not reason:
        return ""
    until = body.get("waiting_until")
    return f"{reason} until {until}" if until else str(reason)


def list_campaigns(
    app: Annotated[str | None, typer.Option("--app", help="Only this application's (API key).")] = None,
    status: CampaignStatusOption = None,
    limit: LimitOption = 50,
    offset: OffsetOption = 0,
    archived: Annotated[bool, typer.Option("--archived", help="Archived campaigns too.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Campaigns, newest first, with their contacts and why they wait (if they do)."""
    platform = open_platform(get_settings())
    now = utc_now()
    try:
        with platform.db.reading() as session:
            application_id = None
            if app is not None:
                found = account_service.get_by_api_key(session=session, api_key=app)
                if found is None:
                    raise _fail(f"no application has API key {app}")
                application_id = found.id
            rows, total = queries.list_campaigns(
                session,
                application_id=application_id,
                status=status,
                limit=limit,
                offset=offset,
                archived=archived,
            )
            bodies = [queries.campaign_dict(session, campaign, now=now) for campaign in rows]
    except ApiError as exc:
        raise _fail(exc.message) from None
    finally:
        platform.db.dispose()
    if as_json:
        console.print_json({"campaigns": bodies, "total_count": total})
        return
    for body in bodies:
        counts = body["counts"]
        done = sum(counts["by_status"].get(s.value, 0) for s in FINAL_CONTACT_STATUSES)
        body["progress"] = f"{done}/{counts['contacts']}"
        body["live"] = counts["calls_in_progress"]
        body["waiting"] = _waiting(body)
    columns = [
        ("id", "id"),
        ("name", "name"),
        ("status", "status"),
        ("progress", "final/contacts"),
        ("live", "live calls"),
        ("waiting", "waiting"),
    ]
    title = f"{len(bodies)} of {total} campaigns" if total > len(bodies) else None
    console.print_table(bodies, columns, title=title, empty="no campaigns")


def show_campaign(
    campaign_id: Annotated[str, typer.Argument(help="The campaign's id.")], as_json: JsonFlag = False
) -> None:
    """One campaign: status, why it waits, contacts by status, attempts by outcome, settings."""
    platform = open_platform(get_settings())
    try:
        with platform.db.reading() as session:
            campaign = queries.campaign_by_id(session, campaign_id)
            body = queries.campaign_dict(session, campaign, now=utc_now())
    except ApiError as exc:
        raise _fail(exc.message) from None
    finally:
        platform.db.dispose()
    if as_json:
        console.print_json(body)
        return
    counts, settings = body["counts"], body["settings"] or {}
    console.print_record(
        {
            **body,
            "waiting": _waiting(body),
            "contacts": counts["contacts"],
            "by_status": counts["by_status"],
            "attempts": counts["attempts"],
            "by_outcome": counts["by_outcome"],
            "calls_in_progress": counts["calls_in_progress"],
            "cost": counts["cost"],
            "window": _window(settings),
        },
        fields=[
            ("id", "id"),
            ("name", "name"),
            ("status", "status"),
            ("pause_reason", "pause reason"),
            ("waiting", "waiting"),
            ("waiting_detail", "waiting detail"),
            ("scenario_id", "scenario"),
            ("contacts", "contacts"),
            ("by_status", "by status"),
            ("attempts", "attempts"),
            ("by_outcome", "by outcome"),
            ("calls_in_progress", "calls in progress"),
            ("cost", "cost (VND)"),
            ("window", "window"),
            ("created_at", "created"),
            ("started_at", "started"),
            ("finished_at", "finished"),
        ],
    )


def archive_campaign(
    campaign_id: Annotated[str, typer.Argument(help="The campaign's id (completed or cancelled).")],
    as_json: JsonFlag = False,
) -> None:
    """Archive a closed campaign: hidden from lists, its contacts' tag values dropped (results,
    costs and the ledger stay). AICALL_ARCHIVE_AFTER_DAYS does it by itself."""
    platform = open_platform(get_settings())
    try:
        with platform.db.transaction() as session:
            campaign = queries.campaign_by_id(session, campaign_id)
            lifecycle.archive(session, campaign, now=utc_now())
            body = {"campaign_id": campaign.id, "archived_at": campaign.archived_at}
    except ApiError as exc:
        raise _fail(exc.message) from None
    finally:
        platform.db.dispose()
    if as_json:
        console.print_json(body)
        return
    console.print_record(body, fields=[("campaign_id", "campaign"), ("archived_at", "archived")])


def _window(settings: dict[str, Any]) -> str:
    if not settings:
        return ""
    hours = ", ".join(f"{h['start'][:5]}-{(h['end'] or '24:00')[:5]}" for h in settings.get("hours", []))
    return f"{','.join(settings.get('days', []))} {hours} {settings.get('timezone', '')}"


@contacts_cli.command("list")
def list_contacts(
    campaign: CampaignOption,
    status: ContactStatusOption = None,
    outcome: Annotated[
        CallOutcome | None, typer.Option("--outcome", case_sensitive=False, help="Only this last outcome.")
    ] = None,
    limit: LimitOption = 100,
    offset: OffsetOption = 0,
    as_json: JsonFlag = False,
) -> None:
    """The campaign's contacts, oldest first: status, attempts, last outcome, why they wait."""
    platform = open_platform(get_settings())
    now = utc_now()
    try:
        with platform.db.reading() as session:
            found = queries.campaign_by_id(session, campaign)
            held = queries.waiting_of(session, found, now=now)
            rows, total = queries.list_contacts(
                session,
                campaign_id=found.id,
                status=status,
                outcome=outcome.value if outcome else None,
                phone=None,
                limit=limit,
                offset=offset,
            )
            bodies = [queries.contact_dict(row, campaign_waiting=held, now=now) for row in rows]
    except ApiError as exc:
        raise _fail(exc.message) from None
    finally:
        platform.db.dispose()
    if as_json:
        console.print_json({"contacts": bodies, "total_count": total})
        return
    for body in bodies:
        body["waiting"] = _waiting(body)
    columns = [
        ("id", "id"),
        ("phone_number", "phone"),
        ("status", "status"),
        ("attempts", "attempts"),
        ("last_outcome", "last outcome"),
        ("waiting", "waiting"),
    ]
    title = f"{len(bodies)} of {total} contacts" if total > len(bodies) else None
    console.print_table(bodies, columns, title=title, empty="no contacts")


@contact_cli.command("show")
def show_contact(
    contact_id: Annotated[str, typer.Argument(help="The contact's id.")], as_json: JsonFlag = False
) -> None:
    """One contact: its values, status and why it waits, then every attempt with keys and path."""
    settings = get_settings()
    platform = open_platform(settings)
    now = utc_now()
    try:
        with platform.db.reading() as session:
            contact = queries.contact_by_id(session, contact_id)
            campaign = queries.campaign_by_id(session, contact.campaign_id)
            held = queries.waiting_of(session, campaign, now=now)
            body = queries.contact_dict(contact, campaign_waiting=held, now=now)
            body["call_attempts"] = [
                queries.attempt_dict(attempt, settings.base_url)
                for attempt in queries.attempts_of(session, contact.id)
            ]
    except ApiError as exc:
        raise _fail(exc.message) from None
    finally:
        platform.db.dispose()
    if as_json:
        console.print_json(body)
        return
    console.print_record(
        {**body, "waiting": _waiting(body)},
        fields=[
            ("id", "id"),
            ("campaign_id", "campaign"),
            ("phone_number", "phone"),
            ("tags", "values"),
            ("status", "status"),
            ("attempts", "attempts"),
            ("last_outcome", "last outcome"),
            ("waiting", "waiting"),
        ],
    )
    attempts = [
        {
            **attempt,
            "sip": f"{attempt['sip_code'] or ''} {attempt['sip_reason'] or ''}".strip(),
            "path_text": " > ".join(_step(step) for step in attempt["path"]),
        }
        for attempt in body["call_attempts"]
    ]
    columns = [
        ("number", "#"),
        ("outcome", "outcome"),
        ("sip", "SIP"),
        ("hotline", "from"),
        ("started_at", "started"),
        ("duration", "seconds"),
        ("cost", "cost"),
        ("keys_pressed", "keys"),
        ("path_text", "path"),
    ]
    console.print_table(attempts, columns, title="attempts", empty="no attempts yet")


def _step(step: dict[str, Any]) -> str:
    label = str(step.get("label") or step.get("type") or "?")
    return f"{label} [{step['keys']}]" if step.get("keys") else label

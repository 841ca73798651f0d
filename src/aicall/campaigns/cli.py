"""`aicall contacts import FILE --campaign ID` and `aicall contacts export --campaign ID`.

The operator's side of the CSV/XLSX import and export: the same services (and so the same
rules and messages) as `POST /campaigns/{id}/contacts/import` and `GET .../contacts/export`,
acting for whichever application owns the campaign.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from aicall.bootstrap import Platform, open_platform
from aicall.campaigns import column_mapping, export, file_import
from aicall.config import get_settings
from aicall.errors import AllContactsInvalid, ApiError

contacts_cli = typer.Typer(
    help="Contacts: import a CSV/XLSX list into a campaign, export a campaign's results.",
    no_args_is_help=True,
)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON.")]
CampaignOption = Annotated[str, typer.Option("--campaign", help="The campaign's id.")]
_SHOWN_REJECTIONS = 10


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


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
        _write_report(report, rejected)
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


def _show_rejections(rejected: list[dict[str, Any]]) -> None:
    for entry in rejected[:_SHOWN_REJECTIONS]:
        typer.echo(f"  row {entry['row']}: {entry['phone_number']!s}: {entry['reason']}", err=True)
    if len(rejected) > _SHOWN_REJECTIONS:
        typer.echo(f"  ... and {len(rejected) - _SHOWN_REJECTIONS} more rejected rows", err=True)


def _write_report(path: Path, rejected: list[dict[str, Any]]) -> None:
    # With a byte-order mark, as our exports: Excel then reads the Vietnamese reasons right.
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(["row", "phone_number", "reason"])
        for entry in rejected:
            value = entry.get("phone_number")
            writer.writerow([entry.get("row"), "" if value is None else value, entry.get("reason")])


@contacts_cli.command("export")
def export_contacts(
    campaign: CampaignOption,
    format: Annotated[str, typer.Option("--format", help="csv or xlsx")] = "csv",
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write here (default: standard output).")
    ] = None,
) -> None:
    """Export the campaign's contacts with their call results, streamed (any campaign size)."""
    if output is None and format == "xlsx" and sys.stdout.isatty():
        raise _fail("XLSX is binary: name a file with -o")
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
        finally:
            partial.unlink(missing_ok=True)
        typer.echo(f"wrote {output} ({output.stat().st_size:,} bytes)", err=True)
    except ApiError as exc:
        raise _fail(exc.message) from None
    finally:
        platform.db.dispose()

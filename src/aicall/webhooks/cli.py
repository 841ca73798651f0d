"""`aicall app update`: an application's webhook URL, event types and signing secret;
`aicall webhook deliveries --app KEY`: the delivery log."""

from __future__ import annotations

import json
from typing import Annotated, Any, NoReturn

import typer

from aicall import console
from aicall.accounts import service as account_service
from aicall.bootstrap import open_platform
from aicall.config import get_settings
from aicall.errors import VALIDATION_FAILED, ApiError
from aicall.events import EventType
from aicall.webhooks import service as webhook_service
from aicall.webhooks.guard import InvalidWebhookUrl, check_webhook_url
from aicall.webhooks.schemas import delivery_out

__all__ = ["InvalidWebhookUrl", "check_webhook_url", "register", "webhook_group"]

webhook_group = typer.Typer(help="Webhooks: the delivery log.", no_args_is_help=True)


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def _events(raw: str | None) -> Any:
    if raw is None:
        return webhook_service.UNSET
    if raw.strip().lower() == "all":
        return None
    if raw.strip().lower() == "none":
        return []
    events = [part.strip() for part in raw.split(",") if part.strip()]
    if not events:  # it turned every event off, as 'none' does, without a word
        raise typer.BadParameter("is empty: name event types, or 'all' or 'none'", param_hint="--events")
    return events


def register(app_cli: typer.Typer) -> None:
    """Add `update` to the `aicall app` group (once, however often this is called)."""
    if any(command.name == "update" for command in app_cli.registered_commands):
        return

    @app_cli.command("update")
    def app_update(
        app: Annotated[str, typer.Option("--app", help="The application's API key.")],
        webhook_url: Annotated[
            str | None,
            typer.Option(
                "--webhook-url", help="Where events are POSTed (http/https); '' turns webhooks off."
            ),
        ] = None,
        events: Annotated[
            str | None,
            typer.Option("--events", help="Comma-separated event types to send; 'all' (default) or 'none'."),
        ] = None,
        rotate_secret: Annotated[
            bool, typer.Option("--rotate-secret", help="Replace the signing secret (effective at once).")
        ] = False,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """Change an application's webhook settings; prints them with the signing secret."""
        wanted = _events(events)
        settings = get_settings()
        platform = open_platform(settings)
        try:
            with platform.db.reading() as session:
                application = account_service.get_by_api_key(session=session, api_key=app)
                application_id = application.id if application else None
            if application_id is None:
                _fail(f"no application has API key {app}")
            try:
                updated = webhook_service.update_settings(
                    db=platform.db,
                    box=platform.box,
                    application_id=application_id,
                    allow_private=settings.webhook_allow_private,
                    webhook_url=webhook_service.UNSET if webhook_url is None else webhook_url,
                    webhook_events=wanted,
                    rotate=rotate_secret,
                )
            except ApiError as exc:
                _fail(exc.message.removeprefix(f"{VALIDATION_FAILED}: "))  # a refusal names the setting
        finally:
            platform.db.dispose()
        data = {
            "application_id": updated.application_id,
            "name": updated.name,
            "api_key": updated.api_key,
            "webhook_url": updated.webhook_url,
            "webhook_events": updated.webhook_events,
            "webhook_secret": updated.webhook_secret,
        }
        if as_json:
            typer.echo(json.dumps(data, ensure_ascii=False))
        else:
            for key, value in data.items():
                shown = "all" if key == "webhook_events" and value is None else value
                typer.echo(f"{key}: {shown}")


@webhook_group.command("deliveries")
def deliveries(
    app: Annotated[str, typer.Option("--app", help="The application's API key.")],
    failed: Annotated[bool, typer.Option("--failed", help="Only failed attempts.")] = False,
    # A choice: an unknown type printed "no webhook deliveries yet", as if none had been sent.
    event_type: Annotated[
        EventType | None, typer.Option("--event-type", case_sensitive=False, help="Only this event type.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000)] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The application's webhook delivery attempts, newest first: status code, latency, error."""
    platform = open_platform(get_settings())
    try:
        with platform.db.reading() as session:
            application = account_service.get_by_api_key(session=session, api_key=app)
            if application is None:
                _fail(f"no application has API key {app}")
            rows, total = webhook_service.list_deliveries(
                session=session,
                application_id=application.id,
                event_type=event_type.value if event_type else None,
                succeeded=False if failed else None,
                limit=limit,
            )
            bodies = [delivery_out(row) for row in rows]
    finally:
        platform.db.dispose()
    if as_json:
        console.print_json({"deliveries": bodies, "total_count": total})
        return
    columns = [
        ("created_at", "at"),
        ("event_type", "event"),
        ("attempt", "try"),
        ("succeeded", "ok"),
        ("status_code", "HTTP"),
        ("latency_ms", "ms"),
        ("error", "error"),
        ("event_id", "event id"),
    ]
    title = f"{len(bodies)} of {total} deliveries" if total > len(bodies) else None
    console.print_table(bodies, columns, title=title, empty="no webhook deliveries yet")

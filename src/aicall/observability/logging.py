"""Structured logs with structlog: one event per meaningful thing, the ids of the work bound.

`configure()` once per process (the CLI does, before any command): every line, ours and the
libraries' (`logging` records from uvicorn, SQLAlchemy, ...), goes out through one pipeline:

* ids bound with `bind(campaign_id=..., contact_id=..., attempt_id=...)` or
  `bound(...)` (context variables: an asyncio task, a call's, keeps its own) appear on every
  line of that work;
* phone numbers in any value are masked to `+849*****321` unless `show_phones` (a setting,
  for debugging); secrets and tokens are never written (`[redacted]`);
* a terminal gets the readable console renderer, anything else the same unless `json`:
  one JSON object per line with `timestamp`, `level`, `logger`, `event` and the fields.

Events are named as phrases (`campaign paused`, `call finished`, `webhook delivery failed`)
so they read in the console and are greppable in JSON.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal, TextIO

import structlog
from structlog.contextvars import bind_contextvars, bound_contextvars, clear_contextvars
from structlog.typing import EventDict, Processor, WrappedLogger

__all__ = [
    "LogFormat",
    "bind",
    "bound",
    "clear",
    "configure",
    "get_logger",
    "mask_phone",
    "mask_phones",
    "reset",
]

LogFormat = Literal["console", "json"]

# 8 to 15 digits, maybe after "+", standing alone: E.164 and national numbers. Not digits
# inside ids (object ids and UUIDs mix letters in) nor dates and times (short runs).
_PHONE = re.compile(r"(?<![\w+])\+?\d{8,15}(?![\w])")
_JWT = re.compile(r"\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]{5,}")
_BEARER = re.compile(r"(?i)\b(bearer)\s+\S+")
_SECRET_KEYS = frozenset(
    {
        "api_secret",
        "secret",
        "secret_key",
        "webhook_secret",
        "signing_secret",
        "password",
        "token",
        "access_token",
        "authorization",
    }
)
_REDACTED = "[redacted]"
_KEPT = 3  # last digits shown


def mask_phone(number: str) -> str:
    """`+84987654321` -> `+849*****321`, `0987654321` -> `098****321`: the country or network
    prefix and the last three digits, enough to tell calls apart, too little to dial."""
    head = 4 if number.startswith("+") else 3
    if len(number) <= head + _KEPT:
        return number
    return number[:head] + "*" * (len(number) - head - _KEPT) + number[-_KEPT:]


def mask_phones(text: str) -> str:
    """Every phone number in `text`, masked (see `mask_phone`)."""
    return _PHONE.sub(lambda match: mask_phone(match.group(0)), text)


def _scrub(value: Any, show_phones: bool) -> Any:
    if isinstance(value, str):
        # Every field of every line passes here (a dialer writes a line per call): the cheap
        # substring tests spare most values the regular expressions' substitutions.
        if "eyJ" in value:
            value = _JWT.sub("[token]", value)
        if "bearer" in value.lower():
            value = _BEARER.sub(r"\1 [redacted]", value)
        if show_phones or _PHONE.search(value) is None:
            return value
        return mask_phones(value)
    if isinstance(value, list | tuple):
        return [_scrub(item, show_phones) for item in value]
    if isinstance(value, dict):
        return {
            key: _REDACTED if key in _SECRET_KEYS else _scrub(item, show_phones)
            for key, item in value.items()
        }
    return value


class _Scrubber:
    """Masks phone numbers and removes secrets from every field (the last step before output)."""

    def __init__(self, show_phones: bool) -> None:
        self.show_phones = show_phones

    def __call__(self, _logger: WrappedLogger, _name: str, event: EventDict) -> EventDict:
        event.pop("color_message", None)  # uvicorn's copy of the message with terminal colours
        for key, value in event.items():
            if key in _SECRET_KEYS:
                event[key] = _REDACTED
            elif not key.startswith("_"):  # structlog's own entries (`_record`, `_from_structlog`)
                event[key] = _scrub(value, self.show_phones)
        return event


_SHARED: list[Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.stdlib.PositionalArgumentsFormatter(),
    structlog.processors.StackInfoRenderer(),
]

_handler: logging.Handler | None = None
# Libraries that log routine work at INFO: a line per migration check or per HTTP request is
# noise beside our events (their warnings and errors still show).
_CHATTY = ("alembic", "httpx", "httpcore")


def configure(
    *,
    fmt: LogFormat = "console",
    level: str = "info",
    show_phones: bool = False,
    stream: TextIO | None = None,
) -> None:
    """Send every log line of this process to `stream` (standard error) in `fmt`, from `level` up.

    Safe to call again (tests do): the previous handler is replaced, not added to.
    """
    global _handler
    output = stream or sys.stderr
    renderer: Processor
    if fmt == "json":
        renderer = structlog.processors.JSONRenderer(ensure_ascii=False, default=str)
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=output.isatty())
    structlog.configure(
        processors=[*_SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        # Not cached: modules take their logger at import, before the CLI has configured.
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*_SHARED, structlog.stdlib.ExtraAdder()],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,  # before the scrubber: a traceback can hold a number
            _Scrubber(show_phones),
            renderer,
        ],
    )
    # What a LogRecord would gather and no renderer here prints (the calling frame, thread and
    # process): skipped, as the logging HOWTO's "Optimization" section says. A dialer writes a
    # line per call; these were a tenth of each line's cost.
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = logging.StreamHandler(output)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    if _handler is not None:
        root.removeHandler(_handler)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in _CHATTY:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
    _handler = handler


def reset() -> None:
    """Undo `configure` (tests): our handler leaves the root logger, structlog its defaults."""
    global _handler
    if _handler is not None:
        logging.getLogger().removeHandler(_handler)
        _handler = None
    structlog.reset_defaults()


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    """A logger named like the module's area (`aicall.dialer`); fields as keyword arguments."""
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger


def bind(**ids: Any) -> None:
    """Add ids to every later line of the current context (an asyncio task keeps its own)."""
    bind_contextvars(**ids)


@contextmanager
def bound(**ids: Any) -> Iterator[None]:
    """Add ids to every line logged inside the block."""
    with bound_contextvars(**ids):
        yield


def clear() -> None:
    """Forget the ids bound in the current context."""
    clear_contextvars()

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

# A phone number as people write it and as URLs carry it: 8 to 15 digits, maybe after "+" (or
# %2B, its percent-encoding), in groups split by spaces, dots, dashes, parentheses, "+" (a space
# in a form-encoded query) or their escapes (%20, %28, %29, %2B). Standing alone: not inside a
# word (object ids and UUIDs mix letters in); a percent-escape (%3D, %2C) before it ends a word.
# Built to stay cheap on every field of every line: it starts with a character set, which the
# regex engine scans for in C, and its lookaheads pass over runs of fewer than 8 digits (dates,
# times, amounts) without a call into Python; `_masked` judges what is left.
_SEP = r"(?:[ .\-+()]|%2[0Bb89])"
_EIGHT_DIGITS = rf"(?:\d{_SEP}{{0,3}}){{7}}\d"
_PHONE = re.compile(
    r"[+%\d]"
    r"(?:(?<![\w%].)|(?<=%[0-9A-Fa-f]{2}.))"
    r"(?=[\d .\-+()%Bb]{7})"  # a quick no for most runs: 7 more characters a number can hold
    rf"(?:(?<=\d)(?=(?:{_SEP}{{0,3}}\d){{7}})|(?<=\+)(?={_EIGHT_DIGITS})|(?<=%)2[Bb](?={_EIGHT_DIGITS}))"
    rf"(?>\d*(?:{_SEP}{{1,3}}\d+)*)"
    r"(?!\w)"
)
_SEPARATORS = re.compile(rf"{_SEP}+")
# One run of digits of a candidate, with its "+": what the rule was before groups were read.
_RUN = re.compile(r"(?P<plus>\+|%2[Bb])?(?P<digits>\d+)|%2[0Bb89]")
# Groups run on from a word by a dot or a dash: inside a UUID or a version, not a number.
_GLUED_BEFORE = re.compile(r"\w[.\-]$")
_GLUED_AFTER = re.compile(r"[.\-]\w")
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
_OURS = frozenset({"timestamp", "level", "logger"})  # written by the pipeline: never a number
_KEPT = 3  # last digits shown


def mask_phone(number: str) -> str:
    """`+84987654321` -> `+849*****321`, `0987654321` -> `098****321`: the country or network
    prefix and the last three digits, enough to tell calls apart, too little to dial."""
    head = 4 if number.startswith("+") else 3
    if len(number) <= head + _KEPT:
        return number
    return number[:head] + "*" * (len(number) - head - _KEPT) + number[-_KEPT:]


def mask_phones(text: str) -> str:
    """Every phone number in `text`, masked (see `mask_phone`), however it is written:
    `%2B84%20912%20000%20001` and `0912.000.001` become `+849*****001` and `091****001`."""
    return _PHONE.sub(_masked, text)


def _masked(match: re.Match[str]) -> str:
    text = match.group(0)
    if text.isdigit() or (text[0] == "+" and text[1:].isdigit()):  # most numbers: one run
        return mask_phone(text) if len(text) - (text[0] == "+") <= 15 else text
    plus = text[0] in "+%"  # a candidate starts with "+", %2B or a digit
    groups = [group for group in _SEPARATORS.split(text) if group]
    digits = "".join(groups)
    if 8 <= len(digits) <= 15 and (len(groups) == 1 or plus or _national(match, groups)):
        return mask_phone("+" + digits if plus else digits)
    # Not one number (a date and a time, an amount with thousands, two numbers side by side):
    # each run of digits stands alone, as a number without separators does.
    return _RUN.sub(_masked_run, text)


def _national(match: re.Match[str], groups: list[str]) -> bool:
    """Groups that read as a national number (`0912 000 001`, `(028) 3822 1234`): a trunk
    prefix 0 and an area or network code, not a date (`01.12.2026`, the only dates that start
    with 0), not a decimal (`0.25`), not an amount (`150.000.000` starts with 1-9), not part of
    a UUID or a version (`...-0442-8234-...`)."""
    if not groups[0].startswith("0") or len(groups[0]) < 2:
        return False
    if [len(group) for group in groups[:3]] == [2, 2, 4]:
        return False
    start, end = match.span()
    return not (
        _GLUED_BEFORE.search(match.string, max(start - 2, 0), start)
        or _GLUED_AFTER.match(match.string, end, end + 2)
    )


def _masked_run(match: re.Match[str]) -> str:
    digits = match.group("digits")
    if digits is None or not 8 <= len(digits) <= 15:
        return match.group(0)
    return mask_phone("+" + digits if match.group("plus") else digits)


def _scrub(value: Any, show_phones: bool) -> Any:
    if isinstance(value, str):
        # Every field of every line passes here (a dialer writes a line per call): the cheap
        # substring tests spare most values the regular expressions' substitutions.
        if "eyJ" in value:
            value = _JWT.sub("[token]", value)
        if "bearer" in value.lower():
            value = _BEARER.sub(r"\1 [redacted]", value)
        return value if show_phones else _PHONE.sub(_masked, value)
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
            elif key not in _OURS and not key.startswith(
                "_"
            ):  # structlog's own entries (`_record`, `_from_structlog`)
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

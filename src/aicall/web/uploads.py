"""A file uploaded as multipart/form-data, read with a size limit enforced while it arrives."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import BinaryIO

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.types import Message

from aicall.errors import PayloadTooLarge, ValidationFailed

__all__ = ["Upload", "read_upload"]

# Room for the multipart framing and the small text fields around the file itself.
_FRAMING_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class Upload:
    """The uploaded file (binary, seekable: spooled to disk past 1 MiB) and the form's text fields."""

    file: BinaryIO
    filename: str | None
    fields: dict[str, str]


@asynccontextmanager
async def read_upload(request: Request, *, field: str, limit: int) -> AsyncIterator[Upload]:
    """The file sent in form field `field`, at most `limit` bytes of body (plus the framing).

    Raises PayloadTooLarge as soon as the body passes the limit (by its Content-Length, or
    while it streams in: nothing larger is written to disk), ValidationFailed when the request
    is not multipart or has no such file. The file is deleted when the block ends."""
    allowed = limit + _FRAMING_BYTES
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > allowed:
        raise PayloadTooLarge(_too_large(limit))
    received = 0

    async def receive() -> Message:
        nonlocal received
        message = await request.receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > allowed:
                raise PayloadTooLarge(_too_large(limit))
        return message

    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise ValidationFailed(_missing(field), field=field)
    limited = Request(request.scope, receive)
    form = await limited.form(max_files=1, max_fields=20)
    try:
        upload = form.get(field)
        if not isinstance(upload, UploadFile):
            raise ValidationFailed(_missing(field), field=field)
        fields = {key: value for key, value in form.multi_items() if isinstance(value, str)}
        yield Upload(file=upload.file, filename=upload.filename, fields=fields)
    finally:
        await form.close()


def _too_large(limit: int) -> str:
    return f"The file is larger than the limit of {limit:,} bytes (AICALL_MAX_UPLOAD_BYTES): split it"


def _missing(field: str) -> str:
    return f"send the file as multipart/form-data in a field named '{field}'"

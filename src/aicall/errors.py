"""The one exception hierarchy the API maps to its envelope `{"status": 0, "code", "message"}`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any


class ApiError(Exception):
    code: int = 9999
    http_status: int = 500
    message: str = "Unknown error"

    def __init__(self, message: str | None = None, *, details: Any = None) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message
        self.details = details


class Unauthorized(ApiError):
    code, http_status, message = 401, 401, "Unauthorized"


class ApplicationNotFound(ApiError):
    code, http_status, message = 1201, 404, "Application is not found"


VALIDATION_FAILED = "Validation Failed"  # CONTRACT §3: code 400, this message, then what is wrong


def field_path(location: Iterable[str | int]) -> str:
    """The one way a field is named in errors: `("contacts", 3, "phone_number")` ->
    `contacts[3].phone_number`; list positions in brackets, names joined by dots."""
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


class ValidationFailed(ApiError):
    """Bad input: HTTP 400, code 400, message `Validation Failed: <field>: <reason>`.

    `reason` says what is wrong; `field` names the input, as a path (`contacts[3].phone_number`)
    or its parts (`("contacts", 3, "phone_number")`). `details` defaults to
    `[{"field", "message"}]` when a field is named. A `reason` already starting with
    "Validation Failed" is kept as it is.
    """

    code, http_status, message = 400, 400, VALIDATION_FAILED

    def __init__(
        self,
        reason: str | None = None,
        *,
        field: str | Sequence[str | int] | None = None,
        details: Any = None,
    ) -> None:
        path = field if isinstance(field, str) or field is None else field_path(field)
        if reason is None or reason.startswith(VALIDATION_FAILED):
            message = reason
        else:
            message = f"{VALIDATION_FAILED}: {path}: {reason}" if path else f"{VALIDATION_FAILED}: {reason}"
        if details is None and path:
            details = [{"field": path, "message": reason or VALIDATION_FAILED}]
        super().__init__(message, details=details)

    @classmethod
    def sentence(cls, field: str, reason: str) -> ValidationFailed:
        """`Validation Failed: <field> <reason>` ("campaign_id is required": a message clients
        already match), with the same `details: [{field, message: reason}]` as every other
        validation error. `field` "" names the whole body."""
        message = f"{field} {reason}" if field else f"the request body {reason}"
        return cls(message, details=[{"field": field, "message": reason}])

    @classmethod
    def from_errors(
        cls, errors: Sequence[Mapping[str, Any]], *, prefix: Sequence[str | int] = ()
    ) -> ValidationFailed:
        """From pydantic's (or FastAPI's) `errors()`: every error in `details`, the first in the
        message. `prefix` places the validated object in the request (`("settings",)`)."""
        details = [
            {"field": field_path((*prefix, *error["loc"])), "message": _reason(error)} for error in errors
        ]
        if not details:
            return cls("invalid input", field=field_path(prefix) or None)
        first = details[0]
        return cls(first["message"], field=first["field"] or None, details=details)


def _reason(error: Mapping[str, Any]) -> str:
    # pydantic prefixes the message of a ValueError raised by a validator; the reason is enough.
    return str(error["msg"]).removeprefix("Value error, ")


class RateLimited(ApiError):
    code, http_status, message = 429, 429, "Too many requests: slow down and retry after a second"


class PayloadTooLarge(ApiError):
    code, http_status, message = 413, 413, "Request body is too large"


class CampaignNotFound(ApiError):
    code, http_status, message = 1401, 404, "Campaign is not found"


class ImportFailed(ApiError):
    code, http_status, message = 1402, 400, "Import contacts failed"


class AllContactsInvalid(ApiError):
    code, http_status, message = 1403, 400, "All contacts is invalid"


class IdempotencyConflict(ApiError):
    code, http_status, message = 409, 409, "Idempotency-Key was already used with another request body"


class NotFound(ApiError):
    code, http_status, message = 404, 404, "Not found"


class Conflict(ApiError):
    code, http_status, message = 409, 409, "Conflict"


class ScenarioNotFound(ApiError):
    code, http_status, message = 3001, 404, "Scenario not found"


class ScenarioNotDraft(ApiError):
    code, http_status, message = 3006, 400, "Status of scenario must be DRAFT to submit"


class InsufficientBalance(ApiError):
    code, http_status, message = 1501, 402, "Insufficient balance"


class StorageUnavailable(ApiError):
    """The database cannot do its work (disk full, read-only, server gone; `db.faults`): 503,
    the reason in the message, `Retry-After`. Nothing of the request was stored."""

    code, http_status, message = 503, 503, "Service unavailable"


class CampaignStateError(ApiError):
    code, http_status, message = 1404, 409, "The campaign's status does not allow this"


class ContactNotFound(ApiError):
    code, http_status, message = 1405, 404, "Contact is not found"


class CampaignNotReady(ApiError):
    code, http_status, message = 1406, 400, "The campaign cannot start"

"""The one exception hierarchy the API maps to its envelope `{"status": 0, "code", "message"}`."""

from __future__ import annotations

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


class ValidationFailed(ApiError):
    code, http_status, message = 400, 400, "Validation Failed"


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


class CampaignStateError(ApiError):
    code, http_status, message = 1404, 409, "The campaign's status does not allow this"


class ContactNotFound(ApiError):
    code, http_status, message = 1405, 404, "Contact is not found"


class CampaignNotReady(ApiError):
    code, http_status, message = 1406, 400, "The campaign cannot start"

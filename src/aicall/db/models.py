"""Every mapped model, imported once so metadata (and Alembic) sees the whole schema."""

from aicall.accounts.models import Account, Application, LedgerEntry
from aicall.calls.models import CallAttempt
from aicall.campaigns.models import Campaign, Contact
from aicall.db.base import Base
from aicall.dialer.models import DialerWorker
from aicall.hotlines.models import Hotline, HotlinePool, SipTrunk
from aicall.idempotency.models import IdempotentRequest
from aicall.scenarios.models import Scenario, ScenarioAction, ScenarioVersion  # noqa: F401 - registers the tables
from aicall.webhooks.models import WebhookDelivery, WebhookEvent  # noqa: F401 - registers the tables

__all__ = [
    "Account",
    "Application",
    "Base",
    "CallAttempt",
    "Campaign",
    "Contact",
    "DialerWorker",
    "Hotline",
    "HotlinePool",
    "IdempotentRequest",
    "LedgerEntry",
    "SipTrunk",
]

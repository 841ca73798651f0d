"""Every mapped model, imported once so the metadata holds the whole schema.

It sits above the domains (and the dialer's worker table), not in `db/`: `db/` is the ground the
domains stand on, and a collector there would make the ground import what stands on it. Alembic's
autogenerate and check (`db.migrate.check(engine, metadata=all_models.metadata)`) and the tests
that empty every table take the schema from here.
"""

from aicall.accounts.models import Account, Application, CreditBlock, LedgerEntry
from aicall.accounts.speech_settings import AccountSpeechSettings
from aicall.accounts.users import User
from aicall.accounts.voice_credentials import VoiceCredential
from aicall.calls.models import CallAttempt
from aicall.campaigns.models import Campaign, Contact
from aicall.compliance.models import AdvertisingCall, AuditEntry, DncEntry
from aicall.db.base import Base
from aicall.db.limits import SharedLimit
from aicall.dialer.models import DialerWorker
from aicall.hotlines.models import Hotline, HotlinePool, SipTrunk
from aicall.idempotency.models import IdempotentRequest
from aicall.scenarios.models import Scenario, ScenarioAction, ScenarioVersion
from aicall.webhooks.models import WebhookDelivery, WebhookEvent

metadata = Base.metadata

__all__ = [
    "Account",
    "AccountSpeechSettings",
    "AdvertisingCall",
    "Application",
    "AuditEntry",
    "Base",
    "CallAttempt",
    "Campaign",
    "Contact",
    "CreditBlock",
    "DialerWorker",
    "DncEntry",
    "Hotline",
    "HotlinePool",
    "IdempotentRequest",
    "LedgerEntry",
    "Scenario",
    "ScenarioAction",
    "ScenarioVersion",
    "SharedLimit",
    "SipTrunk",
    "User",
    "VoiceCredential",
    "WebhookDelivery",
    "WebhookEvent",
    "metadata",
]

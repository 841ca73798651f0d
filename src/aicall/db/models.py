"""Every mapped model, imported once so metadata (and Alembic) sees the whole schema."""

from aicall.accounts.models import Account, Application
from aicall.campaigns.models import Campaign, Contact
from aicall.db.base import Base
from aicall.idempotency.models import IdempotentRequest

__all__ = ["Account", "Application", "Base", "Campaign", "Contact", "IdempotentRequest"]

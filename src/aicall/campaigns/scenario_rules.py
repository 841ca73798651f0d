"""The contact rules a campaign's scenario imposes (duplicates, readable tags)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from aicall.campaigns.contact_import import TagRules
from aicall.campaigns.models import Campaign


def rules_for(*, session: Session, campaign: Campaign) -> TagRules:
    allow = bool((campaign.settings or {}).get("allow_duplicate_phone", False))
    return TagRules(allow_duplicate_phone=allow)
